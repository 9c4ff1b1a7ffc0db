"""The Rasa server's part in handing conversations to staff (bot.handoff.desk):

- every user message first asks the desk whether its conversation is handed over; if it
  is, the desk answers (or, with staff in the chat, stays silent) and the assistant never
  sees the message (`handle_message`, around Rasa's Agent.handle_message, inside the
  conversation's lock);
- `action_request_person` runs here rather than on the action server: it needs the whole
  conversation for the staff's transcript and the channel the user is on;
- each server process sends what staff wrote (and the other messages no user message
  asked for) to users on the channels it holds, and tells conversations that waited too
  long (`deliver_forever`). A channel registers how it sends first (`register_pusher`): the
  widget's socket.io only to sockets connected to this process, Telegram, Slack and WeChat
  through their APIs. A channel that cannot send first (REST) gets them with its next reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.person_offer import SURE_REQUEST_CONFIDENCE, person_offer
from bot.handoff.desk import Desk, Request
from bot.handoff.store import ASSISTANT, USER, HandoffStore, Line, Outgoing
from bot.handoff.wakeup import WakeupListener, wakeup_url
from bot.knowledge.loader import current_knowledge
from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.knowledge.routing import DETAILS_INTENT, FEEDBACK_INTENT, REMOVED, REQUEST_PERSON_ACTION
from bot.review.outcomes import mask_numbers
from bot.review.store import ReviewStore
from bot.server.review_recording import ended_turns
from bot.settings import current_settings
from bot.text import DEFAULT_LANGUAGE

logger = logging.getLogger(__name__)

# How often a server process looks for messages to send and conversations that waited too long.
DELIVERY_SECONDS = 0.5
# With wake-ups through Redis (bot.handoff.wakeup), a look this often is enough.
DELIVERY_SECONDS_WITH_WAKEUPS = 2.0
RETRY_SECONDS = 5.0
# The transcript staff see: the latest lines before the request.
TRANSCRIPT_LINES = 30


class Pusher(Protocol):
    def reachable(self) -> list[str] | None:
        """The conversations this process can send to now; None: any."""

    async def send(self, sender_id: str, address: str, message: dict[str, Any]) -> None: ...


_pushers: dict[str, Pusher] = {}
_desk: Desk | None = None


def register_pusher(channel: str, pusher: Pusher) -> None:
    _pushers[channel] = pusher


def desk() -> Desk:
    """This process's desk, on the conversation database (opened on first use)."""
    global _desk
    if _desk is None:
        settings = current_settings()
        _desk = Desk(HandoffStore(ReviewStore(settings.tracker_db_url)), settings, current_knowledge)
    return _desk


async def before_assistant(message: UserMessage) -> bool:
    """Sends what waits for the conversation on a channel that cannot send first, then lets
    the desk handle the message if the conversation is handed over; True when it did (the
    assistant must not answer)."""
    output = message.output_channel
    sender = message.sender_id or ""
    store = desk().store
    if message.input_channel not in _pushers:
        for waiting in await asyncio.to_thread(store.undelivered, None, sender):
            if await asyncio.to_thread(store.claim, waiting):
                await output.send_response(sender, dict(waiting.message))
                await asyncio.to_thread(store.delivered, waiting)
    replies = await asyncio.to_thread(desk().on_message, sender, message.text or "")
    if replies is None:
        return False
    for reply in replies:
        await output.send_response(sender, reply)
    return True


def request_person(tracker: DialogueStateTracker, output: OutputChannel) -> list[Event]:
    """action_request_person: queues the conversation for staff (or offers a message); a
    message that only probably asked for a person is asked whether it did."""
    channel = tracker.get_latest_input_channel() or output.name()
    address = str(getattr(output, "slack_channel", None) or tracker.sender_id)
    language = str(tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE)
    if float((tracker.latest_message.intent if tracker.latest_message else {}).get("confidence") or 0.0) \
            < SURE_REQUEST_CONFIDENCE:
        return [create_bot_utterance({**person_offer(current_knowledge(), language, "confirm_person"),
                                      "utter_action": REQUEST_PERSON_ACTION})]
    replies = desk().request(Request(tracker.sender_id, channel, address, language, transcript(tracker.events)))
    return [create_bot_utterance({**reply, "utter_action": REQUEST_PERSON_ACTION}) for reply in replies]


def transcript(events: Sequence[Event]) -> list[Line]:
    """The conversation so far as staff see it: the turns of a certificate lookup (what was
    typed, and the result that repeats it) removed, numbers the user typed that look like a
    certificate or ID number masked, "helpful" presses left out."""
    lines: list[Line] = []
    for part in ended_turns(events):
        intent = (part.message.intent or {}).get("name")
        if intent == FEEDBACK_INTENT or not part.message.text or part.message.text.startswith("/"):
            continue  # a press of "helpful", a button or the page's greeting: the answer after it tells
        hidden = part.in_lookup or intent == DETAILS_INTENT
        lines.append(Line(part.message.timestamp or 0.0, USER, REMOVED if hidden else mask_numbers(part.message.text)))
        lines += [Line(event.timestamp or 0.0, ASSISTANT, REMOVED if hidden else event.text)
                  for event in part.events if isinstance(event, BotUttered) and event.text]
    return lines[-TRANSCRIPT_LINES:]


async def deliver_forever() -> None:
    """Sends the outbox's messages this process can send, and times out long waits, until
    cancelled. While the conversation database is down, it says so once and tries less often."""
    failing = False
    url = wakeup_url(current_settings())
    wakeups, interval = WakeupListener(url), DELIVERY_SECONDS_WITH_WAKEUPS if url else DELIVERY_SECONDS
    while True:
        try:
            await asyncio.to_thread(desk().expire_overdue)
            await deliver_once()
            if failing:
                logger.info("Messages for handed-over conversations are being sent again.")
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a database outage must not end the loop
            if not failing:
                logger.error("Messages for handed-over conversations cannot be sent now: %s", error)
            failing = True
        if failing:
            await asyncio.sleep(RETRY_SECONDS)
        else:
            await wakeups.wait(interval)


async def deliver_once() -> int:
    if not _pushers:
        return 0
    store = desk().store
    sent = 0
    for channel, pusher in list(_pushers.items()):
        reachable = pusher.reachable()
        if reachable == []:
            continue
        for waiting in await asyncio.to_thread(store.undelivered, (channel,), None, reachable):
            if await asyncio.to_thread(store.claim, waiting):
                sent += await _send(pusher, waiting)
    return sent


async def _send(pusher: Pusher, waiting: Outgoing) -> int:
    store = desk().store
    try:
        await pusher.send(waiting.sender_id, waiting.address, dict(waiting.message))
    except Exception as error:  # noqa: BLE001 - recorded on the message (a ticket shows it) and logged
        logger.error("A message for %s conversation could not be sent: %s", waiting.channel, error)
        await asyncio.to_thread(store.failed, waiting, f"{type(error).__name__}: {error}")
        return 0
    await asyncio.to_thread(store.delivered, waiting)
    return 1
