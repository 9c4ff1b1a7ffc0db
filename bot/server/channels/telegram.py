"""Telegram, through its webhook.

Rasa 3.6's Telegram connector checks no secret (anyone who finds the webhook address can
post as any user), asks Telegram's getMe on every message, answers the webhook only after
the whole reply is sent, and always talks to api.telegram.org. This one:
- registers the webhook with a secret token at start-up, and rejects with 403, unanswered,
  every update whose X-Telegram-Bot-Api-Secret-Token header does not match;
- acknowledges at once and replies in the background, so a slow reply never makes
  Telegram time out and deliver the update again;
- sends through a configurable Bot API base URL (BOT_TELEGRAM_API_BASE);
- knows a client by its Telegram user id (bot.protection.clients), and answers a client over its
  rate limit (bot.protection.client_limits) with a short reply instead of an answer;
- sends a button whose payload is over Telegram's 64 bytes of button data with a short key,
  and keeps the payload under that key in the shared values (bot.protection.shared_values).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Update
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.protection.client_limits import ClientLimits, client_limits
from bot.protection.clients import CLIENT_METADATA_KEY, client_identity
from bot.protection.shared_values import SharedValues, open_shared_values
from bot.server.channels.replies import answer_within_limits, load_channel_replies
from bot.server.handoff import register_pusher
from bot.settings import TelegramSettings, current_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram commands, as the intents that answer them: Telegram sends /start when someone
# opens the bot.
COMMANDS = {"/start": "/greet"}
# Telegram's limit on a button's data, in bytes.
BUTTON_DATA_BYTES = 64
# A long payload is kept this long: Telegram keeps a message's buttons, and a press on an
# older one should still ask what it asked.
BUTTON_SECONDS = 90 * 24 * 3600
_BUTTON_KEY_PREFIX = "button:"


class ButtonPayloads:
    """Payloads too long for a Telegram button, each kept under a short key made from it."""

    def __init__(self, values: SharedValues) -> None:
        self.values = values

    def data(self, payload: str) -> str:
        """What a button carries for this payload: itself, or its key."""
        if len(payload.encode()) <= BUTTON_DATA_BYTES:
            return payload
        key = _BUTTON_KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self.values.put(f"telegram:{key}", payload, BUTTON_SECONDS)
        return key

    def payload(self, data: str) -> str:
        """The payload a pressed button's data stands for (the data itself when it is not a
        key, or its payload has expired: then it is read as text, and not understood)."""
        if not data.startswith(_BUTTON_KEY_PREFIX):
            return data
        return self.values.get(f"telegram:{data}") or data


class TelegramReplies(TelegramOutput):
    """Rasa's Telegram output, sending through the configured Bot API server."""

    def __init__(self, settings: TelegramSettings, payloads: ButtonPayloads) -> None:
        Bot.__init__(self, settings.token, server=TelegramAPIServer.from_base(settings.api_base), timeout=10.0)
        self.payloads = payloads

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     button_type: str | None = "inline", **kwargs: Any) -> None:
        buttons = [{**button, "payload": self.payloads.data(str(button.get("payload", "")))} for button in buttons]
        await super().send_text_with_buttons(recipient_id, text, buttons, button_type, **kwargs)


class VerifiedTelegramInput(TelegramInput):
    def __init__(self, settings: TelegramSettings, limits: ClientLimits, values: SharedValues) -> None:
        super().__init__(settings.token, verify=None, webhook_url=settings.webhook_url, debug_mode=False)
        self.settings = settings
        self.limits = limits
        self.payloads = ButtonPayloads(values)
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = current_settings()
        if settings.server.telegram is None:
            raise ValueError("the Telegram channel is listed but BOT_TELEGRAM_TOKEN is not set")
        load_channel_replies()
        return cls(settings.server.telegram, client_limits(), open_shared_values(settings.limits_url))

    def get_output_channel(self) -> TelegramReplies:
        return TelegramReplies(self.settings, self.payloads)

    def reachable(self) -> None:
        return None  # the Bot API reaches every chat

    async def send(self, sender_id: str, address: str, message: dict[str, Any]) -> None:
        """Sends a message no update asked for (bot.server.handoff) to the chat."""
        output = self.get_output_channel()
        try:
            await output.send_response(address, message)
        finally:
            await output.close()

    def is_genuine(self, request: Request) -> bool:
        sent = request.headers.get(SECRET_HEADER, "")
        return hmac.compare_digest(sent.encode(), self.settings.secret_token.encode())

    async def register_webhook(self) -> None:
        """Tells Telegram where to post updates, and the secret to send with them."""
        bot = self.get_output_channel()
        try:
            await bot.request("setWebhook", {"url": self.settings.webhook_url,
                                             "secret_token": self.settings.secret_token})
            logger.info("Telegram webhook registered: %s", self.settings.webhook_url)
        except (TelegramAPIError, OSError, asyncio.TimeoutError) as error:
            # The other channels keep working; Telegram's updates wait until this succeeds.
            logger.error("Could not register the Telegram webhook at %s: %s", self.settings.api_base, error)
        finally:
            await bot.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        register_pusher(self.name(), self)

        @telegram_webhook.listener("after_server_start")
        async def register(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            await self.register_webhook()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_genuine(request):
                logger.warning("Rejected a Telegram webhook call without the right secret token.")
                return response.text("forbidden", status=403)
            try:
                update = Update(**request.json)
            except Exception:  # noqa: BLE001 - any malformed body is the sender's error
                return response.text("the body is not a Telegram update", status=400)
            task = asyncio.create_task(self._answer(update, on_new_message))
            self._tasks.add(task)  # keeps the task alive until it ends
            task.add_done_callback(self._tasks.discard)
            return response.text("ok")

        return telegram_webhook

    async def _answer(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        out_channel = self.get_output_channel()
        try:
            if update.callback_query is not None:  # a button was pressed
                await out_channel.answer_callback_query(update.callback_query.id)
                chat = update.callback_query.message.chat
                text = self.payloads.payload(update.callback_query.data or "")
                user = update.callback_query.from_user
            else:
                message = update.message or update.edited_message
                if message is None or not message.text:
                    return  # stickers, photos, joins: nothing to answer
                chat, text = message.chat, COMMANDS.get(message.text.strip(), message.text)
                user = message.from_user
            client = client_identity(self.name(), platform_user=str(user.id if user else chat.id))
            user_message = UserMessage(text, out_channel, str(chat.id), input_channel=self.name(),
                                       metadata={CLIENT_METADATA_KEY: client})
            await answer_within_limits(self.limits, client, on_new_message, user_message, str(chat.id))
        except Exception:
            logger.exception("Could not answer a Telegram update.")
        finally:
            await out_channel.close()
