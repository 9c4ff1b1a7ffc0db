"""What happens in a conversation handed to staff, for the user and for the staff.

The user asks for a person (bot.server.handoff runs `request`). If a member of staff is
available within the staff hours, the conversation waits in the queue; while it waits,
what the user writes is passed on and they may cancel. A member of staff takes it: the
assistant is silent and the two write to each other, until the staff member hands it back.
Nobody there, outside the hours, or nobody took it in time: the user may leave a message
(a question, then a way to reach them or "skip"), which makes a ticket for staff to answer.

Every message the user sends while a handoff is open goes through `on_message` before the
assistant sees it. Replies are Rasa message dicts ({"text", "buttons"}) in the language of
the request; messages that no user message asked for go through the outbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.errors import HandoffError
from bot.handoff.hours import StaffHours
from bot.handoff.notify import Notifier
from bot.handoff.store import (
    CANCELLED,
    CLOSED,
    CONTACT,
    DECLINED,
    HANDED_BACK,
    LEFT_MESSAGE,
    LIVE,
    OFFERED,
    QUESTION,
    STAFF,
    STAFF_LEFT,
    USER,
    WAITING,
    Handoff,
    HandoffStore,
    Line,
)
from bot.handoff.wakeup import Wakeups, wakeup_url
from bot.knowledge.model import KnowledgeBase
from bot.settings import Settings
from bot.text import DEFAULT_LANGUAGE, normalize_phrase

Message = dict[str, Any]

# What the buttons send. They are handled here, before the assistant's understanding.
PAYLOAD_PREFIX = "/handoff_"
CANCEL, LEAVE_MESSAGE, NO_THANKS, SKIP = (f"{PAYLOAD_PREFIX}{name}" for name in
                                          ("cancel", "leave_message", "no_thanks", "skip"))
# The same choices typed, as bot.text.normalize_phrase leaves them.
_TYPED = {
    CANCEL: {"取消", "取消转人工", "算了", "不用了", "不等了", "cancel", "stop", "stop waiting", "never mind"},
    LEAVE_MESSAGE: {"留言", "我要留言", "好", "好的", "可以", "是", "leave a message", "yes", "ok", "okay"},
    NO_THANKS: {"不用了", "不用", "不要", "不", "算了", "no", "no thanks", "no thank you"},
    SKIP: {"跳过", "不留", "不用了", "不用", "skip", "no"},
}
# The longest text kept from a user's message as a question or contact, and the longest
# staff reply or answer.
MAX_TEXT = 2000


@dataclass(frozen=True)
class Request:
    """A request for a person from a conversation, as the Rasa server saw it."""

    sender_id: str
    channel: str
    address: str
    language: str
    transcript: list[Line]


class Desk:
    def __init__(self, store: HandoffStore, settings: Settings, knowledge: Callable[[], KnowledgeBase],
                 notifier: Notifier | None = None) -> None:
        self.store = store
        self.settings = settings
        self.hours = StaffHours.parse(settings.handoff.staff_hours)
        self.knowledge = knowledge
        self.notifier = notifier or Notifier(settings.handoff.notify_url)
        self.wakeups = Wakeups(wakeup_url(settings))

    # The user's side.

    def request(self, request: Request, now: datetime | None = None) -> list[Message]:
        """Queues the conversation for staff, or offers to leave a message when nobody can take it."""
        existing = self.store.open_for(request.sender_id)
        if existing is not None and existing.status in (WAITING, LIVE):
            return self._still_waiting(existing) if existing.status == WAITING else []
        if existing is not None:  # an offer or a message under way: started again
            self.store.move(existing.id, (existing.status,), CLOSED, ended_how=DECLINED)
        now = now or datetime.now()
        language = request.language
        if not self.hours.open_at(now):
            reply = self._text("handoff_outside_hours", language, hours=self.hours.describe(language))
        elif not self.store.available_staff():
            reply = self._text("handoff_no_staff", language)
        else:
            handoff = self.store.start(request.sender_id, request.channel, request.address, language, WAITING,
                                       request.transcript)
            self.notifier.send({"event": "handoff_requested", "id": handoff.id, "channel": handoff.channel,
                                "language": language, "at": _iso(handoff.requested_at), "console": "/staff/live"})
            return [self._message("handoff_waiting", language, [CANCEL], position=self.store.position(handoff),
                                  wait=_duration(self.settings.handoff.wait_seconds, language))]
        self.store.start(request.sender_id, request.channel, request.address, language, OFFERED, request.transcript)
        return [{"text": reply, "buttons": self._buttons(language, [LEAVE_MESSAGE, NO_THANKS])}]

    def on_message(self, sender_id: str, text: str) -> list[Message] | None:
        """The replies to a user message while a handoff is open, or None when the assistant
        should answer it (no handoff, or the user turned down the offer by asking something else)."""
        handoff = self.store.open_for(sender_id)
        if handoff is None:
            if text.startswith(PAYLOAD_PREFIX):  # a button of a handoff that is over
                latest = self.store.latest_for(sender_id)
                return [{"text": self._text("handoff_over", latest.language if latest else DEFAULT_LANGUAGE)}]
            return None
        choice = _choice(text, handoff.status)
        language = handoff.language
        if handoff.status == WAITING:
            if choice == CANCEL:
                if self.store.move(handoff.id, (WAITING,), CLOSED, ended_how=CANCELLED):
                    return [self._message("handoff_cancelled", language)]
                return self.on_message(sender_id, text)  # taken meanwhile
            self.store.add_line(handoff.id, USER, text)
            return self._still_waiting(handoff)
        if handoff.status == LIVE:
            if text.startswith(PAYLOAD_PREFIX):  # an earlier button: only "cancel" means something now
                if text.strip() == CANCEL and self.store.move(handoff.id, (LIVE,), CLOSED, ended_how=CANCELLED):
                    return [self._message("handoff_cancelled", language)]
                return []
            self.store.add_line(handoff.id, USER, text)
            return []
        if handoff.status == OFFERED:
            if choice == LEAVE_MESSAGE and self.store.move(handoff.id, (OFFERED,), QUESTION):
                return [self._asking(QUESTION, language)]
            self.store.move(handoff.id, (OFFERED,), CLOSED, ended_how=DECLINED)
            return [self._message("anything_else", language)] if choice == NO_THANKS or text.startswith("/") \
                else None
        if choice == CANCEL:
            self.store.move(handoff.id, (QUESTION, CONTACT), CLOSED, ended_how=CANCELLED)
            return [self._message("anything_else", language)]
        if text.startswith("/") and choice != SKIP:  # another button pressed: asked again
            return [self._asking(handoff.status, language)]
        if handoff.status == QUESTION:
            self.store.move(handoff.id, (QUESTION,), CONTACT, question=text[:MAX_TEXT])
            return [self._asking(CONTACT, language)]
        # CONTACT: this message is the way to reach them, or "skip".
        if not self.store.move(handoff.id, (CONTACT,), CLOSED, ended_how=LEFT_MESSAGE):
            return []
        ticket_id = self.store.create_ticket(handoff, handoff.question or "",
                                             None if choice == SKIP else text[:MAX_TEXT])
        self.notifier.send({"event": "ticket_created", "id": ticket_id, "channel": handoff.channel,
                            "language": language, "at": _iso(time.time()), "console": "/staff/tickets"})
        return [self._message("handoff_ticket_saved", language, ticket=ticket_id)]

    def expire_overdue(self) -> int:
        """Tells each conversation that waited too long that nobody could take it, and
        offers to leave a message; hands back each live one whose member of staff is gone.
        How many there were."""
        expired = 0
        for handoff in self.store.overdue(self.settings.handoff.wait_seconds):
            if self.store.move(handoff.id, (WAITING,), OFFERED):
                self._send_later(handoff, self._message("handoff_timed_out", handoff.language,
                                                        [LEAVE_MESSAGE, NO_THANKS]))
                expired += 1
        for handoff in self.store.live_without_staff():
            if self.store.move(handoff.id, (LIVE,), CLOSED, ended_how=STAFF_LEFT):
                self._send_later(handoff, self._message("handoff_handed_back", handoff.language))
                expired += 1
        return expired

    # The staff's side.

    def take(self, handoff_id: int, staff_name: str) -> Handoff:
        handoff = self.store.get(handoff_id)
        if not self.store.take(handoff_id, staff_name):
            current = self.store.get(handoff_id)
            taken = f"taken by {current.taken_by}" if current.status == LIVE else "no longer waiting"
            raise HandoffError(f"conversation {handoff_id} is {taken}")
        self._send_later(handoff, self._message("handoff_joined", handoff.language))
        return self.store.get(handoff_id)

    def reply(self, handoff_id: int, staff_name: str, text: str) -> None:
        handoff = self._own_live(handoff_id, staff_name)
        text = _checked(text, "reply")
        self.store.add_line(handoff_id, STAFF, text, staff_name)
        self._send_later(handoff, {"text": self._text("handoff_staff_says", handoff.language, text=text)})

    def hand_back(self, handoff_id: int, staff_name: str) -> None:
        handoff = self._own_live(handoff_id, staff_name)
        if self.store.move(handoff_id, (LIVE,), CLOSED, ended_how=HANDED_BACK):
            self._send_later(handoff, self._message("handoff_handed_back", handoff.language))

    def answer_ticket(self, ticket_id: int, staff_name: str, answer: str) -> None:
        answer = _checked(answer, "answer")
        ticket = self.store.ticket(ticket_id)
        message = {"text": self._text("handoff_ticket_answer", ticket.language, ticket=ticket_id, answer=answer)}
        self.store.answer_ticket(ticket_id, staff_name, answer, message)
        self.wakeups.publish()

    def _send_later(self, handoff: Handoff, message: Message) -> None:
        """Puts a message for the user in the outbox, and wakes the servers that send it."""
        self.store.send_later(handoff, message)
        self.wakeups.publish()

    def _own_live(self, handoff_id: int, staff_name: str) -> Handoff:
        handoff = self.store.get(handoff_id)
        if handoff.status != LIVE or handoff.taken_by != staff_name:
            raise HandoffError(f"conversation {handoff_id} is not live with {staff_name}")
        return handoff

    # Texts.

    def _asking(self, status: str, language: str) -> Message:
        """What a user leaving a message is asked: their question, then a way to reach them."""
        if status == QUESTION:
            return self._message("handoff_ask_question", language, [CANCEL])
        return self._message("handoff_ask_contact", language, [SKIP], days=self.settings.conversation_retention_days)

    def _still_waiting(self, handoff: Handoff) -> list[Message]:
        return [self._message("handoff_still_waiting", handoff.language, [CANCEL],
                              position=self.store.position(handoff))]

    def _message(self, reply: str, language: str, buttons: list[str] | None = None, **values: Any) -> Message:
        message: Message = {"text": self._text(reply, language, **values)}
        if buttons:
            message["buttons"] = self._buttons(language, buttons)
        return message

    def _text(self, reply: str, language: str, **values: Any) -> str:
        return self.knowledge().conversation_replies[reply][language].format(**values)

    def _buttons(self, language: str, payloads: list[str]) -> list[dict[str, str]]:
        titles = {CANCEL: "handoff_cancel_button", LEAVE_MESSAGE: "handoff_leave_message_button",
                  NO_THANKS: "handoff_no_thanks_button", SKIP: "handoff_skip_button"}
        return [{"title": self._text(titles[payload], language), "payload": payload} for payload in payloads]


def _choice(text: str, status: str) -> str | None:
    """The button the message pressed, or typed the words of, among those of the state."""
    if text.startswith(PAYLOAD_PREFIX):
        return text.strip()
    allowed = {WAITING: (CANCEL,), OFFERED: (LEAVE_MESSAGE, NO_THANKS), QUESTION: (CANCEL,),
               CONTACT: (SKIP, CANCEL)}.get(status, ())
    typed = normalize_phrase(text)
    return next((choice for choice in allowed if typed in _TYPED[choice]), None)


def _checked(text: str, what: str) -> str:
    """A staff member's text, stripped; an empty or overlong one is refused."""
    text = text.strip()
    if not text:
        raise HandoffError(f"the {what} is empty")
    if len(text) > MAX_TEXT:
        raise HandoffError(f"the {what} has {len(text)} characters; at most {MAX_TEXT} can be sent")
    return text


def _duration(seconds: int, language: str) -> str:
    """"3 minutes", "1 minute", "45 seconds"; 「3分钟」「45秒」."""
    minutes, rest = divmod(seconds, 60)
    if language == "zh":
        return f"{minutes}分钟" if minutes and not rest else f"{seconds}秒"
    if minutes and not rest:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{seconds} seconds"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds")
