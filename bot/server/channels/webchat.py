"""The socket.io channel the website widget (rasa-webchat) talks to.

Rasa 3.6's SocketIOInput, with these changes:
- it awaits `enter_room`, a coroutine since python-socketio 5.10; Rasa does not, and then
  with session persistence the bot's replies never reach the page (RasaHQ/rasa#13027);
- it accepts connections only from the configured web origins (BOT_WEB_ALLOWED_ORIGINS),
  where Rasa accepts any origin;
- a message belongs to the session its socket asked for: the session id is kept on the
  server, not taken from each message, and a client may only resume an id of the form this
  channel hands out;
- the client's identity (bot.protection.clients) is taken from the connection's request when the
  socket connects, and put into every message's metadata over anything the page sent;
- a client over its rate limit (bot.protection.client_limits) gets a short reply instead of an answer;
- a socket.io packet larger than BOT_MAX_REQUEST_BYTES is refused (engine.io closes the
  connection), like an oversize HTTP body;
- with BOT_SOCKETIO_MANAGER=redis, replies pass through Redis (python-socketio's
  AsyncRedisManager), so they reach the user whichever replica produced them;
- a staff member's message (bot.server.handoff) is sent by the server process that holds
  the user's socket.
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
from socketio import AsyncRedisManager, AsyncServer

from bot.protection.client_limits import ClientLimits, client_limits
from bot.protection.clients import CLIENT_METADATA_KEY, client_identity
from bot.server.channels.replies import answer_within_limits, load_channel_replies
from bot.server.handoff import register_pusher
from bot.settings import current_settings

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32}")


class WidgetPusher:
    """Sends to a widget whose socket is connected to this process (its session's room)."""

    def __init__(self, sio: AsyncServer, event: str) -> None:
        self.sio = sio
        self.event = event

    def reachable(self) -> list[str]:
        """The sessions with a socket connected to this process (each socket's session room)."""
        rooms = self.sio.manager.rooms.get("/", {})
        return [room for room in rooms if isinstance(room, str) and SESSION_ID.fullmatch(room)]

    async def send(self, sender_id: str, address: str, message: dict[str, Any]) -> None:
        await SocketIOOutput(self.sio, self.event).send_response(sender_id, message)


class WebchatInput(SocketIOInput):
    def __init__(self, allowed_origins: list[str], max_packet_bytes: int, limits: ClientLimits,
                 redis_url: str | None = None) -> None:
        # The widget resumes its session after a reload and sends its metadata as customData.
        super().__init__(session_persistence=True, metadata_key="customData")
        self.allowed_origins = allowed_origins
        self.max_packet_bytes = max_packet_bytes
        self.limits = limits
        self.redis_url = redis_url

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = current_settings()
        server = settings.server
        load_channel_replies()
        redis_url = settings.redis_url if server.socketio_manager == "redis" else None
        return cls(list(server.origins), server.max_request_bytes, client_limits(), redis_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # With several replicas, what one replica emits reaches a socket connected to another
        # through Redis.
        manager = AsyncRedisManager(self.redis_url) if self.redis_url else None
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins,
                          max_http_buffer_size=self.max_packet_bytes, client_manager=manager)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # get_output_channel uses it
        register_pusher(self.name(), WidgetPusher(sio, self.bot_message_evt))

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            client = client_identity(self.name(), environ["sanic.request"])
            await sio.save_session(sid, {"client": client})

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.fullmatch(requested) \
                else uuid.uuid4().hex
            session = await sio.get_session(sid)
            await sio.save_session(sid, {**session, "session_id": session_id})
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any) -> None:
            session = await sio.get_session(sid)
            session_id = session.get("session_id")
            if not session_id:
                logger.warning("A socket.io message arrived before its session_request; it was ignored.")
                return
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("A socket.io message without text was ignored.")
                return
            metadata = data.get(self.metadata_key)
            metadata = {**(metadata if isinstance(metadata, dict) else {}), CLIENT_METADATA_KEY: session["client"]}
            message = UserMessage(data["message"], SocketIOOutput(sio, self.bot_message_evt), session_id,
                                  input_channel=self.name(), metadata=metadata)
            await answer_within_limits(self.limits, session["client"], on_new_message, message, session_id)

        return socketio_webhook
