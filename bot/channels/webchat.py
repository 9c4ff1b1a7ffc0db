"""The socket.io channel the website widget (rasa-webchat) talks to.

Rasa 3.6's SocketIOInput, with three changes:
- it awaits `enter_room`, a coroutine since python-socketio 5.10; Rasa does not, and then
  with session persistence the bot's replies never reach the page (RasaHQ/rasa#13027);
- it accepts connections only from the configured web origins (BOT_WEB_ALLOWED_ORIGINS),
  where Rasa accepts any origin;
- a message belongs to the session its socket asked for: the session id is kept on the
  server, not taken from each message, and a client may only resume an id of the form this
  channel hands out.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.settings import load_server_settings

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32}")


class WebchatInput(SocketIOInput):
    def __init__(self, allowed_origins: list[str]) -> None:
        # The widget resumes its session after a reload and sends its metadata as customData.
        super().__init__(session_persistence=True, metadata_key="customData")
        self.allowed_origins = allowed_origins

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(list(load_server_settings().allowed_origins))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # get_output_channel uses it

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.fullmatch(requested) \
                else uuid.uuid4().hex
            await sio.save_session(sid, {"session_id": session_id})
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any) -> None:
            session_id = (await sio.get_session(sid)).get("session_id")
            if not session_id:
                logger.warning("A socket.io message arrived before its session_request; it was ignored.")
                return
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("A socket.io message without text was ignored.")
                return
            metadata = data.get(self.metadata_key)
            message = UserMessage(
                data["message"],
                SocketIOOutput(sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        return socketio_webhook
