"""The lookup form's validation and the lookup action, run as the action server runs them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.lookup import ActionLookupCertificate, ValidateCertificateLookupForm
from bot.certificates.demo import demo_records
from bot.certificates.store import open_database, upsert_certificates
from bot.dialogue import runtime


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    path = tmp_path / "certificates.db"
    upsert_certificates(open_database(path), demo_records(10, seed=1, today=date.today()))
    monkeypatch.setenv("BOT_DATABASE", str(path))
    monkeypatch.setenv("BOT_LIMITS_URL", f"sqlite:///{tmp_path / 'limits.db'}")
    monkeypatch.setenv("BOT_LOOKUPS_PER_CLIENT_PER_HOUR", "4")
    runtime.certificate_lookup.cache_clear()
    yield
    runtime.certificate_lookup.cache_clear()


def tracker(slots: dict[str, Any], client: str = "client-a") -> Tracker:
    latest = {"text": "", "intent": {}, "metadata": {"client": client}}
    return Tracker.from_dict({"sender_id": "t", "slots": slots, "latest_message": latest,
                              "events": [], "paused": False, "followup_action": None,
                              "active_loop": {"name": "certificate_lookup_form"}, "latest_action_name": None})


def test_numbers_are_normalized_or_asked_again() -> None:
    form, dispatcher = ValidateCertificateLookupForm(), CollectingDispatcher()
    assert form.validate_certificate_number(" demo-valid-0001 ", dispatcher, tracker({}), {}) == {
        "certificate_number": "DEMO-VALID-0001"}
    assert form.validate_certificate_number("12 34", dispatcher, tracker({}), {}) == {"certificate_number": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_lookup_invalid_number"]


def test_names_with_digits_are_refused() -> None:
    form, dispatcher = ValidateCertificateLookupForm(), CollectingDispatcher()
    assert form.validate_holder_name("  Wang   Xiaoming ", dispatcher, tracker({}), {}) == {
        "holder_name": "Wang Xiaoming"}
    assert form.validate_holder_name("110101199003077777", dispatcher, tracker({}), {}) == {"holder_name": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_lookup_invalid_name"]


def test_a_client_out_of_lookups_is_asked_nothing() -> None:
    form, action = ValidateCertificateLookupForm(), ActionLookupCertificate()
    required = ["certificate_number", "holder_name"]
    slots = {"certificate_number": "DEMO-VALID-0001", "holder_name": "Wang Xiaoming"}
    for _ in range(4):
        asyncio.run(action.run(CollectingDispatcher(), tracker(slots), {}))
    assert asyncio.run(form.required_slots(required, CollectingDispatcher(), tracker({}), {})) == []
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker({}), {}))
    assert dispatcher.messages[0]["response"] == "utter_lookup_client_limited"
    # Another client, as the channel names it in the message's metadata, is still asked.
    assert asyncio.run(form.required_slots(required, CollectingDispatcher(), tracker({}, "client-b"), {})) == required


def test_lookup_action_answers_by_state_and_clears_the_details() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"certificate_number": "DEMO-SUSPENDED-0001", "holder_name": "Liu Fang"}
    events = asyncio.run(ActionLookupCertificate().run(dispatcher, tracker(slots), {}))
    assert dispatcher.messages[0]["response"] == "utter_lookup_suspended"
    assert dispatcher.messages[0]["issuer"] == "Fictional Demo Certification Authority"
    assert {(e["name"], e["value"]) for e in events} == {("certificate_number", None), ("holder_name", None)}


def test_chinese_names_and_full_width_numbers_are_accepted() -> None:
    form, dispatcher = ValidateCertificateLookupForm(), CollectingDispatcher()
    assert form.validate_certificate_number("证书编号是ｄｅｍｏ－ｚｈ－０００２。", dispatcher, tracker({}), {}) == {
        "certificate_number": "DEMO-ZH-0002"}
    assert form.validate_holder_name("持证人叫刘洋", dispatcher, tracker({}), {}) == {"holder_name": "刘洋"}
    dotted = form.validate_holder_name("阿依古丽•买买提", dispatcher, tracker({}), {})
    assert dotted == {"holder_name": "阿依古丽·买买提"}
    assert dispatcher.messages == []


def test_chinese_lookup_masks_the_name_and_answers_in_chinese_words() -> None:
    dispatcher = CollectingDispatcher()
    slots = {"certificate_number": "DEMO-ZH-0003", "holder_name": "阿依古丽·买买提",
             "language": "zh"}
    asyncio.run(ActionLookupCertificate().run(dispatcher, tracker(slots), {}))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_lookup_valid"
    assert message["holder"] == "阿***·买**"
    assert "长期" in message["valid_until"]  # the zh words for long-term, not the English ones
