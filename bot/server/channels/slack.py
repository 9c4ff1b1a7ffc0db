"""Slack, through its Events API and interactivity webhooks.

Rasa 3.6's Slack connector already verifies the signing secret and replies in the
background; this one differs where the platform's rules or tests need it:
- a forged or replayed request gets 401 (Rasa: 400), with a replay window from
  BOT_SLACK_REPLAY_WINDOW_SECONDS;
- the Events API's url_verification challenge is echoed the way Slack documents;
- replies go through a configurable Web API base URL (BOT_SLACK_API_BASE);
- knows a client by its Slack user id (bot.protection.clients), and answers a client over its rate
  limit (bot.protection.client_limits) with a short reply instead of an answer;
- shortens a button's title to Slack's 75 characters, which would otherwise refuse the message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.protection.client_limits import ClientLimits, client_limits
from bot.protection.clients import CLIENT_METADATA_KEY, client_identity
from bot.server.channels.replies import answer_within_limits, load_channel_replies
from bot.server.handoff import register_pusher
from bot.settings import SlackSettings, current_settings
from bot.text import shortened

logger = logging.getLogger(__name__)


# Slack's limit on a button's text, in characters.
BUTTON_TEXT_CHARACTERS = 75


class SlackReplies(SlackBot):
    """Rasa's Slack output, with button titles Slack accepts."""

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        buttons = [{**button, "title": shortened(str(button.get("title", "")), BUTTON_TEXT_CHARACTERS)}
                   for button in buttons]
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature Slack computes for a request body sent at `timestamp`."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class VerifiedSlackInput(SlackInput):
    def __init__(self, settings: SlackSettings, limits: ClientLimits) -> None:
        super().__init__(settings.token, slack_retry_reason_header="x-slack-retry-reason",
                         slack_retry_number_header="x-slack-retry-num",
                         slack_signing_secret=settings.signing_secret)
        self.settings = settings
        self.limits = limits

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = current_settings().server.slack
        if settings is None:
            raise ValueError("the Slack channel is listed but BOT_SLACK_TOKEN is not set")
        load_channel_replies()
        return cls(settings, client_limits())

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> SlackReplies:
        output = SlackReplies(self.slack_token, channel or self.slack_channel, thread_id, self.proxy)
        output.client.base_url = self.settings.api_base
        return output

    def reachable(self) -> None:
        return None  # Slack's Web API reaches every channel the app is in

    async def send(self, sender_id: str, address: str, message: dict[str, Any]) -> None:
        """Sends a message no event asked for (bot.server.handoff) to the user's channel."""
        await self.get_output_channel(channel=address).send_response(sender_id, message)

    def is_request_from_slack_authentic(self, request: Request) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.settings.replay_window_seconds:
            return False  # unsigned, or signed too long ago: possibly a replay
        expected = slack_signature(self.settings.signing_secret, timestamp, request.body)
        return hmac.compare_digest(expected, request.headers.get("X-Slack-Signature", ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)
        register_pusher(self.name(), self)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                logger.warning("Rejected a Slack webhook call with a missing, wrong or stale signature.")
                return response.text("the request is not signed by Slack", status=HTTPStatus.UNAUTHORIZED)
            try:
                return await self._handle(request, on_new_message)
            except (ValueError, KeyError) as error:
                return response.text(f"the body is not a Slack event: {error}", status=HTTPStatus.BAD_REQUEST)

        return slack_webhook

    async def _handle(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                      ) -> HTTPResponse:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/json":
            event_body = json.loads(request.body)
            if not isinstance(event_body, dict):
                raise ValueError("the JSON body is not an object")
            if event_body.get("type") == "url_verification":
                return response.json({"challenge": event_body["challenge"]})
            if not self._is_user_message(event_body):
                return response.text("")  # bot messages, edits, joins: nothing to answer
            metadata = self.get_metadata(request)
            if not self._is_supported_channel(event_body, metadata):
                return response.text("")
            event = event_body["event"]
            text = self._sanitize_user_message(event["text"], metadata["users"])
            sender = event.get("user", "")
        elif content_type == "application/x-www-form-urlencoded":  # a button was pressed
            payload = json.loads(request.form["payload"][0])
            if not self._is_interactive_message(payload):
                return response.text("")
            text = self._get_interactive_response(payload["actions"][0])
            if text is None:
                return response.text("")
            metadata = self.get_metadata(request)
            sender = payload["user"]["id"]
        else:
            return response.text(f"unsupported content type {content_type!r}", status=HTTPStatus.BAD_REQUEST)
        conversation = self._get_conversation_id(sender, metadata.get("out_channel"), metadata.get("thread_id"))
        client = client_identity(self.name(), platform_user=sender)
        metadata[CLIENT_METADATA_KEY] = client

        async def answer(message: UserMessage) -> None:
            await answer_within_limits(self.limits, client, on_new_message, message, conversation)

        # Answers in a background task: Slack wants its 200 within 3 seconds.
        return await self.process_message(request, answer, text, conversation, metadata)
