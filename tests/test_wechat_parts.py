"""The WeChat channel's parts that need no assistant: its settings, the values its processes
share, the access token they share, and how replies become WeChat text."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.errors import SettingsError
from bot.protection.client_limits import ClientLimits
from bot.protection.clients import client_identity
from bot.protection.counter_store import open_limit_storage
from bot.protection.shared_values import SharedValues, open_shared_values
from bot.server.channels.wechat import WechatInput
from bot.server.channels.wechat_api import WechatApi
from bot.server.channels.wechat_text import TEXT_LIMIT_BYTES, Choice, Message, single_text, split_text
from bot.settings import WechatSettings, load_settings
from tests.fake_platform import FakePlatform, fake_platform

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of the local Redis that nothing else uses
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT = {"BOT_WECHAT_TOKEN": "token", "BOT_WECHAT_APP_ID": "wx123", "BOT_WECHAT_APP_SECRET": "app-secret-value"}


# --- settings ---

def test_the_channel_is_off_until_configured() -> None:
    assert load_settings({}).server.wechat is None


@pytest.mark.parametrize(("given", "missing"), [
    ({"BOT_WECHAT_TOKEN": "t"}, "BOT_WECHAT_APP_ID, BOT_WECHAT_APP_SECRET"),
    ({"BOT_WECHAT_APP_ID": "wx1", "BOT_WECHAT_APP_SECRET": "s"}, "BOT_WECHAT_TOKEN"),
    ({"BOT_WECHAT_AES_KEY": AES_KEY}, "BOT_WECHAT_TOKEN, BOT_WECHAT_APP_ID, BOT_WECHAT_APP_SECRET"),
])
def test_a_half_configured_channel_stops_the_start_naming_what_is_missing(given: dict[str, str],
                                                                           missing: str) -> None:
    with pytest.raises(SettingsError, match=f"needs {missing}$"):
        load_settings(given)


def test_safe_mode_needs_a_real_encoding_aes_key() -> None:
    with pytest.raises(SettingsError, match="BOT_WECHAT_AES_KEY must be .* 43 letters and digits"):
        load_settings({**WECHAT, "BOT_WECHAT_AES_KEY": "too-short"})
    settings = load_settings({**WECHAT, "BOT_WECHAT_AES_KEY": AES_KEY}).server.wechat
    assert settings is not None and settings.safe_mode
    plain = load_settings(WECHAT).server.wechat
    assert plain is not None and not plain.safe_mode
    assert plain.api_base == "https://api.weixin.qq.com/cgi-bin/"


def test_the_settings_pass_to_child_processes() -> None:
    settings = load_settings({**WECHAT, "BOT_WECHAT_AES_KEY": AES_KEY, "BOT_WECHAT_REPLY_SECONDS": "3.5"})
    assert load_settings(settings.environment()) == settings


# --- values shared by processes ---

@pytest.fixture(params=["sqlite", "redis"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        yield REDIS_URL
    else:
        yield f"sqlite:///{tmp_path / 'shared.db'}"


def _claim(url: str, key: str, results: multiprocessing.Queue[bool], start: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    values = open_shared_values(url)
    start.wait()
    results.put(values.add(key, "taken", 60))


def test_of_processes_claiming_one_message_exactly_one_gets_it(shared_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    results, start = context.Queue(), context.Event()
    workers = [context.Process(target=_claim, args=(shared_url, "wechat:message:1", results, start))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    claimed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert sorted(claimed) == [False, False, False, True]


def test_a_value_expires_and_is_removed_only_by_its_owner(shared_url: str) -> None:
    values = open_shared_values(shared_url)
    assert values.add("lock", "me", 0.2)
    values.remove("lock", "someone else")
    assert values.get("lock") == "me"
    assert not values.add("lock", "other", 60)
    time.sleep(0.3)
    assert values.get("lock") is None
    assert values.add("lock", "other", 60)
    values.remove("lock", "other")
    assert values.get("lock") is None


# --- the shared access token ---

def _settings(platform: FakePlatform) -> WechatSettings:
    settings = load_settings({**WECHAT, "BOT_WECHAT_API_BASE": f"{platform.url}/cgi-bin/"}).server.wechat
    assert settings is not None
    return settings


def _send_from_process(url: str, api_base: str, openid: str, start: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    settings = load_settings({**WECHAT, "BOT_WECHAT_API_BASE": api_base}).server.wechat
    assert settings is not None
    api = WechatApi(settings, open_shared_values(url))
    start.wait()
    api.send_text(openid, "你好")


def test_two_processes_share_one_access_token(shared_url: str) -> None:
    with fake_platform() as platform:
        context = multiprocessing.get_context("spawn")
        start = context.Event()
        workers = [context.Process(target=_send_from_process,
                                   args=(shared_url, f"{platform.url}/cgi-bin/", f"openid-{n}", start))
                   for n in range(2)]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(60)
        assert [worker.exitcode for worker in workers] == [0, 0]
        assert len([call for call in platform.calls if call.method == "token"]) == 1
        assert platform.wechat_sent("openid-0") and platform.wechat_sent("openid-1")


def test_a_rejected_token_is_replaced_once_and_the_message_sent(shared_url: str) -> None:
    with fake_platform() as platform:
        api = WechatApi(_settings(platform), open_shared_values(shared_url))
        api.send_text("openid-a", "第一条")
        platform.expire_wechat_token()
        api.send_text("openid-a", "第二条")
        assert platform.wechat_tokens == ["token-1", "token-2"]
        assert [sent["text"]["content"] for sent in platform.wechat_sent("openid-a")] == ["第一条", "第二条"]
        # A token the platform rejects again is not fetched over and over.
        platform.expire_wechat_token()
        api.tokens.replace("token-2")
        assert platform.wechat_tokens == ["token-1", "token-2", "token-3"]


def test_a_token_close_to_its_end_is_replaced_before_it_expires(shared_url: str) -> None:
    with fake_platform() as platform:
        values: SharedValues = open_shared_values(shared_url)
        api = WechatApi(_settings(platform), values)
        api.send_text("openid-b", "一")
        key = "wechat:access-token:wx123"
        values.put(key, json.dumps({"value": "token-1", "expires_at": time.time() + 60}), 60)
        api.send_text("openid-b", "二")
        assert platform.wechat_tokens == ["token-1", "token-2"]
        assert len(platform.wechat_sent("openid-b")) == 2


def test_the_token_and_secret_never_reach_a_log(shared_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with fake_platform() as platform, caplog.at_level(logging.DEBUG):
        api = WechatApi(_settings(platform), open_shared_values(shared_url))
        api.send_text("openid-c", "你好")
        platform.expire_wechat_token()
        api.send_text("openid-c", "再见")
    assert "access_token=[redacted]" in caplog.text  # requests were logged...
    for secret in ("token-1", "token-2", "app-secret-value"):
        assert secret not in caplog.text  # ...without what they carried


# --- replies as WeChat text ---

def test_a_long_answer_is_split_between_sentences_within_the_limit() -> None:
    sentence = "持证上岗是法定要求，证书应当在有效期内使用。"
    text = sentence * 150 + "\n\n" + "Check it with the issuing authority. " * 80
    parts = split_text(text)
    assert len(parts) > 2
    assert all(len(part.encode()) <= TEXT_LIMIT_BYTES for part in parts)
    assert all(part.endswith(("。", ".")) for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_a_short_answer_is_one_part() -> None:
    assert split_text("导游需要持证。") == ["导游需要持证。"]


def test_choices_are_numbered_across_the_reply() -> None:
    reply = single_text([
        Message("我不太确定您的意思。您是想问下面哪一个？",
                (Choice("证书过期怎么办", "/a"), Choice("怎样核实证书", "/b"))),
    ])
    assert reply == "我不太确定您的意思。您是想问下面哪一个？\n1. 证书过期怎么办\n2. 怎样核实证书\n回复序号即可选择。"
    assert single_text([Message("很长的回答。" * 400)]) is None  # does not fit in one message


# --- replies sent later, through the customer-service API ---

def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Runs `coroutine` on a loop of its own thread: the browser tests' Playwright keeps a loop
    running in the main thread for the whole session, where asyncio.run refuses to start one."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()


def _channel(platform: FakePlatform, tmp_path: Path) -> WechatInput:
    settings = _settings(platform)
    limits = ClientLimits(load_settings({}).server, open_limit_storage("memory://"), "memory://")
    return WechatInput(settings, limits, open_shared_values(f"sqlite:///{tmp_path / 'shared.db'}"))


def test_choices_sent_later_are_a_menu_and_a_click_chooses(tmp_path: Path) -> None:
    with fake_platform() as platform:
        channel = _channel(platform, tmp_path)
        offer = Message("我不太确定您的意思。您是想问下面哪一个？",
                        (Choice("证书过期怎么办", "/a"), Choice("怎样核实证书", "/b")))
        run(channel.send_by_api("openid-m", [offer]))
        [menu] = platform.wechat_sent("openid-m")
        assert menu["msgtype"] == "msgmenu"
        assert menu["msgmenu"]["head_content"] == offer.text
        items = menu["msgmenu"]["list"]
        assert [item["content"] for item in items] == ["证书过期怎么办", "怎样核实证书"]
        client = client_identity("wechat", platform_user="openid-m")
        assert channel.chosen_text(client, "怎样核实证书", items[1]["id"]) == "/b"
        # The choices are used up: a second click is the question's words, which are understood too.
        assert channel.chosen_text(client, "证书过期怎么办", items[0]["id"]) == "证书过期怎么办"


def test_a_click_on_an_older_menu_is_taken_as_its_words(tmp_path: Path) -> None:
    with fake_platform() as platform:
        channel = _channel(platform, tmp_path)
        run(channel.send_by_api("openid-o", [Message("哪一个？", (Choice("旧问题", "/old"),))]))
        [old] = platform.wechat_sent("openid-o")
        run(channel.send_by_api("openid-o", [Message("哪一个？", (Choice("新问题", "/new"),))]))
        client = client_identity("wechat", platform_user="openid-o")
        assert channel.chosen_text(client, "旧问题", old["msgmenu"]["list"][0]["id"]) == "旧问题"


def test_a_long_reply_sent_later_is_several_messages_in_order(tmp_path: Path) -> None:
    with fake_platform() as platform:
        channel = _channel(platform, tmp_path)
        long_answer = "".join(f"第{number}句说明证书的规定。" for number in range(400))
        run(channel.send_by_api("openid-l", [Message(long_answer), Message("来源：国家职业资格目录。")]))
        sent = [message["text"]["content"] for message in platform.wechat_sent("openid-l")]
        assert len(sent) >= 4 and sent[-1] == "来源：国家职业资格目录。"
        assert "".join(sent[:-1]) == long_answer
        assert all(len(text.encode()) <= TEXT_LIMIT_BYTES and text.endswith("。") for text in sent)


def test_a_long_text_with_choices_is_sent_in_parts_then_the_menu(tmp_path: Path) -> None:
    with fake_platform() as platform:
        channel = _channel(platform, tmp_path)
        long_text = "".join(f"第{number}句说明证书的规定。" for number in range(300))
        run(channel.send_by_api("openid-t", [Message(long_text, (Choice("证书过期怎么办", "/a"),))]))
        sent = platform.wechat_sent("openid-t")
        assert [message["msgtype"] for message in sent] == ["text"] * (len(sent) - 1) + ["msgmenu"]
        parts = [message["text"]["content"] for message in sent[:-1]] + [sent[-1]["msgmenu"]["head_content"]]
        assert "".join(parts) == long_text
        assert [item["content"] for item in sent[-1]["msgmenu"]["list"]] == ["证书过期怎么办"]


def test_a_menu_keeps_within_wechats_limits(tmp_path: Path) -> None:
    # WeChat refuses a menu whose text is over 1,024 bytes, with more than ten choices, or with
    # a choice over 128 bytes (the fake platform refuses them as it does).
    with fake_platform() as platform:
        channel = _channel(platform, tmp_path)
        text = "".join(f"第{number}句说明证书的规定。" for number in range(60))  # 1,500 bytes or so
        # 129 bytes:
        long_title = "专业技术人员职业资格和技能人员职业资格有什么区别？哪些是准入类的，哪些是水平评价类的？"
        choices = (Choice(long_title, "/long"), *(Choice(f"问题{number}", f"/{number}") for number in range(2, 13)))
        run(channel.send_by_api("openid-x", [Message(text, choices)]))
        sent = platform.wechat_sent("openid-x")
        assert [message["msgtype"] for message in sent] == ["text", "msgmenu", "msgmenu"]
        first, second = (message["msgmenu"] for message in sent[1:])
        assert sent[0]["text"]["content"] + first["head_content"] == text and second["head_content"] == ""
        assert [len(first["list"]), len(second["list"])] == [10, 2]
        titles = [item["content"] for item in first["list"] + second["list"]]
        assert titles[0].endswith("…") and len(titles[0].encode()) <= 128 and long_title.startswith(titles[0][:-1])
        assert titles[1:] == [f"问题{number}" for number in range(2, 13)]
        client = client_identity("wechat", platform_user="openid-x")
        assert channel.chosen_text(client, "问题12", second["list"][1]["id"]) == "/12"
