"""Handing conversations to staff (bot.handoff): the desk's states, the store on SQLite and
PostgreSQL, staff hours, the notification URL, the wake-ups and the staff's transcript. The
channels and the console have their own tests (test_rest_channel, test_messaging_channels,
test_staff_console, test_web_page_handoff, test_scaled)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.errors import HandoffError, SettingsError
from bot.handoff.desk import CANCEL, LEAVE_MESSAGE, NO_THANKS, SKIP, Desk, Request
from bot.handoff.hours import StaffHours
from bot.handoff.notify import TIMEOUT_SECONDS
from bot.handoff.store import (
    CLOSED,
    LIVE,
    OFFERED,
    PRESENT_SECONDS,
    STAFF,
    STAFF_GONE_SECONDS,
    USER,
    HandoffStore,
    Line,
)
from bot.handoff.wakeup import WakeupListener, Wakeups
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.routing import LOOKUP_FORM, REMOVED
from bot.processes.conversation_retention import purge_conversations
from bot.review.store import ReviewStore
from bot.review.tables import handoffs, presence, tickets
from bot.server import handoff as server_handoff
from bot.server.handoff import transcript
from bot.settings import HandoffSettings, Settings, load_settings

MONDAY_NOON = datetime(2026, 12, 7, 12, 0)
SUNDAY_NOON = datetime(2026, 12, 6, 12, 0)


def make_desk(store: ReviewStore, kb: KnowledgeBase, notify_url: str = "", hours: str = "",
              wait_seconds: int = 60) -> Desk:
    settings: Settings = dataclasses.replace(load_settings(), handoff=HandoffSettings(
        wait_seconds=wait_seconds, staff_hours=hours, notify_url=notify_url))
    return Desk(HandoffStore(store), settings, lambda: kb)


def ask(desk: Desk, sender: str = "user-1", language: str = "zh", channel: str = "rest") -> list[dict[str, Any]]:
    transcript = [Line(1.0, USER, "二建要注册吗"), Line(2.0, "assistant", "需要注册。")]
    return desk.request(Request(sender, channel, sender, language, transcript), now=MONDAY_NOON)


def replies(kb: KnowledgeBase, name: str, language: str = "zh", **values: Any) -> str:
    return kb.conversation_replies[name][language].format(**values)


def payloads(message: dict[str, Any]) -> list[str]:
    return [button["payload"] for button in message.get("buttons", [])]


def test_with_nobody_available_the_user_can_leave_a_question_and_a_way_to_reach_them(
        review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    [offer] = ask(desk)
    assert offer["text"] == replies(kb, "handoff_no_staff")
    assert payloads(offer) == [LEAVE_MESSAGE, NO_THANKS]
    [question] = desk.on_message("user-1", "留言")  # typed instead of pressed
    assert question["text"] == replies(kb, "handoff_ask_question")
    [again] = desk.on_message("user-1", LEAVE_MESSAGE)  # pressed as well: not taken for the question
    assert again["text"] == replies(kb, "handoff_ask_question")
    [contact] = desk.on_message("user-1", "焊工证过期了还能补考吗？")
    assert contact["text"] == replies(kb, "handoff_ask_contact", days=desk.settings.conversation_retention_days)
    assert payloads(contact) == [SKIP]
    [saved] = desk.on_message("user-1", "邮箱 wang@example.com")
    [ticket] = desk.store.tickets()
    assert saved["text"] == replies(kb, "handoff_ticket_saved", ticket=ticket.id)
    assert (ticket.question, ticket.contact, ticket.language, ticket.channel) == (
        "焊工证过期了还能补考吗？", "邮箱 wang@example.com", "zh", "rest")
    assert desk.store.open_for("user-1") is None
    assert desk.on_message("user-1", "电工证怎么考") is None  # the assistant answers again


def test_skipping_the_contact_and_declining_the_offer(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    ask(desk, "a", "en")
    desk.on_message("a", LEAVE_MESSAGE)
    desk.on_message("a", "Can I renew an expired welding certificate?")
    desk.on_message("a", SKIP)
    assert [ticket.contact for ticket in desk.store.tickets()] == [None]
    ask(desk, "b", "en")
    assert desk.on_message("b", NO_THANKS) == [{"text": replies(kb, "anything_else", "en")}]
    ask(desk, "c", "en")
    # Asking something else instead of answering the offer goes to the assistant.
    assert desk.on_message("c", "Does a tour guide need a certificate?") is None
    assert desk.store.open_for("c") is None


def test_a_live_conversation_from_request_to_hand_back(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    desk.store.set_available("alice", True)
    [waiting] = ask(desk, "u1", "en")
    assert waiting["text"] == replies(kb, "handoff_waiting", "en", position=1, wait="1 minute")
    assert payloads(waiting) == [CANCEL]
    [still] = desk.on_message("u1", "hello?")
    assert still["text"] == replies(kb, "handoff_still_waiting", "en", position=1)
    handoff = desk.take(desk.store.open_for("u1").id, "alice")  # type: ignore[union-attr]
    assert (handoff.status, handoff.taken_by) == (LIVE, "alice")
    with pytest.raises(HandoffError, match="taken by alice"):
        desk.take(handoff.id, "bob")
    assert desk.on_message("u1", "My welding certificate expired last month.") == []  # the assistant is silent
    desk.reply(handoff.id, "alice", "You need to take the re-examination.")
    with pytest.raises(HandoffError, match="not live with bob"):
        desk.reply(handoff.id, "bob", "hi")
    with pytest.raises(HandoffError, match="at most 2000 can be sent"):
        desk.reply(handoff.id, "alice", "x" * 2001)
    lines = desk.store.lines(handoff.id)
    assert [line.text for line in lines][:2] == ["二建要注册吗", "需要注册。"]  # the transcript before
    assert (lines[2].author, lines[2].text) == (USER, "hello?")
    assert (lines[-1].author, lines[-1].staff_name) == (STAFF, "alice")
    assert lines[-2].text == "My welding certificate expired last month."
    assert desk.on_message("u1", LEAVE_MESSAGE) == []  # an old button, not passed on
    desk.hand_back(handoff.id, "alice")
    assert desk.store.get(handoff.id).status == CLOSED
    sent = [message.message["text"] for message in desk.store.undelivered(sender_id="u1")]
    assert sent == [replies(kb, "handoff_joined", "en"),
                    replies(kb, "handoff_staff_says", "en", text="You need to take the re-examination."),
                    replies(kb, "handoff_handed_back", "en")]
    assert desk.on_message("u1", "thanks") is None


def test_staff_replies_reach_only_their_own_conversation(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    desk.store.set_available("alice", True)
    ask(desk, "first")
    [second] = ask(desk, "second")
    assert second["text"] == replies(kb, "handoff_waiting", position=2, wait="1分钟")
    first, second_id = desk.store.open_for("first"), desk.store.open_for("second")
    assert first and second_id
    desk.take(second_id.id, "alice")
    desk.reply(second_id.id, "alice", "只给第二位用户")
    assert [m.message["text"] for m in desk.store.undelivered(sender_id="first")] == []
    assert replies(kb, "handoff_staff_says", text="只给第二位用户") in [
        m.message["text"] for m in desk.store.undelivered(sender_id="second")]
    assert desk.store.position(first) == 1


def test_cancelling_while_waiting(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    desk.store.set_available("alice", True)
    ask(desk, "u")
    assert desk.on_message("u", "取消") == [{"text": replies(kb, "handoff_cancelled")}]
    assert desk.store.open_for("u") is None
    # The button pressed again later: nothing is waiting.
    assert desk.on_message("u", CANCEL) == [{"text": replies(kb, "handoff_over")}]


def test_the_cancel_button_pressed_during_a_live_chat_ends_it(review_store: ReviewStore,
                                                             kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    desk.store.set_available("alice", True)
    ask(desk, "u")
    handoff = desk.take(desk.store.open_for("u").id, "alice")  # type: ignore[union-attr]
    assert desk.on_message("u", "取消") == []  # typed: words for the staff member
    assert desk.on_message("u", CANCEL) == [{"text": replies(kb, "handoff_cancelled")}]
    assert desk.store.get(handoff.id).status == CLOSED


def test_a_wait_too_long_is_told_and_offered_a_message(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb, wait_seconds=5)
    desk.store.set_available("alice", True)
    ask(desk, "u", "en")
    assert desk.expire_overdue() == 0
    handoff = desk.store.open_for("u")
    assert handoff is not None
    with review_store.engine.begin() as connection:
        connection.execute(handoffs.update().values(requested_at=time.time() - 6))
    assert desk.expire_overdue() == 1
    assert desk.expire_overdue() == 0  # told once
    [told] = desk.store.undelivered(sender_id="u")
    assert told.message["text"] == replies(kb, "handoff_timed_out", "en")
    assert payloads(told.message) == [LEAVE_MESSAGE, NO_THANKS]
    assert desk.store.get(handoff.id).status == OFFERED
    with pytest.raises(HandoffError, match="no longer waiting"):
        desk.take(handoff.id, "alice")


def test_staff_count_as_available_only_while_their_console_asks(review_store: ReviewStore) -> None:
    store = HandoffStore(review_store)
    store.set_available("alice", True)
    store.set_available("bob", False)
    assert store.available_staff() == ["alice"]
    assert store.available_staff(now=time.time() + PRESENT_SECONDS + 1) == []
    assert store.seen("alice") is True and store.seen("bob") is False


def test_a_ticket_answer_is_queued_for_the_users_channel_once(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    ask(desk, "tg-42", "zh", channel="telegram")
    for text in (LEAVE_MESSAGE, "证书丢了怎么补办？", SKIP):
        desk.on_message("tg-42", text)
    [ticket] = desk.store.tickets()
    assert ticket.delivery is None
    desk.answer_ticket(ticket.id, "alice", "请联系发证机构申请补发。")
    with pytest.raises(HandoffError, match="answered already"):
        desk.answer_ticket(ticket.id, "bob", "again")
    [outgoing] = desk.store.undelivered(channels=("telegram",))
    assert outgoing.message["text"] == replies(kb, "handoff_ticket_answer", ticket=ticket.id,
                                               answer="请联系发证机构申请补发。")
    assert desk.store.ticket(ticket.id).delivery == "pending"
    assert desk.store.claim(outgoing) and not desk.store.claim(outgoing)
    desk.store.delivered(outgoing)
    assert desk.store.ticket(ticket.id).delivery == "delivered"
    assert desk.store.tickets() == []  # answered: no longer open


def test_outside_the_staff_hours_the_user_is_told_the_hours(review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb, hours="mon-fri 09:00-18:00")
    desk.store.set_available("alice", True)
    [offer] = desk.request(Request("u", "rest", "u", "zh", []), now=SUNDAY_NOON)
    hours = desk.hours.describe("zh")
    assert hours.startswith("周一至周五 09:00–18:00（")
    assert offer["text"] == replies(kb, "handoff_outside_hours", hours=hours)
    [waiting] = desk.request(Request("v", "rest", "v", "en", []), now=MONDAY_NOON)
    assert waiting["text"].startswith("I have asked a member of staff")


@pytest.mark.parametrize(("zone", "zh", "en"), [
    ("UTC", "周一至周五 09:00–18:00（服务器时间，UTC+00:00）", "Mon–Fri 09:00–18:00 (server time, UTC+00:00)"),
    ("Asia/Shanghai", "周一至周五 09:00–18:00（北京时间）", "Mon–Fri 09:00–18:00 (Beijing time)"),
])
def test_staff_hours_are_shown_in_the_servers_time_zone(monkeypatch: pytest.MonkeyPatch, zone: str, zh: str,
                                                        en: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        hours = StaffHours.parse("mon-fri 09:00-18:00")
        assert (hours.describe("zh"), hours.describe("en")) == (zh, en)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_staff_hours_are_read_and_checked() -> None:
    hours = StaffHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00")
    assert hours.open_at(MONDAY_NOON) and not hours.open_at(SUNDAY_NOON)
    assert not hours.open_at(datetime(2026, 12, 7, 18, 0)) and hours.open_at(datetime(2026, 12, 12, 10, 0))
    assert hours.describe("en").startswith("Mon–Fri 09:00–18:00; Sat 10:00–14:00 (server time, ")
    assert StaffHours.parse("").always and StaffHours.parse("").open_at(SUNDAY_NOON)
    for wrong, problem in (("monday 9:00-17:00", "not a day"), ("mon-fri 18:00-09:00", "after the start"),
                           ("9 to 5", "not a period"), ("fri-mon 09:00-17:00", "backwards"),
                           ("mon 09:00-25:00", "not a time")):
        with pytest.raises(SettingsError, match=problem):
            load_settings({"BOT_STAFF_HOURS": wrong})


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_staff_are_notified_of_requests_and_tickets_without_personal_data(
        review_store: ReviewStore, kb: KnowledgeBase, receiver: str) -> None:
    desk = make_desk(review_store, kb, notify_url=receiver)
    desk.store.set_available("alice", True)
    threads = []
    desk.notifier.send = lambda event, send=desk.notifier.send: threads.append(send(event))  # type: ignore[method-assign]
    ask(desk, "u", "en")
    desk.store.set_available("alice", False)
    ask(desk, "v", "zh")
    for text in (LEAVE_MESSAGE, "我的问题", "13800000000"):
        desk.on_message("v", text)
    for thread in threads:
        thread.join(5)
    events = sorted(_Receiver.received, key=lambda event: event["event"])
    assert [(event["event"], event["language"]) for event in events] == [
        ("handoff_requested", "en"), ("ticket_created", "zh")]
    assert "13800000000" not in json.dumps(events) and "我的问题" not in json.dumps(events)


def test_a_notification_address_that_does_not_answer_does_not_hold_up_the_user(
        review_store: ReviewStore, kb: KnowledgeBase) -> None:
    # 10.255.255.1 is not routed: a connection to it hangs until the time limit.
    desk = make_desk(review_store, kb, notify_url="http://10.255.255.1:9/hook")
    desk.store.set_available("alice", True)
    started = time.monotonic()
    [waiting] = ask(desk, "u", "en")
    # Waiting for the address would take the notification's whole time limit.
    assert time.monotonic() - started < TIMEOUT_SECONDS / 2
    assert waiting["text"].startswith("I have asked a member of staff")


def test_tickets_and_handed_over_conversations_are_purged_with_the_conversations(
        review_store: ReviewStore, kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    for sender in ("old", "new"):
        ask(desk, sender)
        for text in (LEAVE_MESSAGE, "问题", "13800000000"):
            desk.on_message(sender, text)
    desk.store.set_available("alice", True)
    ask(desk, "still-waiting")
    old = desk.store.latest_for("old")
    assert old is not None
    with review_store.engine.begin() as connection:
        connection.execute(handoffs.update().where(handoffs.c.sender_id.in_(["old", "still-waiting"]))
                           .values(requested_at=time.time() - 40 * 86400))
        connection.execute(tickets.update().where(tickets.c.sender_id == "old")
                           .values(created_at=time.time() - 40 * 86400))
    purge_conversations(str(review_store.engine.url.render_as_string(hide_password=False)), 30 * 86400)
    assert [ticket.sender_id for ticket in desk.store.tickets()] == ["new"]
    assert desk.store.latest_for("old") is None and desk.store.lines(old.id) == []
    assert desk.store.open_for("still-waiting") is not None  # not ended: kept


def test_a_wakeup_through_redis_ends_the_wait_at_once() -> None:
    """Scaled out, a message put in the outbox wakes the servers' delivery (bot.handoff.wakeup)."""
    url = "redis://127.0.0.1:6379/14"
    listener = WakeupListener(url)

    async def waits() -> tuple[float, float]:
        nothing_published = await _timed(listener.wait(0.5))  # subscribes, then waits it out
        asyncio.get_running_loop().call_later(0.2, Wakeups(url).publish)
        return nothing_published, await _timed(listener.wait(30.0))

    nothing_published, published = asyncio.run(waits())
    assert nothing_published >= 0.4 and published < 15.0  # woken, not timed out
    # Without Redis it simply waits.
    assert asyncio.run(_timed(WakeupListener(None).wait(0.05))) >= 0.04


async def _timed(waiting: Any) -> float:
    started = time.monotonic()
    await waiting
    return time.monotonic() - started


def test_a_live_conversation_whose_staff_member_is_gone_is_handed_back(review_store: ReviewStore,
                                                                       kb: KnowledgeBase) -> None:
    desk = make_desk(review_store, kb)
    desk.store.set_available("alice", True)
    ask(desk, "u", "en")
    handoff = desk.take(desk.store.open_for("u").id, "alice")  # type: ignore[union-attr]
    assert desk.expire_overdue() == 0  # alice's console is open
    with review_store.engine.begin() as connection:
        connection.execute(presence.update().values(seen_at=time.time() - STAFF_GONE_SECONDS - 1))
        connection.execute(handoffs.update().values(taken_at=time.time() - STAFF_GONE_SECONDS - 1))
    assert desk.expire_overdue() == 1
    assert desk.store.get(handoff.id).status == CLOSED
    assert desk.store.undelivered(sender_id="u")[-1].message["text"] == replies(kb, "handoff_handed_back", "en")
    assert desk.on_message("u", "hello?") is None  # the assistant answers again


def test_the_staff_transcript_leaves_out_what_was_typed_into_a_lookup_and_its_result() -> None:
    def said(text: str, at: float, intent: str) -> UserUttered:
        return UserUttered(text, {"name": intent, "confidence": 1.0}, timestamp=at)

    listen = ActionExecuted(ACTION_LISTEN_NAME)
    events = [
        listen, said("/greet{\"language\":\"en\"}", 0.5, "greet"), BotUttered("Hello!"), listen,
        said("check my certificate", 1.0, "check_certificate"), ActionExecuted(LOOKUP_FORM), ActiveLoop(LOOKUP_FORM),
        SlotSet(REQUESTED_SLOT, "certificate_number"), BotUttered("What is the certificate number?"), listen,
        said("SPM-2022-004417", 2.0, "nlu_fallback"), SlotSet(REQUESTED_SLOT, "holder_name"),
        BotUttered("What is the holder's name?"), listen,
        said("Chen Jing", 3.0, "nlu_fallback"), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None),
        BotUttered("Certificate SPM-2022-004417 of Chen J. is valid."), listen,
        said("my ID is 110101199003071234, why was it refused?", 4.0, "faq"), BotUttered("Ask the issuer."), listen,
        said("talk to a person", 5.0, "ask_for_person"),  # the request itself: its turn has not ended
    ]
    assert [(line.author, line.text) for line in transcript(events)] == [
        (USER, "check my certificate"), ("assistant", "What is the certificate number?"),
        (USER, REMOVED), ("assistant", REMOVED), (USER, REMOVED), ("assistant", REMOVED),
        (USER, "my ID is ###, why was it refused?"), ("assistant", "Ask the issuer.")]


@pytest.mark.parametrize(("confidence", "handed_over"), [(0.6, False), (0.99, True)])
def test_a_message_that_only_probably_asks_for_a_person_is_asked_back(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase, confidence: float,
        handed_over: bool) -> None:
    """"Can our company get an ICP license?" may look like a request for a person to the classifier."""
    monkeypatch.setenv("BOT_TRACKER_DB_URL", f"sqlite:///{tmp_path / 'conversations.db'}")
    monkeypatch.setattr(server_handoff, "_desk", None)
    tracker = DialogueStateTracker.from_events("u", [UserUttered(
        "Can our company get an ICP license?", {"name": "ask_for_person", "confidence": confidence},
        input_channel="rest")])
    [reply] = server_handoff.request_person(tracker, CollectingOutputChannel())
    if handed_over:
        assert reply.text == replies(kb, "handoff_no_staff", "en")
    else:
        assert reply.text == replies(kb, "confirm_person", "en")
        assert [button["payload"] for button in reply.data["buttons"]] == ["/ask_for_person"]
    assert (server_handoff.desk().store.latest_for("u") is not None) == handed_over
