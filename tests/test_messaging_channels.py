"""Telegram and Slack end to end: the real Rasa server and action server, with the
platforms' APIs replaced by a local fake that records what the assistant posts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.telegram import TelegramOutput

from bot.dialogue.answering import choose_entry_payload
from bot.handoff.desk import Desk
from bot.handoff.store import OFFERED, WAITING, HandoffStore
from bot.knowledge.model import KnowledgeBase
from bot.processes.stack import StackConfig
from bot.protection.clients import client_identity
from bot.protection.shared_values import open_shared_values
from bot.review.outcomes import NOT_HELPFUL
from bot.review.store import Filters, ReviewStore
from bot.server.channels.slack import BUTTON_TEXT_CHARACTERS, SlackReplies, slack_signature
from bot.server.channels.telegram import BUTTON_DATA_BYTES, ButtonPayloads, TelegramReplies
from bot.settings import TelegramSettings
from tests.fake_platform import FakePlatform, fake_platform
from tests.servers import started_stack, user_metadata

TELEGRAM_TOKEN = "123456:TEST-token-for-the-fake-api"
TELEGRAM_SECRET = "test-secret_0123456789"
SLACK_SECRET = "test-signing-secret"
API_TOKEN = "test-api-token"


@pytest.fixture(scope="module")
def platform() -> Iterator[FakePlatform]:
    with fake_platform() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(trained_model: Path, platform: FakePlatform, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[StackConfig]:
    env = {
        "BOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "BOT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "BOT_TELEGRAM_WEBHOOK_URL": "https://assistant.example.org/webhooks/telegram/webhook",
        "BOT_TELEGRAM_API_BASE": platform.url,
        "BOT_SLACK_TOKEN": "xoxb-test-token",
        "BOT_SLACK_SIGNING_SECRET": SLACK_SECRET,
        "BOT_SLACK_API_BASE": f"{platform.url}/api/",
        "BOT_MESSAGES_PER_MINUTE": "3",  # each test's user sends fewer, but for the limit's own tests
    }
    with started_stack(trained_model, tmp_path_factory, env, api_token=API_TOKEN) as (config, _):
        yield config


def webhook(config: StackConfig, channel: str) -> str:
    return f"http://{config.host}:{config.rasa_port}/webhooks/{channel}/webhook"


def sent_to(platform: FakePlatform, method: str, key: str, recipient: str) -> list[str]:
    return [str(call.fields.get("text")) for call in platform.calls
            if call.method == method and str(call.fields.get(key)) == recipient]


def wait_for_texts(platform: FakePlatform, method: str, key: str, recipient: str, count: int = 1,
                   timeout: float = 30) -> list[str]:
    """The texts sent to `recipient`, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = sent_to(platform, method, key, recipient)
        if len(texts) >= count:
            return texts
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} texts were sent to {recipient} within {timeout} s")


def wait_for_text(platform: FakePlatform, method: str, key: str, recipient: str) -> str:
    return "\n\n".join(wait_for_texts(platform, method, key, recipient))


# --- Telegram ---

def telegram_update(chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": chat_id, "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Test"}}}


def post_telegram(config: StackConfig, update: dict[str, Any], secret: str | None) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return requests.post(webhook(config, "telegram"), json=update, headers=headers, timeout=10)


def test_telegram_webhook_is_registered_with_its_secret(stack: StackConfig, platform: FakePlatform) -> None:
    [call] = platform.wait_for("setWebhook")
    assert call.fields["url"] == "https://assistant.example.org/webhooks/telegram/webhook"
    assert call.fields["secret_token"] == TELEGRAM_SECRET


def test_telegram_message_is_acknowledged_at_once_and_answered(stack: StackConfig, platform: FakePlatform,
                                                               responses: dict[str, str]) -> None:
    platform.send_delay = 3.0  # a slow platform: the webhook must not wait for the reply
    try:
        started = time.monotonic()
        answer = post_telegram(stack, telegram_update(4001, "do tour guides need a certificate?"), TELEGRAM_SECRET)
        acknowledged_after = time.monotonic() - started
        assert answer.status_code == 200
        assert acknowledged_after < platform.send_delay
        assert wait_for_text(platform, "sendMessage", "chat_id", "4001") == responses[
            "utter_catalog_tour_guide__needed"]
    finally:
        platform.send_delay = 0.0


def test_telegram_start_command_is_greeted(stack: StackConfig, platform: FakePlatform,
                                           responses: dict[str, str]) -> None:
    assert post_telegram(stack, telegram_update(4003, "/start"), TELEGRAM_SECRET).status_code == 200
    assert wait_for_text(platform, "sendMessage", "chat_id", "4003") == responses["utter_greet"]


def test_telegram_button_press_is_answered(stack: StackConfig, platform: FakePlatform,
                                           responses: dict[str, str]) -> None:
    update = {"update_id": 4002, "callback_query": {
        "id": "cb-1", "chat_instance": "1", "data": choose_entry_payload("expiry_and_renewal"),
        "from": {"id": 4002, "is_bot": False, "first_name": "Test"},
        "message": {"message_id": 2, "date": int(time.time()), "chat": {"id": 4002, "type": "private"}}}}
    assert post_telegram(stack, update, TELEGRAM_SECRET).status_code == 200
    assert wait_for_text(platform, "sendMessage", "chat_id", "4002") == \
        responses["utter_faq_answer__expiry_and_renewal"]
    assert any(call.fields.get("callback_query_id") == "cb-1" for call in platform.wait_for("answerCallbackQuery"))


def test_telegram_button_too_long_for_telegram_is_sent_and_pressed_by_its_key(
        stack: StackConfig, platform: FakePlatform, responses: dict[str, str]) -> None:
    payload = choose_entry_payload("nuclear_safety_equipment_ndt_personnel", "verify")
    assert len(payload.encode()) > BUTTON_DATA_BYTES
    data = ButtonPayloads(open_shared_values(stack.settings.limits_url)).data(payload)
    assert len(data.encode()) <= BUTTON_DATA_BYTES
    update = {"update_id": 4007, "callback_query": {
        "id": "cb-3", "chat_instance": "1", "data": data,
        "from": {"id": 4007, "is_bot": False, "first_name": "Test"},
        "message": {"message_id": 4, "date": int(time.time()), "chat": {"id": 4007, "type": "private"}}}}
    assert post_telegram(stack, update, TELEGRAM_SECRET).status_code == 200
    assert wait_for_text(platform, "sendMessage", "chat_id", "4007") == \
        responses["utter_catalog_nuclear_safety_equipment_ndt_personnel__verify"]


def test_telegram_buttons_carry_long_payloads_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[list[dict[str, Any]]] = []

    async def record(self: Any, recipient_id: str, text: str, buttons: list[dict[str, Any]], *args: Any,
                     **kwargs: Any) -> None:
        sent.append(buttons)

    monkeypatch.setattr(TelegramOutput, "send_text_with_buttons", record)
    payloads = ButtonPayloads(open_shared_values(f"sqlite:///{tmp_path / 'values.db'}"))
    replies = TelegramReplies(TelegramSettings(token=TELEGRAM_TOKEN, webhook_url="https://example.org/webhook",
                                               secret_token=TELEGRAM_SECRET, api_base="http://127.0.0.1:9"), payloads)
    long, short = choose_entry_payload("nuclear_safety_equipment_ndt_personnel", "verify"), "/greet"
    asyncio.run(replies.send_text_with_buttons("1", "?", [{"title": "a", "payload": long},
                                                          {"title": "b", "payload": short}]))
    [[first, second]] = sent
    assert len(first["payload"].encode()) <= BUTTON_DATA_BYTES and second["payload"] == short
    assert payloads.payload(first["payload"]) == long and payloads.payload(short) == short


def test_slack_button_titles_fit_slack(monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase) -> None:
    """Slack refuses a message whose button text is over 75 characters: a long certificate name
    in a "did you mean" question is shortened."""
    sent: list[list[dict[str, Any]]] = []

    async def record(self: Any, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        sent.append(buttons)

    monkeypatch.setattr(SlackBot, "send_text_with_buttons", record)
    certificate = kb.catalog_entry("nuclear_safety_equipment_ndt_personnel").certificate["en"]
    long = f"How do I check that {certificate} is genuine?"
    assert len(long) > BUTTON_TEXT_CHARACTERS
    replies = SlackReplies("xoxb-test-token", None)
    asyncio.run(replies.send_text_with_buttons("C1", "?", [{"title": long, "payload": "/a"},
                                                           {"title": "Short", "payload": "/b"}]))
    [[first, second]] = sent
    assert len(first["title"]) == BUTTON_TEXT_CHARACTERS and first["title"].endswith("…")
    assert second["title"] == "Short" and first["payload"] == "/a"


def not_helpful_in_queue(stack: StackConfig, question: str) -> None:
    """Waits until `question` is in the review queue as marked not helpful."""
    store = ReviewStore(stack.settings.tracker_db_url)
    try:
        for _ in range(100):
            if any(question in group.wordings for group in store.groups(Filters(outcome=NOT_HELPFUL))):
                return
            time.sleep(0.1)
    finally:
        store.close()
    raise AssertionError(f"{question!r} did not reach the review queue as not helpful")


def test_telegram_answers_ask_if_they_helped_and_not_helpful_reaches_the_queue(
        stack: StackConfig, platform: FakePlatform, responses: dict[str, str]) -> None:
    question = "do security guards need a certificate?"
    assert post_telegram(stack, telegram_update(4005, question), TELEGRAM_SECRET).status_code == 200
    wait_for_text(platform, "sendMessage", "chat_id", "4005")
    [answer] = [call for call in platform.calls if call.method == "sendMessage" and call.fields["chat_id"] == "4005"]
    markup = answer.fields["reply_markup"]
    keyboard = json.loads(markup) if isinstance(markup, str) else markup
    buttons = [button for row in keyboard["inline_keyboard"] for button in row]
    assert [button["text"] for button in buttons] == ["👍 Helpful", "👎 Not helpful"]
    press = {"update_id": 4006, "callback_query": {
        "id": "cb-2", "chat_instance": "1", "data": buttons[1]["callback_data"],
        "from": {"id": 4005, "is_bot": False, "first_name": "Test"},
        "message": {"message_id": 3, "date": int(time.time()), "chat": {"id": 4005, "type": "private"}}}}
    assert post_telegram(stack, press, TELEGRAM_SECRET).status_code == 200
    assert wait_for_texts(platform, "sendMessage", "chat_id", "4005", count=2)[1] == responses["utter_feedback_thanks"]
    not_helpful_in_queue(stack, question)


def test_telegram_in_chinese(stack: StackConfig, platform: FakePlatform,
                             localized_responses: dict[str, dict[str, str]]) -> None:
    assert post_telegram(stack, telegram_update(4004, "做导游要不要证"), TELEGRAM_SECRET).status_code == 200
    assert wait_for_text(platform, "sendMessage", "chat_id", "4004") == localized_responses[
        "utter_catalog_tour_guide__needed"]["zh"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_SECRET + "x"])
def test_forged_telegram_updates_are_rejected_unanswered(stack: StackConfig, platform: FakePlatform,
                                                         secret: str | None) -> None:
    chat_id = 4100 + len(secret or "")
    answer = post_telegram(stack, telegram_update(chat_id, "do tour guides need a certificate?"), secret)
    assert answer.status_code == 403
    time.sleep(2)  # long enough for a reply that should not come
    assert sent_to(platform, "sendMessage", "chat_id", str(chat_id)) == []


def test_a_malformed_telegram_body_is_a_clear_400(stack: StackConfig) -> None:
    answer = requests.post(webhook(stack, "telegram"), data=b"not json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=10)
    assert answer.status_code == 400
    assert "not a Telegram update" in answer.text


def desk_of(stack: StackConfig, kb: KnowledgeBase) -> Desk:
    return Desk(HandoffStore(ReviewStore(stack.settings.tracker_db_url)), stack.settings, lambda: kb)


def test_a_telegram_chat_taken_by_staff_gets_their_messages_pushed(
        stack: StackConfig, platform: FakePlatform, kb: KnowledgeBase,
        localized_responses: dict[str, dict[str, str]]) -> None:
    """Issue #28: what staff write reaches the Telegram chat without a message from the user."""
    desk, replies = desk_of(stack, kb), kb.conversation_replies
    desk.store.set_available("alice", True)
    try:
        post_telegram(stack, telegram_update(4101, "转人工"), TELEGRAM_SECRET)
        assert wait_for_text(platform, "sendMessage", "chat_id", "4101").startswith("正在为您转接人工客服")
        handoff = desk.store.open_for("4101")
        assert handoff is not None and handoff.channel == "telegram"
        desk.take(handoff.id, "alice")
        assert wait_for_texts(platform, "sendMessage", "chat_id", "4101", count=2)[1] == replies["handoff_joined"]["zh"]
        desk.reply(handoff.id, "alice", "请问是哪本证书？")
        assert wait_for_texts(platform, "sendMessage", "chat_id", "4101", count=3)[2] == "人工客服：请问是哪本证书？"
        post_telegram(stack, telegram_update(4101, "焊工证过期了"), TELEGRAM_SECRET)
        for _ in range(100):
            if desk.store.lines(handoff.id)[-1].text == "焊工证过期了":
                break
            time.sleep(0.1)
        assert desk.store.lines(handoff.id)[-1].text == "焊工证过期了"
        desk.hand_back(handoff.id, "alice")
        assert wait_for_texts(platform, "sendMessage", "chat_id", "4101", count=4)[3] == \
            replies["handoff_handed_back"]["zh"]  # and nothing from the assistant in between
        post_telegram(stack, telegram_update(4101, "做导游要不要证"), TELEGRAM_SECRET)
        assert wait_for_texts(platform, "sendMessage", "chat_id", "4101", count=5)[4] == \
            localized_responses["utter_catalog_tour_guide__needed"]["zh"]
    finally:
        desk.store.set_available("alice", False)


def test_a_ticket_answered_from_the_shell_is_delivered_to_telegram(
        stack: StackConfig, platform: FakePlatform, kb: KnowledgeBase) -> None:
    desk = desk_of(stack, kb)
    handoff = desk.store.start("4102", "telegram", "4102", "zh", OFFERED, [])
    ticket_id = desk.store.create_ticket(handoff, "证书丢了怎么补办？", None)
    answered = subprocess.run([sys.executable, "-m", "bot", "tickets", "answer", str(ticket_id)],
                              input="请向发证机构申请补发。", capture_output=True, text=True, timeout=60,
                              env={**os.environ, **stack.settings.environment()})
    assert answered.returncode == 0, answered.stderr
    assert wait_for_text(platform, "sendMessage", "chat_id", "4102") == \
        kb.conversation_replies["handoff_ticket_answer"]["zh"].format(ticket=ticket_id, answer="请向发证机构申请补发。")
    for _ in range(100):
        if desk.store.ticket(ticket_id).delivery == "delivered":
            break
        time.sleep(0.1)
    assert desk.store.ticket(ticket_id).delivery == "delivered"


# --- Slack ---

def post_slack(config: StackConfig, body: dict[str, Any], secret: str = SLACK_SECRET,
               signed_at: float | None = None) -> requests.Response:
    raw = json.dumps(body).encode()
    timestamp = str(int(signed_at if signed_at is not None else time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": slack_signature(secret, timestamp, raw)}
    return requests.post(webhook(config, "slack"), data=raw, headers=headers, timeout=10)


def slack_message(channel: str, text: str) -> dict[str, Any]:
    return {"type": "event_callback", "event_id": f"Ev{channel}", "authorizations": [{"user_id": "UBOT"}],
            "event": {"type": "message", "channel_type": "im", "channel": channel, "user": f"U{channel}",
                      "text": text, "ts": f"{time.time():.6f}"}}


def test_slack_url_verification_echoes_the_challenge(stack: StackConfig) -> None:
    answer = post_slack(stack, {"type": "url_verification", "challenge": "abc123", "token": "x"})
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "abc123"}


def test_slack_message_is_acknowledged_at_once_and_answered(stack: StackConfig, platform: FakePlatform,
                                                            responses: dict[str, str]) -> None:
    platform.send_delay = 3.0
    try:
        started = time.monotonic()
        answer = post_slack(stack, slack_message("D5001", "what is the difference between a qualification and "
                                                          "a practice license?"))
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < platform.send_delay
        reply = wait_for_text(platform, "chat.postMessage", "channel", "D5001")
    finally:
        platform.send_delay = 0.0
    assert reply == responses["utter_faq_answer__certificate_vs_practice_license"]
    [call] = [c for c in platform.calls if c.fields.get("channel") == "D5001"]
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"


def test_slack_answers_ask_if_they_helped_and_not_helpful_reaches_the_queue(
        stack: StackConfig, platform: FakePlatform, responses: dict[str, str]) -> None:
    question = "how do I check that a certificate is genuine?"
    assert post_slack(stack, slack_message("D5003", question)).status_code == 200
    wait_for_text(platform, "chat.postMessage", "channel", "D5003")
    [answer] = [call for call in platform.calls if call.fields.get("channel") == "D5003"]
    blocks = answer.fields["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = [element for block in blocks if block["type"] == "actions" for element in block["elements"]]
    assert [button["text"]["text"] for button in buttons] == ["👍 Helpful", "👎 Not helpful"]
    press = {"type": "block_actions", "user": {"id": "UD5003"}, "channel": {"id": "D5003"},
             "actions": [{"type": "button", "value": buttons[1]["value"]}]}
    raw = urlencode({"payload": json.dumps(press)}).encode()
    timestamp = str(int(time.time()))
    pressed = requests.post(webhook(stack, "slack"), data=raw, timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(SLACK_SECRET, timestamp, raw)})
    assert pressed.status_code == 200, pressed.text
    assert wait_for_texts(platform, "chat.postMessage", "channel", "D5003", count=2)[1] == \
        responses["utter_feedback_thanks"]
    not_helpful_in_queue(stack, question)


def test_a_slack_chat_taken_by_staff_gets_their_messages_in_its_channel(
        stack: StackConfig, platform: FakePlatform, kb: KnowledgeBase) -> None:
    desk, replies = desk_of(stack, kb), kb.conversation_replies
    desk.store.set_available("alice", True)
    try:
        assert post_slack(stack, slack_message("D5401", "talk to a person")).status_code == 200
        assert wait_for_text(platform, "chat.postMessage", "channel", "D5401").startswith(
            "I have asked a member of staff")
        handoff = desk.store.in_states(WAITING)[-1]
        assert (handoff.channel, handoff.address) == ("slack", "D5401")
        desk.take(handoff.id, "alice")
        desk.reply(handoff.id, "alice", "Hello from the staff.")
        assert wait_for_texts(platform, "chat.postMessage", "channel", "D5401", count=3)[1:] == [
            replies["handoff_joined"]["en"], "Staff: Hello from the staff."]
        desk.hand_back(handoff.id, "alice")
        assert wait_for_texts(platform, "chat.postMessage", "channel", "D5401", count=4)[3] == \
            replies["handoff_handed_back"]["en"]
    finally:
        desk.store.set_available("alice", False)


def test_slack_in_chinese(stack: StackConfig, platform: FakePlatform,
                          localized_responses: dict[str, dict[str, str]]) -> None:
    assert post_slack(stack, slack_message("D5002", "资格证书和执业证书有啥区别")).status_code == 200
    assert wait_for_text(platform, "chat.postMessage", "channel", "D5002") == localized_responses[
        "utter_faq_answer__certificate_vs_practice_license"]["zh"]


@pytest.mark.parametrize(
    ("channel", "secret", "signed_seconds_ago"),
    [
        ("D5101", "not-the-signing-secret", 0),  # forged signature
        ("D5102", SLACK_SECRET, 10 * 60),  # genuine but replayed after the 5-minute window
        ("D5103", SLACK_SECRET, -10 * 60),  # stamped in the future
    ],
)
def test_forged_or_replayed_slack_requests_are_rejected_unanswered(
    stack: StackConfig, platform: FakePlatform, channel: str, secret: str, signed_seconds_ago: int,
) -> None:
    answer = post_slack(stack, slack_message(channel, "do tour guides need a certificate?"), secret=secret,
                        signed_at=time.time() - signed_seconds_ago)
    assert answer.status_code == 401
    time.sleep(2)
    assert sent_to(platform, "chat.postMessage", "channel", channel) == []


def test_an_unsigned_slack_request_is_rejected(stack: StackConfig) -> None:
    answer = requests.post(webhook(stack, "slack"), json=slack_message("D5200", "hello"), timeout=10)
    assert answer.status_code == 401


# --- Both: who the client is, and its rate limit ---

def test_a_telegram_user_over_the_limit_gets_a_short_reply(stack: StackConfig, platform: FakePlatform,
                                                           responses: dict[str, str]) -> None:
    for _ in range(4):
        assert post_telegram(stack, telegram_update(4300, "thanks"), TELEGRAM_SECRET).status_code == 200
        time.sleep(0.3)
    assert sorted(wait_for_texts(platform, "sendMessage", "chat_id", "4300", count=4)) == sorted(
        [responses["utter_youre_welcome"]] * 3 + [responses["utter_rate_limited"]])
    # The platform's user id is the client.
    clients = {metadata["client"] for metadata in user_metadata(stack, "4300", API_TOKEN)}
    assert clients == {client_identity("telegram", platform_user="4300")}


def test_a_slack_user_over_the_limit_gets_a_short_reply(stack: StackConfig, platform: FakePlatform,
                                                        responses: dict[str, str]) -> None:
    for _ in range(4):
        assert post_slack(stack, slack_message("D5300", "thanks")).status_code == 200
        time.sleep(0.3)
    assert sorted(wait_for_texts(platform, "chat.postMessage", "channel", "D5300", count=4)) == sorted(
        [responses["utter_youre_welcome"]] * 3 + [responses["utter_rate_limited"]])
    clients = {metadata["client"] for metadata in user_metadata(stack, "UD5300", API_TOKEN)}
    assert clients == {client_identity("slack", platform_user="UD5300")}


# --- Rasa's HTTP API, turned on (as the debug shell does) ---

def test_the_http_api_needs_its_token(stack: StackConfig) -> None:
    url = f"http://{stack.host}:{stack.rasa_port}/conversations/someone/tracker"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=5).status_code == 401
    assert requests.get(url, params={"token": API_TOKEN}, timeout=5).status_code == 200
