"""WeChat end to end: the real Rasa server and action server, posted to as WeChat posts, in
plaintext and in safe mode, with WeChat's API replaced by a local fake."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.knowledge.model import KnowledgeBase
from bot.knowledge.routing import REMOVED
from bot.processes.stack import StackConfig
from bot.text import HAN_CHARACTER
from tests.conftest import VAGUE_MESSAGES
from tests.fake_platform import FakePlatform, fake_platform
from tests.fake_registry import RECORD, running_registry
from tests.servers import started_stack
from tests.wechat_requests import WechatSender, event_xml, image_xml, new_id, signature, text_xml, voice_xml

TOKEN = "wechat-test-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
API_TOKEN = "test-api-token"
# A lookup's registry answers after this long: later than WeChat's own request may wait.
REGISTRY_DELAY = 5.0
MESSAGES_PER_MINUTE = 4


def wechat_env(platform: FakePlatform, **more: str) -> dict[str, str]:
    return {"BOT_WECHAT_TOKEN": TOKEN, "BOT_WECHAT_APP_ID": APP_ID, "BOT_WECHAT_APP_SECRET": "test-app-secret",
            "BOT_WECHAT_API_BASE": f"{platform.url}/cgi-bin/", **more}


def webhook(config: StackConfig) -> str:
    return f"http://{config.host}:{config.rasa_port}/webhooks/wechat/webhook"


def follower() -> str:
    return f"o{uuid.uuid4().hex[:27]}"  # an openid's length and look


def conversation(config: StackConfig, openid: str) -> list[dict[str, Any]]:
    tracker = requests.get(f"http://{config.host}:{config.rasa_port}/conversations/{openid}/tracker",
                           params={"token": API_TOKEN}, timeout=10).json()
    return list(tracker["events"])


def user_texts(config: StackConfig, openid: str) -> list[str]:
    return [event.get("text") or "" for event in conversation(config, openid) if event["event"] == "user"]


def wait_for_sent(platform: FakePlatform, openid: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = platform.wechat_sent(openid)
        if len(sent) >= count:
            return sent
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} customer-service messages reached {openid} within {timeout} s")


# --- plaintext mode ---

@pytest.fixture(scope="module")
def platform() -> Iterator[FakePlatform]:
    with fake_platform() as fake:
        yield fake


@pytest.fixture(scope="module")
def plain(trained_model: Path, platform: FakePlatform, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[StackConfig, WechatSender]]:
    # Each test's follower sends fewer messages, but for the limit's own test.
    env = wechat_env(platform, BOT_MESSAGES_PER_MINUTE=str(MESSAGES_PER_MINUTE))
    with started_stack(trained_model, tmp_path_factory, env, api_token=API_TOKEN) as (config, _):
        yield config, WechatSender(webhook(config), TOKEN, APP_ID)


def test_the_address_check_echoes_only_when_signed(plain: tuple[StackConfig, WechatSender]) -> None:
    config, _ = plain
    timestamp, nonce = str(int(time.time())), "12345"
    params = {"timestamp": timestamp, "nonce": nonce, "echostr": "echo-4711",
              "signature": signature(TOKEN, timestamp, nonce)}
    answer = requests.get(webhook(config), params=params, timeout=10)
    assert (answer.status_code, answer.text) == (200, "echo-4711")
    forged = requests.get(webhook(config), params={**params, "signature": signature("other", timestamp, nonce)},
                          timeout=10)
    assert forged.status_code == 403 and "echo-4711" not in forged.text


@pytest.mark.parametrize(("text", "language"), [("做导游要不要证", "zh"), ("do tour guides need a certificate?", "en")])
def test_a_message_is_answered_in_its_language_in_the_reply(plain: tuple[StackConfig, WechatSender],
                                                            platform: FakePlatform, text: str, language: str,
                                                            localized_responses: dict[str, dict[str, str]]) -> None:
    _, sender = plain
    openid = follower()
    reply = sender.reply_text(sender.post(text_xml(openid, text)))
    assert reply == localized_responses["utter_catalog_tour_guide__needed"][language]
    assert platform.wechat_sent(openid) == []  # answered once, in the reply


@pytest.mark.parametrize("forgery", ["wrong token", "tampered signature", "stale", "unsigned"])
def test_forged_or_stale_messages_get_403_and_no_answer(plain: tuple[StackConfig, WechatSender],
                                                        platform: FakePlatform, forgery: str) -> None:
    config, sender = plain
    openid = follower()
    xml = text_xml(openid, "做导游要不要证")
    if forgery == "wrong token":
        answer = sender.post(xml, token="not-the-token")
    elif forgery == "tampered signature":
        answer = sender.post(xml, tamper=True)
    elif forgery == "stale":  # signed correctly, but 10 minutes ago: a replay
        answer = sender.post(xml, signed_at=time.time() - 600)
    else:
        answer = requests.post(webhook(config), data=xml.encode(), timeout=10)
    assert answer.status_code == 403
    assert "导游" not in answer.text
    time.sleep(1)  # long enough for a reply that should not come
    assert platform.wechat_sent(openid) == []
    assert user_texts(config, openid) == []


def test_a_message_sent_three_times_is_answered_once(plain: tuple[StackConfig, WechatSender],
                                                     platform: FakePlatform) -> None:
    config, sender = plain
    openid, msg_id = follower(), new_id()
    answers: list[requests.Response] = []
    xml = text_xml(openid, "证书过期了怎么办", msg_id)
    senders = [threading.Thread(target=lambda: answers.append(sender.post(xml))) for _ in range(3)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(30)
    replies = [sender.reply_text(answer) for answer in answers]
    assert len([reply for reply in replies if reply]) == 1, replies
    assert sender.reply_text(sender.post(xml)) is None  # a late repeat
    time.sleep(1)
    assert platform.wechat_sent(openid) == []
    assert user_texts(config, openid) == ["证书过期了怎么办"]


def test_a_new_follower_is_greeted_in_chinese_and_unsubscribing_is_ignored(
        plain: tuple[StackConfig, WechatSender], platform: FakePlatform,
        localized_responses: dict[str, dict[str, str]]) -> None:
    config, sender = plain
    openid = follower()
    assert sender.reply_text(sender.post(event_xml(openid, "subscribe"))) == localized_responses["utter_greet"]["zh"]
    assert sender.reply_text(sender.post(event_xml(openid, "unsubscribe"))) is None
    assert len(user_texts(config, openid)) == 1


def test_a_message_without_a_language_is_answered_in_chinese(plain: tuple[StackConfig, WechatSender]) -> None:
    """Followers are Chinese unless they write English (elsewhere the default is English)."""
    _, sender = plain
    reply = sender.reply_text(sender.post(text_xml(follower(), "ok")))
    assert reply and HAN_CHARACTER.search(reply), reply


def test_a_voice_message_is_answered_by_its_recognized_text(plain: tuple[StackConfig, WechatSender],
                                                            localized_responses: dict[str, dict[str, str]]) -> None:
    _, sender = plain
    reply = sender.reply_text(sender.post(voice_xml(follower(), "做导游要不要证？")))
    assert reply == localized_responses["utter_catalog_tour_guide__needed"]["zh"]


def test_a_picture_gets_a_polite_text_only_reply(plain: tuple[StackConfig, WechatSender]) -> None:
    _, sender = plain
    reply = sender.reply_text(sender.post(image_xml(follower())))
    assert reply is not None and "文字" in reply


def test_choices_are_numbered_and_a_number_chooses(plain: tuple[StackConfig, WechatSender], kb: KnowledgeBase,
                                                   responses: dict[str, str]) -> None:
    _, sender = plain
    for vague in VAGUE_MESSAGES:
        openid = follower()
        reply = sender.reply_text(sender.post(text_xml(openid, vague)))
        if reply and reply.startswith(responses["utter_did_you_mean"]):
            break
    else:
        pytest.fail(f"none of {VAGUE_MESSAGES} was answered with choices")
    lines = reply.splitlines()
    assert lines[1].startswith("1. ") and lines[2].startswith("2. ")
    assert lines[-1] == "Reply with the number of your choice."
    [second] = [entry.id for entry in kb.faq if entry.question["en"] == lines[2][3:]]
    answer = sender.reply_text(sender.post(text_xml(openid, "２")))  # typed full-width, as Chinese keyboards do
    assert answer == responses[f"utter_faq_answer__{second}"]
    # The choices were used: a later number is a message like any other.
    assert sender.reply_text(sender.post(text_xml(openid, "2"))) != answer


def test_a_follower_over_the_rate_limit_is_told_so_in_chinese(plain: tuple[StackConfig, WechatSender],
                                                               localized_responses: dict[str, dict[str, str]]) -> None:
    _, sender = plain
    openid = follower()
    replies = [sender.reply_text(sender.post(text_xml(openid, "证书过期了怎么办")))
               for _ in range(MESSAGES_PER_MINUTE + 1)]
    assert replies[0] == localized_responses["utter_faq_answer__expiry_and_renewal"]["zh"]
    assert replies[-1] == localized_responses["utter_rate_limited"]["zh"]


def test_the_channel_reports_its_health(plain: tuple[StackConfig, WechatSender]) -> None:
    config, _ = plain
    assert requests.get(f"http://{config.host}:{config.rasa_port}/webhooks/wechat/", timeout=10).json() == {
        "status": "ok"}


# --- safe mode, and a slow lookup ---

@pytest.fixture(scope="module")
def safe(trained_model: Path, platform: FakePlatform, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[StackConfig, WechatSender, Any]]:
    with running_registry() as registry:
        env = wechat_env(platform, BOT_WECHAT_AES_KEY=AES_KEY, BOT_LOOKUP_BACKEND="http",
                         BOT_REGISTRY_URL=registry.url, BOT_REGISTRY_TIMEOUT="8", BOT_REGISTRY_RETRIES="0",
                         BOT_ACTION_TIMEOUT="10")
        with started_stack(trained_model, tmp_path_factory, env, api_token=API_TOKEN) as (config, _):
            yield config, WechatSender(webhook(config), TOKEN, APP_ID, AES_KEY), registry


def test_safe_mode_answers_with_an_encrypted_reply(safe: tuple[StackConfig, WechatSender, Any],
                                                   localized_responses: dict[str, dict[str, str]]) -> None:
    _, sender, _ = safe
    answer = sender.post(text_xml(follower(), "证书过期了怎么办"))
    assert "<Encrypt>" in answer.text
    assert sender.reply_text(answer) == localized_responses["utter_faq_answer__expiry_and_renewal"]["zh"]


@pytest.mark.parametrize("forgery", ["plaintext", "tampered", "wrong token", "stale"])
def test_safe_mode_refuses_what_is_not_encrypted_by_wechat(safe: tuple[StackConfig, WechatSender, Any],
                                                           platform: FakePlatform, forgery: str) -> None:
    config, sender, _ = safe
    openid = follower()
    xml = text_xml(openid, "证书过期了怎么办")
    answer = {"plaintext": lambda: sender.post(xml, encrypt=False),
              "tampered": lambda: sender.post(xml, tamper=True),
              "wrong token": lambda: sender.post(xml, token="not-the-token"),
              "stale": lambda: sender.post(xml, signed_at=time.time() - 600)}[forgery]()
    assert answer.status_code == 403
    time.sleep(1)
    assert platform.wechat_sent(openid) == [] and user_texts(config, openid) == []


def test_a_slow_lookup_is_sent_through_the_customer_service_api(safe: tuple[StackConfig, WechatSender, Any],
                                                                platform: FakePlatform) -> None:
    config, sender, registry = safe
    openid = follower()
    assert "编号" in (sender.reply_text(sender.post(text_xml(openid, "查证书"))) or "")
    assert "姓名" in (sender.reply_text(sender.post(text_xml(openid, RECORD["certificate_number"]))) or "")
    registry.script = [(200, {"certificate": RECORD}, REGISTRY_DELAY)]
    started = time.monotonic()
    acknowledged = sender.post(text_xml(openid, RECORD["holder_name"]))
    assert time.monotonic() - started < 4.8  # within WeChat's 5 s
    assert sender.reply_text(acknowledged) is None  # "success": WeChat sends it no more
    [sent] = wait_for_sent(platform, openid)
    assert sent["msgtype"] == "text" and RECORD["valid_until"] in sent["text"]["content"]
    # The stored conversation keeps that a lookup happened, not whom it looked up.
    # (The prompt's example number is the same as this one: the user's messages and slots are checked.)
    typed = json.dumps([event for event in conversation(config, openid) if event["event"] in ("user", "slot")],
                       ensure_ascii=False)
    assert RECORD["certificate_number"] not in typed and RECORD["holder_name"] not in typed
    assert user_texts(config, openid) == ["查证书", REMOVED, REMOVED]
