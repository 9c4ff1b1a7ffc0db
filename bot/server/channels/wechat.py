"""WeChat Official Accounts (公众号), through the account's server configuration (服务器配置).

WeChat posts each follower's message to /webhooks/wechat/webhook and waits 5 s for the
reply in its response (a passive reply); with none, it posts the message again, three
times in all. This channel:
- answers the address check (GET with echostr) and every POST only when WeChat's signature
  is right: in plaintext mode the signature of the Token, timestamp and nonce; in safe mode
  (BOT_WECHAT_AES_KEY) the message signature, which also covers the encrypted body, and
  decryption. Anything else gets 403, unanswered; so does a timestamp further from now than
  BOT_WECHAT_REPLAY_WINDOW_SECONDS (300 s by default), so that a captured request cannot be
  played again later;
- takes each message on once, whichever process or replica it reaches and however often
  WeChat sends it: by its MsgId (an event by sender, time and kind), claimed in the shared
  values (bot.protection.shared_values) before any work;
- replies passively (encrypted in safe mode) when the answer is ready within
  BOT_WECHAT_REPLY_SECONDS and fits in one text message; otherwise acknowledges with
  "success" (WeChat then sends nothing again) and sends the answer through the
  customer-service message API (bot.server.channels.wechat_api) when it is ready;
- shows "did you mean" buttons as numbered lines in a passive reply, or as a clickable menu
  in a customer-service message (within WeChat's limits on a menu: its text, ten choices, a
  choice's words), and takes a number or a click as that choice;
- greets a new follower, answers a voice message by WeChat's recognition of it, tells a
  follower who sends a picture, location or file that it reads text only, and ignores the
  other events;
- knows a follower by the openid (hashed: bot.protection.clients), under the same rate limits
  as the other channels; conversations are Chinese until the follower writes English.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import SubscribeEvent, SubscribeScanEvent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage, TextMessage, VoiceMessage
from wechatpy.utils import check_signature

from bot.errors import BotError, WechatRequestRejected
from bot.protection.client_limits import ClientLimits, client_limits
from bot.protection.clients import CLIENT_METADATA_KEY, client_identity
from bot.protection.shared_values import SharedValues, open_shared_values
from bot.server.channels.replies import answer_within_limits, load_channel_replies, unavailable_reply
from bot.server.channels.wechat_api import WechatApi
from bot.server.channels.wechat_text import (
    Message,
    menu_parts,
    messages_from_rasa,
    single_text,
    split_text,
    text_only_reply,
)
from bot.server.components.language_policy import CHANNEL_LANGUAGE_KEY
from bot.server.handoff import register_pusher
from bot.settings import WechatSettings, current_settings

logger = logging.getLogger(__name__)

# WeChat sends a message at most three times within about 15 s; a claim outlives that.
CLAIM_SECONDS = 3600
# Choices shown to a follower stay valid this long (or until the follower's next message).
CHOICES_SECONDS = 24 * 3600
# What WeChat takes as "received, nothing to reply now": it then sends the message no more.
RECEIVED = "success"
GREETING = '/greet{"language": "zh"}'
_NUMBER = re.compile(r"\s*(\d{1,2})\s*[.。、]?\s*")


@dataclass(frozen=True)
class Incoming:
    """What a WeChat message asks of the assistant: a text to answer, or a reply of the
    channel's own (a picture was sent), or nothing (an unsubscribe)."""

    text: str | None = None
    reply: str | None = None


class WechatInput(InputChannel):
    def __init__(self, settings: WechatSettings, limits: ClientLimits, values: SharedValues) -> None:
        self.settings = settings
        self.limits = limits
        self.values = values
        self.api = WechatApi(settings, values)
        self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id) if settings.safe_mode else None
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = current_settings()
        if settings.server.wechat is None:
            raise ValueError("the WeChat channel is listed but none of BOT_WECHAT_* is set")
        load_channel_replies()
        return cls(settings.server.wechat, client_limits(), open_shared_values(settings.limits_url))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        wechat_webhook = Blueprint("wechat_webhook", __name__)
        register_pusher(self.name(), self)

        @wechat_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @wechat_webhook.route("/webhook", methods=["GET"])
        async def check_address(request: Request) -> HTTPResponse:
            try:
                self._check_signature(request)
            except WechatRequestRejected as error:
                logger.warning("Rejected a WeChat address check: %s", error)
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @wechat_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            try:
                xml = self._opened(request)
            except WechatRequestRejected as error:
                logger.warning("WechatRequestRejected a WeChat message: %s", error)
                return response.text("forbidden", status=403)
            try:
                message = parse_message(xml)
                if message is None or not message.source:
                    raise ValueError("no sender")
            except Exception:  # noqa: BLE001 - any malformed body is the sender's error
                return response.text("the body is not a WeChat message", status=400)
            reply = await self._handle(message, on_new_message, started)
            if reply is None:
                return response.text(RECEIVED)
            return response.text(self._passive(message, reply, request), content_type="application/xml")

        return wechat_webhook

    # --- verification ---

    def _check_signature(self, request: Request) -> None:
        """Raises WechatRequestRejected unless the request carries WeChat's signature of a recent time."""
        self._check_time(request.args.get("timestamp", ""))
        try:
            check_signature(self.settings.token, request.args.get("signature", ""),
                            request.args.get("timestamp", ""), request.args.get("nonce", ""))
        except InvalidSignatureException:
            raise WechatRequestRejected("wrong or missing signature") from None

    def _check_time(self, timestamp: str) -> None:
        if not timestamp.isdigit():
            raise WechatRequestRejected("no timestamp")
        if abs(time.time() - int(timestamp)) > self.settings.replay_window_seconds:
            raise WechatRequestRejected(f"its timestamp is more than {self.settings.replay_window_seconds} s from now")

    def _opened(self, request: Request) -> str:
        """The message's XML, checked (and, in safe mode, decrypted)."""
        if self.crypto is None:
            self._check_signature(request)
            return request.body.decode("utf-8", errors="replace")
        self._check_time(request.args.get("timestamp", ""))
        if request.args.get("encrypt_type") != "aes":
            raise WechatRequestRejected("not encrypted, and the account is in safe mode")
        try:
            return str(self.crypto.decrypt_message(request.body, request.args.get("msg_signature", ""),
                                                   request.args.get("timestamp"), request.args.get("nonce", "")))
        except (InvalidSignatureException, InvalidAppIdException):
            raise WechatRequestRejected("wrong or missing message signature, or not for this account") from None
        except Exception:  # noqa: BLE001 - a body that does not decrypt was not encrypted by WeChat
            raise WechatRequestRejected("the body does not decrypt") from None

    def _passive(self, message: BaseMessage, text: str, request: Request) -> str:
        xml = str(create_reply(text, message, render=True))
        if self.crypto is None:
            return xml
        return str(self.crypto.encrypt_message(xml, request.args.get("nonce", ""), int(time.time())))

    # --- answering ---

    async def _handle(self, message: BaseMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      started: float) -> str | None:
        """The passive reply to `message`, or None when there is none (a repeat, an event,
        or an answer that goes through the customer-service API)."""
        openid = str(message.source)
        client = client_identity(self.name(), platform_user=openid)
        try:
            if not self.values.add(f"wechat:message:{_message_key(message)}", "taken", CLAIM_SECONDS):
                return None  # WeChat sent it again: it is (being) answered already
            incoming = self._incoming(message, client)
        except BotError:
            logger.exception("A WeChat message could not be claimed.")
            return unavailable_reply("", default_language="zh")
        if incoming.text is None:
            return incoming.reply
        task = asyncio.create_task(self._answer(openid, client, incoming.text, on_new_message))
        try:
            left = self.settings.reply_seconds - (time.monotonic() - started)
            messages = await asyncio.wait_for(asyncio.shield(task), timeout=max(0.0, left))
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._in_background(self._send_when_done(openid, task))
            return None
        text = single_text(messages) if messages else None
        if text is None:
            if messages:
                self._in_background(self.send_by_api(openid, messages))
            return None
        self._remember(client, messages, menu=None)
        return text

    def _incoming(self, message: BaseMessage, client: str) -> Incoming:
        if isinstance(message, TextMessage):
            menu_id = message._data.get("bizmsgmenuid")  # a click on a menu of choices
            return Incoming(text=self.chosen_text(client, str(message.content or ""), str(menu_id or "")))
        if isinstance(message, VoiceMessage):
            recognized = (message.recognition or "").strip()
            return Incoming(text=recognized) if recognized else Incoming(reply=text_only_reply())
        if isinstance(message, SubscribeEvent | SubscribeScanEvent):
            return Incoming(text=GREETING)
        if message._data.get("MsgType") == "event":
            return Incoming()  # unsubscribe, menu views, locations reported: nothing to answer
        return Incoming(reply=text_only_reply())  # pictures, locations, links, files, videos

    async def _answer(self, openid: str, client: str, text: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> list[Message]:
        collected = CollectingOutputChannel()
        user_message = UserMessage(text, collected, openid, input_channel=self.name(),
                                   metadata={CLIENT_METADATA_KEY: client, CHANNEL_LANGUAGE_KEY: "zh"})
        await answer_within_limits(self.limits, client, on_new_message, user_message, openid)
        return messages_from_rasa(collected.messages)

    async def _send_when_done(self, openid: str, task: asyncio.Task[list[Message]]) -> None:
        try:
            messages = await task
        except Exception:  # noqa: BLE001 - answer_within_limits already told the user
            logger.exception("A WeChat message could not be answered.")
            return
        await self.send_by_api(openid, messages)

    async def send_by_api(self, openid: str, messages: list[Message]) -> None:
        """Sends the reply through the customer-service API, choices as a menu."""
        try:
            await self._send_through_api(openid, messages)
        except BotError as error:
            logger.error("A WeChat reply could not be sent: %s", error)

    def reachable(self) -> None:
        return None  # the customer-service API reaches every follower (within 48 h of their message)

    async def send(self, openid: str, address: str, message: dict[str, Any]) -> None:
        """Sends a message no follower's message asked for (bot.server.handoff); raises
        WechatApiError when WeChat refuses it."""
        await self._send_through_api(openid, messages_from_rasa([message]))

    async def _send_through_api(self, openid: str, messages: list[Message]) -> None:
        menu = random.randrange(100_000, 1_000_000)
        self._remember(client_identity(self.name(), platform_user=openid), messages, menu)
        number = 0
        for message in messages:
            if not message.choices:
                for part in split_text(message.text):
                    await asyncio.to_thread(self.api.send_text, openid, part)
                continue
            parts, head, menus = menu_parts(message)
            for part in parts:
                await asyncio.to_thread(self.api.send_text, openid, part)
            for choices in menus:
                # A choice's id is the menu's number and the choice's place in the whole reply.
                ids = [str(menu * 100 + number + index) for index in range(1, len(choices) + 1)]
                number += len(choices)
                await asyncio.to_thread(self.api.send_menu, openid, head,
                                        list(zip(ids, (choice.title for choice in choices), strict=True)))
                head = ""

    # --- choices ---

    def _remember(self, client: str, messages: list[Message], menu: int | None) -> None:
        """Keeps the reply's choices, numbered in order, for the follower's next message."""
        choices = [choice.payload for message in messages for choice in message.choices]
        if not choices:
            return
        key = _choices_key(client)
        try:
            self.values.put(key, json.dumps({"menu": menu, "payloads": choices}), CHOICES_SECONDS)
        except BotError as error:  # the reply still goes out; a number typed is then taken as text
            logger.error("The choices of a WeChat reply could not be kept: %s", error)

    def chosen_text(self, client: str, text: str, menu_id: str) -> str:
        """The payload a number or a menu click chose, or `text` itself. Whatever the
        follower sends, the choices shown before are answered or passed over by it."""
        key = _choices_key(client)
        stored = self.values.get(key)
        if stored is None:
            return text
        self.values.remove(key, stored)
        shown = json.loads(stored)
        payloads: list[str] = shown["payloads"]
        if menu_id:
            menu, number = divmod(int(menu_id), 100) if menu_id.isdigit() else (None, 0)
            return payloads[number - 1] if menu == shown["menu"] and 0 < number <= len(payloads) else text
        typed = _NUMBER.fullmatch(unicodedata.normalize("NFKC", text))
        if typed and 0 < int(typed.group(1)) <= len(payloads):
            return payloads[int(typed.group(1)) - 1]
        return text

    def _in_background(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # keeps the task alive until it ends
        task.add_done_callback(self._tasks.discard)


def _message_key(message: BaseMessage) -> str:
    """What tells one WeChat message from another: its MsgId, or for an event (which has
    none) its sender, time and kind, as WeChat's documentation advises."""
    if message.id:
        return str(message.id)
    return f"{message.source}:{message.time}:{message._data.get('Event', '')}"


def _choices_key(client: str) -> str:
    return f"wechat:choices:{client}"
