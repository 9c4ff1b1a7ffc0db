"""How the assistant answers a parsed message: answer, specific answer, or suggestions."""

from __future__ import annotations

from typing import Any

from bot.dialogue.answering import Dialogue, choose_entry_payload
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import DID_YOU_MEAN, NOT_UNDERSTOOD
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
    assert reply.buttons[0]["payload"] == '/choose_entry{"entry_id": "verify_authenticity"}'


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
    assert choose_entry_payload("a_b") == '/choose_entry{"entry_id": "a_b"}'


def test_every_suggestion_button_fits_telegram(kb: KnowledgeBase) -> None:
    """Telegram refuses a button whose callback data is over 64 bytes, and with it the reply:
    keep FAQ ids short enough."""
    too_long = [entry.id for entry in kb.faq if len(choose_entry_payload(entry.id).encode()) > 64]
    assert too_long == [], f"FAQ ids too long for Telegram buttons (shorten them): {too_long}"


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
