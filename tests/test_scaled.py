"""End to end, scaled out (issue #12): two Rasa server replicas and an action server behind
nginx, sharing the machine's real PostgreSQL (conversations, certificates) and Redis (locks,
limits, the widget's replies, WeChat's claimed messages), started here on free ports as
`make run-scaled` starts them."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from bot.certificates.demo import demo_records
from bot.dialogue.answering import Dialogue
from bot.handoff.store import HandoffStore
from bot.knowledge.mentions import MentionFinder
from bot.processes.scaled import ScaledStack
from bot.review.store import ReviewStore
from tests.evaluation import HELDOUT_SETS, expected_response, load_examples
from tests.fake_platform import FakePlatform, fake_platform
from tests.ordering import ordering_texts, send_rapidly, stored_events
from tests.servers import SCALED_REDIS_URL as REDIS_URL
from tests.servers import started_scaled
from tests.services import postgres_stopped, redis_stopped
from tests.test_heldout_accuracy import MIN_ACCURACY
from tests.test_wechat_channel import AES_KEY, APP_ID, TOKEN, follower, wechat_env
from tests.wechat_requests import WechatSender, new_id, text_xml


@pytest.fixture(scope="module")
def scaled_with_wechat(trained_model: Path, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[tuple[ScaledStack, FakePlatform]]:
    with fake_platform() as wechat, started_scaled(trained_model, tmp_path_factory.mktemp("scaled"),
                                                   env=wechat_env(wechat, BOT_WECHAT_AES_KEY=AES_KEY)) as stack:
        yield stack, wechat


@pytest.fixture(scope="module")
def scaled(scaled_with_wechat: tuple[ScaledStack, FakePlatform]) -> ScaledStack:
    return scaled_with_wechat[0]


def wechat_sender(url: str) -> WechatSender:
    return WechatSender(f"{url}/webhooks/wechat/webhook", TOKEN, APP_ID, AES_KEY)


def say(url: str, sender: str, text: str, timeout: float = 30) -> requests.Response:
    return requests.post(url, json={"sender": sender, "message": text}, timeout=timeout)


def reply_text(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    return "\n".join(message.get("text", "") for message in response.json())


def replica_url(stack: ScaledStack, port: int) -> str:
    return f"http://{stack.config.host}:{port}/webhooks/rest/webhook"


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.parametrize("language", HELDOUT_SETS)
def test_heldout_answers_hold_through_nginx(scaled: ScaledStack, dialogue: Dialogue,
                                            localized_responses: dict[str, dict[str, str]], language: str) -> None:
    """Every held-out phrasing through nginx, each in a new conversation: the answers are the
    ones the held-out accuracy test expects, as often as it requires."""
    mentions = MentionFinder(dialogue.kb)
    examples = [(example, expected_response(dialogue, mentions, example))
                for example in load_examples(HELDOUT_SETS[language])]
    examples = [(example, expected) for example, expected in examples if expected is not None]

    def answered_right(item: tuple[Any, str]) -> bool:
        example, expected = item
        return reply_text(say(scaled.config.rest_url, f"heldout-{uuid.uuid4().hex}", example.text)) == \
            localized_responses[expected][language]

    with ThreadPoolExecutor(4) as pool:
        right = sum(pool.map(answered_right, examples))
    assert right / len(examples) >= MIN_ACCURACY[language], f"{right} of {len(examples)}"


def test_a_lookup_through_nginx_reads_postgresql(scaled: ScaledStack) -> None:
    record = next(r for r in demo_records(20, seed=1, today=date.today()) if r["status"] == "revoked")
    sender = f"lookup-{uuid.uuid4().hex}"
    say(scaled.config.rest_url, sender, "I want to check a certificate")
    say(scaled.config.rest_url, sender, record["certificate_number"])
    answer = reply_text(say(scaled.config.rest_url, sender, record["holder_name"]))
    assert "revoked" in answer


def test_the_review_queue_and_the_staff_console_work_on_postgresql_through_nginx(scaled: ScaledStack) -> None:
    """Issue #27 scaled out: what could not be answered is queued in PostgreSQL by whichever
    replica answered it, and the console, behind nginx, logs in and lists it."""
    question = "月嫂证有用吗"  # the stack has a PostgreSQL database of its own
    reply_text(say(scaled.config.rest_url, f"review-{uuid.uuid4().hex}", question))
    env = {**os.environ, "BOT_TRACKER_DB_URL": scaled.config.settings.tracker_db_url}
    added = subprocess.run([sys.executable, "-m", "bot", "staff", "add", "alice"], input="a long enough password\n",
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([sys.executable, "-m", "bot", "review", "--json"], capture_output=True, text=True,
                            env=env, timeout=60, check=True)
    assert question in [wording for group in json.loads(listed.stdout) for wording in group["wordings"]]
    console = requests.Session()
    page = f"http://{scaled.config.host}:{scaled.config.web_port}/staff/"
    login = console.get(f"{page}login", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf, login.text
    logged_in = console.post(f"{page}login", data={"csrf": csrf.group(1), "name": "alice",
                                                   "password": "a long enough password"},
                             headers={"Origin": f"http://{scaled.config.host}:{scaled.config.web_port}"}, timeout=10)
    assert logged_in.status_code == 200 and question in logged_in.text


def test_rapid_messages_to_two_replicas_are_answered_once_each_in_order(scaled: ScaledStack) -> None:
    """10 messages of one conversation, alternately straight to each replica, each sent as
    soon as the one before it arrived: Redis's lock lets one through at a time, in order."""
    sender = f"order-{uuid.uuid4().hex}"
    texts = ordering_texts()
    urls = [replica_url(scaled, port) for port in scaled.config.replica_ports]
    result = send_rapidly(urls, sender, texts, redis.Redis.from_url(REDIS_URL))
    assert result.problems(stored_events(scaled.config.settings.tracker_db_url, sender)) == []


def test_wechat_in_safe_mode_through_nginx(scaled: ScaledStack,
                                           localized_responses: dict[str, dict[str, str]]) -> None:
    sender = wechat_sender(f"http://{scaled.config.host}:{scaled.config.rasa_port}")
    reply = sender.reply_text(sender.post(text_xml(follower(), "证书过期了怎么办")))
    assert reply == localized_responses["utter_faq_answer__expiry_and_renewal"]["zh"]


def test_a_wechat_message_sent_to_both_replicas_is_answered_once(scaled: ScaledStack) -> None:
    """WeChat sends a message again when a reply is late, and a retry may reach another
    replica: the claim in Redis lets one of them answer."""
    openid, msg_id = follower(), new_id()
    xml = text_xml(openid, "做导游要不要证", msg_id)
    senders = [wechat_sender(f"http://{scaled.config.host}:{port}") for port in scaled.config.replica_ports]
    replies: list[str | None] = []
    threads = [threading.Thread(target=lambda s=s: replies.append(s.reply_text(s.post(xml)))) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(replies) == 2 and len([reply for reply in replies if reply]) == 1, replies
    events = stored_events(scaled.config.settings.tracker_db_url, openid)
    assert [event["text"] for event in events if event["event"] == "user"] == ["做导游要不要证"]


# The handoff tests need every replica up: they come before the tests that stop or kill one.

class WidgetUser:
    """A widget's socket connected straight to one replica, as nginx would route a client."""

    def __init__(self, stack: ScaledStack, port: int) -> None:
        self.said: queue.Queue[str] = queue.Queue()
        confirmed: queue.Queue[str] = queue.Queue()
        self.client = socketio.Client(websocket_extra_options={"origin": f"http://localhost:{stack.config.web_port}"})
        self.client.on("session_confirm", confirmed.put)
        self.client.on("bot_uttered", lambda message: self.said.put(message.get("text", "")))
        self.client.connect(f"http://{stack.config.host}:{port}", transports=["websocket"])
        self.client.emit("session_request", {"session_id": None})
        self.session_id = confirmed.get(timeout=10)

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def wait_for(self, text: str, timeout: float = 20.0) -> list[str]:
        """What the widget shows until `text` (failing after `timeout` seconds)."""
        shown: list[str] = []
        deadline = time.monotonic() + timeout
        while not shown or text not in shown[-1]:
            shown.append(self.said.get(timeout=max(0.1, deadline - time.monotonic())))
        return shown


class ConsoleSession:
    """A member of staff in the console through nginx, as live.js drives it."""

    def __init__(self, stack: ScaledStack, name: str) -> None:
        env = {**os.environ, **stack.config.settings.environment()}
        subprocess.run([sys.executable, "-m", "bot", "staff", "add", name], input="a long enough password\n",
                       capture_output=True, text=True, env=env, timeout=60, check=False)  # may exist already
        self.origin = f"http://{stack.config.host}:{stack.config.web_port}"
        self.http = requests.Session()
        login = self.http.get(f"{self.origin}/staff/login", timeout=10)
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf, login.text
        self.post("login", {"csrf": csrf.group(1), "name": name, "password": "a long enough password"})
        live = self.http.get(f"{self.origin}/staff/live", timeout=10)
        found = re.search(r'data-csrf="([^"]+)"', live.text)
        assert found, live.text
        self.csrf = found.group(1)

    def post(self, path: str, form: dict[str, str]) -> requests.Response:
        reply = self.http.post(f"{self.origin}/staff/{path}", data={"csrf": getattr(self, "csrf", ""), **form},
                               headers={"Origin": self.origin}, timeout=10)
        assert reply.status_code < 400, reply.text
        return reply

    def state(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.origin}/staff/live/state", timeout=10).json())


def test_staff_replies_reach_widget_users_on_either_replica_and_only_them(scaled: ScaledStack) -> None:
    """Issue #28 scaled out: two users waiting at once, each socket on another replica; the
    console (behind nginx) takes both, and each reply reaches its own user only."""
    staff = ConsoleSession(scaled, "erin")
    staff.post("live/available", {"available": "yes"})
    users: list[WidgetUser] = []
    try:
        users += [WidgetUser(scaled, port) for port in scaled.config.replica_ports]
        for index, user in enumerate(users):
            user.say("I want to talk to a person")
            user.wait_for("I have asked a member of staff")
            user.say(f"I am user {index}")  # passed on while waiting
            user.wait_for("No member of staff has joined yet")
        conversation_of = {next(index for index in range(2) if any(
            line["text"] == f"I am user {index}" for line in item["lines"])): item["id"]
            for item in staff.state()["waiting"]}
        assert sorted(conversation_of) == [0, 1]
        for index, user in enumerate(users):
            staff.post(f"live/{conversation_of[index]}/take", {})
            user.wait_for("A member of staff has joined the chat.")
        for index in range(2):
            staff.post(f"live/{conversation_of[index]}/reply", {"text": f"only for user {index}"})
        for index, user in enumerate(users):
            shown = user.wait_for(f"only for user {index}")
            assert not any(f"only for user {1 - index}" in text for text in shown)
            user.say(f"thanks from user {index}")

        def thanked(index: int) -> bool:
            return any(line["text"] == f"thanks from user {index}" for item in staff.state()["mine"]
                       if item["id"] == conversation_of[index] for line in item["lines"])

        wait_for(lambda: thanked(0) and thanked(1))
        for index, user in enumerate(users):
            staff.post(f"live/{conversation_of[index]}/hand_back", {})
            user.wait_for("The member of staff has left the chat")
            user.say("do tour guides need a certificate?")
            user.wait_for("tour guide")
    finally:
        staff.post("live/available", {"available": "no"})
        for user in users:
            user.client.disconnect()


def test_a_wechat_follower_leaves_a_message_and_the_answer_from_the_shell_reaches_them(
        scaled_with_wechat: tuple[ScaledStack, FakePlatform]) -> None:
    """Nobody available: the follower leaves a question (choosing by number, as WeChat has
    no buttons), and the answer goes out through the customer-service API."""
    stack, wechat = scaled_with_wechat
    handoffs = HandoffStore(ReviewStore(stack.config.settings.tracker_db_url))
    for name in handoffs.available_staff():  # of other tests
        handoffs.set_available(name, False)
    sender = wechat_sender(f"http://{stack.config.host}:{stack.config.rasa_port}")
    openid = follower()
    offer = sender.reply_text(sender.post(text_xml(openid, "转人工")))
    assert offer and offer.startswith("目前没有工作人员在线") and "1. 留言" in offer
    asked = sender.reply_text(sender.post(text_xml(openid, "1")))  # 1: leave a message
    assert asked and asked.startswith("请在一条消息中写下您想问工作人员的问题。")
    contact = sender.reply_text(sender.post(text_xml(openid, "焊工证过期了还能补考吗？")))
    assert contact and contact.startswith("如您愿意")
    env = {**os.environ, **stack.config.settings.environment()}
    listed = json.loads(subprocess.run([sys.executable, "-m", "bot", "tickets", "--json"], capture_output=True,
                                       text=True, env=env, timeout=60, check=True).stdout)
    assert listed == []  # not a ticket until the contact is given or skipped
    sender.reply_text(sender.post(text_xml(openid, "跳过")))
    listed = json.loads(subprocess.run([sys.executable, "-m", "bot", "tickets", "--json"], capture_output=True,
                                       text=True, env=env, timeout=60, check=True).stdout)
    [ticket] = [item for item in listed if item["question"] == "焊工证过期了还能补考吗？"]
    assert ticket["channel"] == "wechat"
    subprocess.run([sys.executable, "-m", "bot", "tickets", "answer", str(ticket["id"])], input="请联系发证机构。",
                   capture_output=True, text=True, env=env, timeout=60, check=True)
    wait_for(lambda: any("请联系发证机构。" in json.dumps(sent, ensure_ascii=False)
                         for sent in wechat.wechat_sent(openid)))
    wait_for(lambda: json.loads(subprocess.run(
        [sys.executable, "-m", "bot", "tickets", "--all", "--json"], capture_output=True, text=True, env=env,
        timeout=60, check=True).stdout)[-1]["delivery"] == "delivered")


def test_a_replica_failing_its_health_check_gets_no_requests(scaled: ScaledStack) -> None:
    """A frozen replica (SIGSTOP: it still holds its port) is taken out of nginx's list
    within seconds, and its clients are answered by the other one; it comes back after."""
    sender = f"frozen-{uuid.uuid4().hex}"
    first = say(scaled.config.rest_url, sender, "do tour guides need a certificate?")
    serving = int(first.headers["X-Replica"].rsplit(":", 1)[1])
    os.killpg(scaled.replicas[serving].pid, signal.SIGSTOP)
    try:
        wait_for(lambda: serving not in scaled.watcher.routable)
        started = time.monotonic()
        follow_up = say(scaled.config.rest_url, sender, "what about lawyers?", timeout=10)
        assert time.monotonic() - started < 5
        assert follow_up.headers["X-Replica"] != first.headers["X-Replica"]
        assert "lawyer" in reply_text(follow_up).lower()  # the context came along, from PostgreSQL
    finally:
        os.killpg(scaled.replicas[serving].pid, signal.SIGCONT)
    wait_for(lambda: serving in scaled.watcher.routable)


def test_store_failures_get_the_unavailable_reply_and_a_failing_health_check(scaled: ScaledStack) -> None:
    rest, health = scaled.config.rest_url, scaled.config.rest_url.replace("/rest/webhook", "/health/")
    sender = f"stores-{uuid.uuid4().hex}"
    assert reply_text(say(rest, sender, "do tour guides need a certificate?"))
    for stopped, part in ((postgres_stopped, "conversations"), (redis_stopped, "locks")):
        with stopped():
            refused = say(rest, sender, "what about lawyers?")
            assert refused.status_code == 503
            assert refused.json()["reply"].startswith("Sorry, I cannot answer right now")
            checked = requests.get(health, timeout=10)
            assert checked.status_code == 503 and checked.json()[part] != "ok", checked.text
        wait_for(lambda: requests.get(health, timeout=10).status_code == 200, timeout=30)
        # Service resumes, with the conversation's context: never a forgotten conversation.
        assert "lawyer" in reply_text(say(rest, sender, "what about lawyers?")).lower()


def test_a_killed_replica_s_conversations_continue_on_the_other(scaled: ScaledStack) -> None:
    """Last: it leaves one replica."""
    sender = f"failover-{uuid.uuid4().hex}"
    first = say(scaled.config.rest_url, sender, "do tour guides need a certificate?")
    serving = int(first.headers["X-Replica"].rsplit(":", 1)[1])
    os.killpg(scaled.replicas[serving].pid, signal.SIGKILL)
    follow_up = say(scaled.config.rest_url, sender, "what about lawyers?")
    assert "lawyer" in reply_text(follow_up).lower()
    assert follow_up.headers["X-Replica"].endswith(str(next(p for p in scaled.replicas if p != serving)))
    # A dead replica is left to nginx, which skips it: no reload, which would drop the
    # kept-alive connections of every client.
    wait_for(lambda: serving not in scaled.watcher.healthy)
    assert serving in scaled.watcher.routable
