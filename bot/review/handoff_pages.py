"""The staff console's pages for conversations handed to staff (bot.handoff.desk):

- /staff/live: mark yourself available; the queue of conversations waiting for a person
  and your live conversations, kept up to date by web/staff/live.js, which asks
  /staff/live/state every few seconds (that also tells the assistant you are still there);
  take a conversation, reply, hand it back.
- /staff/tickets: the questions left for staff; answer one, and see whether the answer
  reached the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from bot.errors import HandoffError
from bot.handoff.desk import Desk
from bot.handoff.store import LIVE, WAITING, Handoff, HandoffStore
from bot.knowledge.model import KnowledgeBase
from bot.review.http import Request, Response, json_response, redirect
from bot.review.sessions import Session
from bot.review.store import ReviewStore, when
from bot.settings import Settings

LIVE_PATH, TICKETS_PATH = "live", "tickets"
Page = Callable[..., Response]


class HandoffPages:
    def __init__(self, settings: Settings, knowledge: Callable[[], KnowledgeBase], prefix: str) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.prefix = prefix

    def handles(self, path: str) -> bool:
        first = path.removeprefix(self.prefix).split("/")[0]
        return first in (LIVE_PATH, TICKETS_PATH)

    def route(self, request: Request, session: Session, store: ReviewStore, page: Page) -> Response | None:
        desk = Desk(HandoffStore(store), self.settings, self.knowledge)
        parts = request.path.removeprefix(self.prefix).split("/")
        post = request.method == "POST"
        if parts == [LIVE_PATH] and not post:
            return page("live.html", available=desk.store.seen(session.name))
        if parts == [LIVE_PATH, "state"] and not post:
            return json_response(live_state(desk, session.name))
        if parts == [LIVE_PATH, "available"] and post:
            available = request.form.get("available") == "yes"
            desk.store.set_available(session.name, available)
            store.record(session.name, "available" if available else "unavailable", "")
            return redirect(f"{self.prefix}{LIVE_PATH}")
        if len(parts) == 3 and parts[0] == LIVE_PATH and parts[1].isdigit() and post:
            return self._act(desk, store, session, int(parts[1]), parts[2], request.form.get("text", ""))
        if parts == [TICKETS_PATH] and not post:
            return page("tickets.html", tickets=[_ticket_view(ticket) for ticket in
                                                 reversed(desk.store.tickets(open_only=False))])
        if len(parts) == 3 and parts[0] == TICKETS_PATH and parts[1].isdigit() and parts[2] == "answer" and post:
            desk.answer_ticket(int(parts[1]), session.name, request.form.get("answer", ""))
            store.record(session.name, "ticket_answered", f"ticket {parts[1]}")
            return redirect(f"{self.prefix}{TICKETS_PATH}")
        return None

    @staticmethod
    def _act(desk: Desk, store: ReviewStore, session: Session, handoff_id: int, action: str, text: str) -> Response:
        try:
            if action == "take":
                desk.take(handoff_id, session.name)
                store.record(session.name, "handoff_taken", f"conversation {handoff_id}")
            elif action == "reply":
                desk.reply(handoff_id, session.name, text)
            elif action == "hand_back":
                desk.hand_back(handoff_id, session.name)
                store.record(session.name, "handoff_handed_back", f"conversation {handoff_id}")
            else:
                return json_response({"error": f"unknown action {action!r}"}, HTTPStatus.NOT_FOUND)
        except HandoffError as error:
            return json_response({"error": str(error)}, HTTPStatus.CONFLICT)
        return json_response({"ok": True})


def live_state(desk: Desk, staff_name: str) -> dict[str, Any]:
    """What the live page shows, as JSON; asking for it counts as being there."""
    available = desk.store.seen(staff_name)
    open_ones = desk.store.in_states(WAITING, LIVE)
    return {
        "available": available,
        "present": desk.store.available_staff(),
        "waiting": [_conversation(desk, handoff) for handoff in open_ones if handoff.status == WAITING],
        "mine": [_conversation(desk, handoff) for handoff in open_ones
                 if handoff.status == LIVE and handoff.taken_by == staff_name],
        "others": [{"id": handoff.id, "taken_by": handoff.taken_by, "channel": handoff.channel}
                   for handoff in open_ones if handoff.status == LIVE and handoff.taken_by != staff_name],
    }


def _conversation(desk: Desk, handoff: Handoff) -> dict[str, Any]:
    return {"id": handoff.id, "channel": handoff.channel, "language": handoff.language,
            "requested": when(handoff.requested_at), "waited_seconds": round(time.time() - handoff.requested_at),
            "lines": [{"author": line.author, "text": line.text, "at": when(line.at), "staff": line.staff_name}
                      for line in desk.store.lines(handoff.id)]}


def _ticket_view(ticket: Any) -> dict[str, Any]:
    return {**ticket.__dict__, "created": when(ticket.created_at),
            "answered": when(ticket.answered_at) if ticket.answered_at else ""}
