"""The custom actions, run as the action server runs them."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import ActionAnswer
from bot.knowledge.model import KnowledgeBase
from tests.conftest import gated

# The user message of the turn, as the Rasa server sends it to the action server.
ASKED_AT = 1796606954.4660244


def tracker(latest_message: dict[str, Any], slots: dict[str, Any] | None = None) -> Tracker:
    events = [{"event": "user", "timestamp": ASKED_AT, "text": latest_message.get("text")}]
    return Tracker.from_dict(
        {"sender_id": "test", "slots": slots or {}, "latest_message": latest_message, "events": events,
         "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}
    )


def run(action: Any, latest_message: dict[str, Any], slots: dict[str, Any] | None = None):
    """Runs an action on a message parsed as the Rasa server parses it (with the gate's findings)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(gated(latest_message), slots), {}))
    return dispatcher.messages, events


def test_faq_action_utters_the_selected_answer_and_remembers_the_topic() -> None:
    message = {
        "text": "my certificate expired",
        "intent": {"name": "faq", "confidence": 0.98},
        "entities": [],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/expiry_and_renewal", "confidence": 0.95},
                                      "ranking": []}},
    }
    messages, events = run(ActionAnswer(), message, {"language": "zh"})
    assert [m["response"] for m in messages] == ["utter_faq_answer__expiry_and_renewal"]
    # Under the answer: "helpful?" in the conversation's language, about this message.
    assert [(b["title"], b["payload"]) for b in messages[0]["buttons"]] == [
        ("👍 有帮助", '/feedback{"helpful":"yes","answer_to":"1796606954.4660244"}'),
        ("👎 没帮助", '/feedback{"helpful":"no","answer_to":"1796606954.4660244"}')]
    # Telegram allows 64 bytes of button data.
    assert all(len(b["payload"].encode()) <= 64 for b in messages[0]["buttons"])
    assert events == [{"event": "slot", "timestamp": None, "name": "catalog_aspect", "value": "expiry"},
                      {"event": "slot", "timestamp": None, "name": "unhelpful_answers", "value": 0.0}]


def test_catalog_action_uses_the_pending_topic() -> None:
    message = {"text": "what about lawyers", "intent": {"name": "inform"},
               "entities": [{"entity": "profession", "value": "lawyers"}]}
    messages, _ = run(ActionAnswer(), message, {"catalog_aspect": "needed"})
    assert messages[0]["response"] == "utter_catalog_lawyer__needed"


def test_choice_action_reads_the_entry_id_entity() -> None:
    message = {"text": '/choose_entry{"entry_id": "who_issues_certificates"}', "intent": {"name": "choose_entry"},
               "entities": [{"entity": "entry_id", "value": "who_issues_certificates"}]}
    messages, _ = run(ActionAnswer(), message)
    assert messages[0]["response"] == "utter_faq_answer__who_issues_certificates"


def test_suggest_action_sends_buttons() -> None:
    ranking = [
        {"intent_response_key": "faq/how_to_obtain", "confidence": 0.3},
        {"intent_response_key": "faq/certificate_types", "confidence": 0.2},
    ]
    message = {
        "text": "certs?", "intent": {"name": "nlu_fallback"}, "entities": [],
        "response_selector": {"faq": {"response": ranking[0], "ranking": ranking}},
    }
    messages, _ = run(ActionAnswer(), message)
    assert messages[0]["response"] == "utter_did_you_mean"
    assert [b["payload"] for b in messages[0]["buttons"]] == [  # no "helpful?" under a question
        '/choose_entry{"entry_id":"how_to_obtain"}', '/choose_entry{"entry_id":"certificate_types"}',
    ]


def test_suggestion_buttons_follow_the_conversation_language(kb: KnowledgeBase) -> None:
    ranking = [{"intent_response_key": "faq/how_to_obtain", "confidence": 0.3}]
    message = {
        "text": "证书?", "intent": {"name": "nlu_fallback"}, "entities": [],
        "response_selector": {"faq": {"response": ranking[0], "ranking": ranking}},
    }
    messages, _ = run(ActionAnswer(), message, {"language": "zh"})
    assert [b["title"] for b in messages[0]["buttons"]] == [kb.faq_entry("how_to_obtain").question["zh"]]
    messages, _ = run(ActionAnswer(), message, {"language": None})
    assert [b["title"] for b in messages[0]["buttons"]] == [kb.faq_entry("how_to_obtain").question["en"]]


def test_placeholder_values_go_with_the_response() -> None:
    # Rasa fills the response's {name} from the values sent with it.
    message = {"text": "do welders need a certificate", "intent": {"name": "ask_certificate_needed"}, "entities": []}
    messages, events = run(ActionAnswer(), message)
    assert messages[0]["response"] == "utter_unlisted__jobs_requiring_certificate"
    assert messages[0]["name"] == "welders"
    # A certificate without an entry: an answer that could not quite help, counted.
    assert events == [{"event": "slot", "timestamp": None, "name": "catalog_aspect", "value": "needed"},
                      {"event": "slot", "timestamp": None, "name": "unhelpful_answers", "value": 1.0}]


def test_the_second_answer_in_a_row_that_could_not_help_offers_a_person(kb: KnowledgeBase) -> None:
    message = {"text": "do welders need a certificate", "intent": {"name": "ask_certificate_needed"}, "entities": []}
    messages, events = run(ActionAnswer(), message, {"unhelpful_answers": 1.0})
    assert messages[-1]["text"] == kb.conversation_replies["offer_person"]["en"]
    assert [button["payload"] for button in messages[-1]["buttons"]] == ["/ask_for_person"]
    assert events[-1]["value"] == 0.0  # counted afresh after the offer
    answered = {"text": "do tour guides need a certificate", "intent": {"name": "ask_certificate_needed"},
                "entities": []}
    messages, events = run(ActionAnswer(), answered, {"unhelpful_answers": 1.0})
    assert all(message.get("text") != kb.conversation_replies["offer_person"]["en"] for message in messages)
    assert events[-1]["value"] == 0.0
