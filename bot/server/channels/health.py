"""GET /webhooks/health/: whether this Rasa server process can answer, for a load balancer
or a person. 200 when the model is loaded and the conversation, lock and limits stores
answer; 503 otherwise, saying which part failed and why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.protection.client_limits import client_limits

OK = "ok"


class HealthInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health_check = Blueprint("health_check", __name__)

        @health_check.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            parts = {
                "model": OK if agent and agent.is_ready() else "not loaded",
                "conversations": _problem(agent.tracker_store if agent else None) or OK,
                "locks": _problem(agent.lock_store if agent else None) or OK,
                "limits": client_limits().storage_problem() or OK,
            }
            healthy = all(state == OK for state in parts.values())
            return response.json({"status": OK if healthy else "unavailable", **parts},
                                 status=HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)

        return health_check


def _problem(store: Any) -> str | None:
    """What a store's check() says is wrong; None when it is fine or has no check."""
    check = getattr(store, "check", None)
    return check() if check else None
