"""The REST channel (POST /webhooks/rest/webhook), for integrations and tests.

    POST {"sender": "<conversation id>", "message": "<text>"}  ->  200 [{"recipient_id", "text", ...}]

Rasa 3.6's RestInput, with these changes:
- a body that is not such an object gets 400 and says what is wrong;
- a client over a limit (bot.protection.client_limits) gets 429 with a Retry-After header and a short
  JSON message, before the assistant does any work;
- the message's metadata is the client's identity (bot.protection.clients), set here: Rasa takes the
  metadata (and the channel's name) from the request body, where a client could claim to
  be someone else;
- a failure while answering, or of the limits' store, gets 503 with the reply to show
  the user, and is logged without the message's text (Rasa answers 200 with no messages
  and logs the text); the streaming variant is not offered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.errors import LimitsUnavailable
from bot.protection.client_limits import ClientLimits, client_limits
from bot.protection.clients import CLIENT_METADATA_KEY, client_identity
from bot.server.channels.replies import load_channel_replies, unavailable_reply

logger = logging.getLogger(__name__)


class LimitedRestInput(RestInput):
    def __init__(self, limits: ClientLimits) -> None:
        self.limits = limits

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        load_channel_replies()
        return cls(client_limits())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            problem = _body_problem(request)
            if problem:
                return response.json({"error": problem}, status=HTTPStatus.BAD_REQUEST)
            sender, text = request.json["sender"], request.json["message"]
            client = client_identity(self.name(), request)
            try:
                return await self._answer(on_new_message, sender, text, client)
            except LimitsUnavailable:
                logger.exception("A REST message could not be counted against its limits.")
                return _unavailable(text)

        return webhook

    async def _answer(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str,
                      client: str) -> HTTPResponse:
        with self.limits.admitted(client, sender) as refusal:
            if refusal is not None:
                return response.json(
                    {"error": f"too many requests: at most {refusal.allowed} {refusal.limit} from one client",
                     "retry_after_seconds": refusal.retry_after_seconds},
                    status=HTTPStatus.TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(refusal.retry_after_seconds)})
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(),
                                  metadata={CLIENT_METADATA_KEY: client})
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - any failure: the client is told, the text stays private
                logger.exception("A REST message could not be answered.")
                return _unavailable(text)
        return response.json(collector.messages)


def _unavailable(text: str) -> HTTPResponse:
    """503, with the reply to show the user in the language of their message."""
    return response.json({"error": "the assistant is temporarily unavailable; try again later",
                          "reply": unavailable_reply(text)}, status=HTTPStatus.SERVICE_UNAVAILABLE)


def _body_problem(request: Request) -> str | None:
    """What is wrong with a webhook body, or None."""
    try:
        body = request.json
    except InvalidUsage:
        return "the body is not valid JSON"
    if not isinstance(body, dict):
        return 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    for field in ("sender", "message"):
        if not isinstance(body.get(field), str) or not body[field]:
            return f"the body's {field!r} must be a non-empty string"
    return None
