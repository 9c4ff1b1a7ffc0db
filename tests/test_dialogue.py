"""How the assistant answers a parsed message: answer, specific answer, or suggestions."""

from __future__ import annotations

from typing import Any

from bot.dialogue.answering import Dialogue, choose_entry_payload
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import DID_YOU_MEAN, NOT_UNDERSTOOD
from bot.understanding.gate import FINDINGS_KEY, Findings
from tests.conftest import gated


def faq_message(text: str, key: str, confidence: float, ranking: list[tuple[str, float]] | None = None,
                entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    ranking = ranking or [(key, confidence)]
    return gated({
        "text": text,
        "intent": {"name": "faq", "confidence": 0.99},
        "entities": entities or [],
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": key, "confidence": confidence},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in ranking],
            }
        },
    })


def test_confident_faq_answer(dialogue: Dialogue) -> None:
    reply = dialogue.answer_faq(faq_message("my cert expired", "faq/expiry_and_renewal", 0.93), "en")
    assert reply.response == "utter_faq_answer__expiry_and_renewal"
    assert reply.catalog_aspect == "expiry"


def test_an_unrelated_message_leaves_the_catalog_topic_as_it_was(dialogue: Dialogue) -> None:
    message = gated({"text": "ok", "intent": {"name": "out_of_scope", "confidence": 1.0}, "entities": []})
    reply = dialogue.answer(message, "expiry", "en")
    assert (reply.response, reply.catalog_aspect) == ("utter_out_of_scope", "expiry")


def test_faq_question_naming_a_certificate_gets_the_specific_answer(dialogue: Dialogue) -> None:
    message = faq_message("how long is a teacher certificate valid", "faq/expiry_and_renewal", 0.9)
    assert dialogue.answer_faq(message, "en").response == "utter_catalog_teacher__expiry"


def test_the_answer_follows_what_the_gate_found_not_the_text(dialogue: Dialogue) -> None:
    """The action server answers from the findings the Rasa server's gate put in the parsed
    message; it does not look for them again."""
    message = faq_message("how long is a teacher certificate valid", "faq/expiry_and_renewal", 0.9)
    found_lawyer = {**message, "scope": {**message["scope"], "entry": "lawyer"}}
    assert dialogue.answer_faq(found_lawyer, "en").response == "utter_catalog_lawyer__expiry"


def test_a_payload_the_gate_never_saw_is_answered_by_the_entry_its_entities_name(dialogue: Dialogue) -> None:
    payload = {"text": '/ask_certificate_needed{"profession": "lawyers"}', "intent": {"name": "ask_certificate_needed"},
               "entities": [{"entity": "profession", "value": "lawyers"}]}
    assert dialogue.answer(payload, None, "en").response == "utter_catalog_lawyer__needed"


def test_unsure_faq_offers_the_closest_entries_as_buttons(dialogue: Dialogue) -> None:
    ranking = [("faq/verify_authenticity", 0.41), ("faq/how_to_obtain", 0.38), ("faq/who_issues_certificates", 0.12),
               ("faq/career_benefits", 0.05)]
    reply = dialogue.answer_faq(faq_message("cert real?", "faq/verify_authenticity", 0.41, ranking), "en")
    assert reply.response == DID_YOU_MEAN
    assert [b["title"] for b in reply.buttons] == [
        "How can I verify that a certificate is genuine?",
        "How do I get a qualification certificate?",
        "Who issues qualification certificates?",
    ]
    assert reply.buttons[0]["payload"] == '/choose_entry{"entry_id":"verify_authenticity"}'


def test_suggestions_skip_candidates_below_the_minimum(dialogue: Dialogue) -> None:
    ranking = [("faq/verify_authenticity", 0.6), ("faq/how_to_obtain", 0.001)]
    reply = dialogue.suggest(faq_message("?", "faq/verify_authenticity", 0.6, ranking), "en")
    assert len(reply.buttons) == 1


def test_nothing_to_suggest_says_so(dialogue: Dialogue) -> None:
    assert dialogue.suggest({"text": "zzz"}, "en").response == NOT_UNDERSTOOD


def test_catalog_question_with_a_mention(dialogue: Dialogue) -> None:
    message = gated({"text": "do tour guides need a certificate", "intent": {"name": "ask_certificate_needed"},
                     "entities": [{"entity": "profession", "value": "tour guides"}]})
    reply = dialogue.answer_catalog(message, None, "en")
    assert (reply.response, reply.catalog_aspect) == ("utter_catalog_tour_guide__needed", "needed")


def test_catalog_question_without_a_mention_gets_the_general_answer(dialogue: Dialogue) -> None:
    message = gated({"text": "does my job need a certificate", "intent": {"name": "ask_certificate_needed"}})
    reply = dialogue.answer_catalog(message, None, "en")
    assert (reply.response, reply.catalog_aspect) == ("utter_faq_answer__jobs_requiring_certificate", "needed")


def test_follow_up_naming_an_unknown_job_says_so_with_the_general_rule(dialogue: Dialogue) -> None:
    message = gated({"text": "what about astronauts?", "intent": {"name": "inform"}})
    reply = dialogue.answer_catalog(message, "needed", "en")
    assert (reply.response, reply.catalog_aspect) == ("utter_unlisted__jobs_requiring_certificate", "needed")
    assert reply.values == {"name": "astronauts"}


def test_follow_up_naming_another_job_continues_the_topic(dialogue: Dialogue) -> None:
    message = gated({"text": "what about lawyers", "intent": {"name": "inform"}})
    assert dialogue.answer_catalog(message, "expiry", "en").response == "utter_catalog_lawyer__expiry"
    assert dialogue.answer_catalog(message, None, "en").response == "utter_catalog_lawyer__overview"


def test_inform_that_names_nothing_is_not_guessed(dialogue: Dialogue) -> None:
    message = gated({"text": "asdf qwer", "intent": {"name": "inform"}})
    assert dialogue.answer_catalog(message, None, "en").response == NOT_UNDERSTOOD


def test_choice_answers_faq_and_catalog_entries(dialogue: Dialogue) -> None:
    assert dialogue.answer_choice("career_benefits").response == "utter_faq_answer__career_benefits"
    assert dialogue.answer_choice("doctor").response == "utter_catalog_doctor__overview"
    assert dialogue.answer_choice("no_such_entry").response == NOT_UNDERSTOOD


def test_payload_is_what_rasa_parses() -> None:
    assert choose_entry_payload("a_b") == '/choose_entry{"entry_id":"a_b"}'
    assert choose_entry_payload("a_b", "validity") == '/choose_entry{"entry_id":"a_b","aspect":"validity"}'


def _unsure_about_an_entry(text: str, language: str = "en") -> dict[str, Any]:
    """A message naming the constructor certificate that the classifiers were unsure of:
    an FAQ question on obtaining one, or the catalog question on its validity."""
    message = faq_message(text, "faq/how_to_obtain", 0.5, [("faq/how_to_obtain", 0.5), ("faq/career_benefits", 0.3)],
                          entities=[{"entity": "certificate", "value": "二建", "start": 0, "end": 2}])
    return {**message, "intent": {"name": "nlu_fallback", "confidence": 0.5}, "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_certificate_expiry", "confidence": 0.4},
        {"name": "faq", "confidence": 0.35}, {"name": "ask_certificate_verify", "confidence": 0.05}]}


def test_unsure_about_a_named_entry_offers_its_likeliest_questions(dialogue: Dialogue, kb: KnowledgeBase) -> None:
    reply = dialogue.answer(_unsure_about_an_entry("二建审核不通过会怎样"), None, "zh")
    assert reply.response == DID_YOU_MEAN
    certificate = kb.catalog_entry("constructor").certificate["zh"]
    # By confidence: the validity question (0.4), obtaining (0.35 x 0.5), its value (0.35 x 0.3).
    assert [button["title"] for button in reply.buttons] == [
        f"{certificate}有效期多久？", f"怎样取得{certificate}？", f"{certificate}有什么用？"]
    assert reply.buttons[0]["payload"] == choose_entry_payload("constructor", "validity")


def test_a_named_entry_with_no_likely_question_is_offered_the_usual_ones(dialogue: Dialogue) -> None:
    message = gated({"text": "二建的事", "intent": {"name": "nlu_fallback", "confidence": 0.5},
                     "entities": [{"entity": "certificate", "value": "二建", "start": 0, "end": 2}]})
    payloads = [button["payload"] for button in dialogue.suggest(message, "zh").buttons]
    assert payloads == [choose_entry_payload("constructor", aspect) for aspect in ("needed", "validity", "verify")]


def test_an_unrelated_message_naming_a_certificate_is_asked_back_not_declined(dialogue: Dialogue) -> None:
    named = gated({"text": "我的二建证书被单位扣了", "intent": {"name": "out_of_scope", "confidence": 0.9},
                   "entities": [{"entity": "certificate", "value": "二建证", "start": 2, "end": 5}]})
    assert dialogue.answer(named, None, "zh").response == DID_YOU_MEAN
    # A job named, not its certificate: someone to hire, declined.
    hiring = gated({"text": "I need a lawyer for my divorce", "intent": {"name": "out_of_scope", "confidence": 0.9},
                    "entities": [{"entity": "profession", "value": "lawyer", "start": 9, "end": 15}]})
    assert dialogue.answer(hiring, None, "en").response == "utter_out_of_scope"


def test_a_button_about_an_entry_answers_what_it_asked(dialogue: Dialogue) -> None:
    pressed = {"text": choose_entry_payload("electrician", "verify"), "intent": {"name": "choose_entry"},
               "entities": [{"entity": "entry_id", "value": "electrician"}, {"entity": "aspect", "value": "verify"}]}
    reply = dialogue.answer(pressed, None, "en")
    assert (reply.response, reply.catalog_aspect) == ("utter_catalog_electrician__verify", "verify")
    # Its general rule where the entry has no answer of its own, marked as general.
    assert dialogue.answer_choice("electrician", "issuer", "zh").response == \
        "utter_entry_general__who_issues_certificates"
    # An aspect no button offers (a fee: not covered) gets the entry's overview.
    assert dialogue.answer_choice("electrician", "fees", "en").response == "utter_catalog_electrician__overview"


def test_every_entry_button_asks_in_both_languages(dialogue: Dialogue, kb: KnowledgeBase) -> None:
    for entry in kb.catalog:
        message = {"text": "?", FINDINGS_KEY: Findings.named_by_payload(entry.id).as_dict()}
        for language in ("en", "zh"):
            buttons = dialogue.suggest(message, language).buttons
            assert len(buttons) == 3
            for button in buttons:
                assert entry.certificate[language] in button["title"] and "{" not in button["title"]


def test_chinese_conversation_gets_chinese_suggestion_buttons(dialogue: Dialogue, kb: KnowledgeBase) -> None:
    ranking = [("faq/verify_authenticity", 0.41), ("faq/how_to_obtain", 0.38)]
    reply = dialogue.answer_faq(faq_message("证书真假?", "faq/verify_authenticity", 0.41, ranking), "zh")
    assert [b["title"] for b in reply.buttons] == [
        kb.faq_entry("verify_authenticity").question["zh"], kb.faq_entry("how_to_obtain").question["zh"]
    ]


def test_chinese_follow_up_names_another_job(dialogue: Dialogue) -> None:
    message = gated({"text": "那律师呢？", "intent": {"name": "inform"}, "entities": []})
    assert dialogue.answer_catalog(message, "expiry", "zh").response == "utter_catalog_lawyer__expiry"


def _unsure(text: str, ranking: list[tuple[str, float]]) -> dict[str, Any]:
    message = faq_message(text, "faq/verify_authenticity", 0.95,
                          [("faq/verify_authenticity", 0.4), ("faq/how_to_obtain", 0.3)])
    return {**message, "intent": {"name": "nlu_fallback", "confidence": 0.45},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}]
            + [{"name": name, "confidence": confidence} for name, confidence in ranking]}


def test_unsure_between_two_intents_with_the_same_answer_answers_it(dialogue: Dialogue) -> None:
    # An FAQ question or a catalog question: both answer how to verify a CPA certificate.
    message = _unsure("how would i spot a forged cpa certificate", [("faq", 0.3), ("ask_certificate_verify", 0.28)])
    assert dialogue.answer(message, None, "en").response == "utter_catalog_certified_public_accountant__verify"


def test_unsure_between_different_answers_or_with_little_confidence_asks(dialogue: Dialogue) -> None:
    differ = _unsure("how would i spot a forged cpa certificate", [("faq", 0.3), ("ask_certificate_needed", 0.28)])
    assert dialogue.answer(differ, None, "en").response == DID_YOU_MEAN
    weak = _unsure("how would i spot a forged cpa certificate", [("faq", 0.2), ("ask_certificate_verify", 0.1)])
    assert dialogue.answer(weak, None, "en").response == DID_YOU_MEAN
