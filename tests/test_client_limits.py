"""Limits per client on the running servers, at the deployed defaults: one client's flood
does not slow down another, a client is known by its address (a proxy's header only when
the proxy is trusted), and the widget's client by its connection."""

from __future__ import annotations

import queue
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from bot.processes.stack import StackConfig
from bot.protection.clients import client_identity
from tests.servers import UNLIMITED_CLIENTS, session_from, started_stack, user_metadata

API_TOKEN = "limits-test-token"
DEFAULTS = {name: "" for name in UNLIMITED_CLIENTS}  # empty: the settings' defaults


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    with started_stack(trained_model, tmp_path_factory, DEFAULTS, api_token=API_TOKEN) as (config, _):
        yield config


def post(config: StackConfig, client: requests.Session, sender: str, text: str,
         headers: dict[str, str] | None = None) -> requests.Response:
    return client.post(config.rest_url, json={"sender": sender, "message": text}, headers=headers, timeout=30)


def test_one_clients_flood_does_not_slow_down_another(stack: StackConfig) -> None:
    other = session_from("127.0.0.3")
    flood_statuses: list[int] = []
    stop = threading.Event()

    def flood() -> None:  # one of 32 conversations, each sending as soon as it is answered
        session, sender = session_from("127.0.0.2"), f"flood-{uuid.uuid4().hex}"
        while not stop.is_set():
            flood_statuses.append(post(stack, session, sender, "what is a qualification certificate?").status_code)

    threads = [threading.Thread(target=flood) for _ in range(32)]
    for thread in threads:
        thread.start()
    latencies, failures = [], []
    sender = f"other-{uuid.uuid4().hex}"
    try:
        for _ in range(20):  # a question every half second, within its own limits
            started = time.monotonic()
            reply = post(stack, other, sender, "do tour guides need a certificate?")
            latencies.append(time.monotonic() - started)
            if reply.status_code != 200 or not reply.json():
                failures.append(reply.status_code)
            time.sleep(max(0.0, 0.5 - latencies[-1]))
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert failures == []
    assert statistics.quantiles(latencies, n=20)[-1] <= 1.0  # p95
    statuses = Counter(flood_statuses)
    assert statuses[200] > 0 and statuses[429] > 0 and set(statuses) == {200, 429}


def test_new_conversations_per_hour(stack: StackConfig) -> None:
    client = session_from("127.0.0.4")
    senders = [f"many-{uuid.uuid4().hex}" for _ in range(21)]
    assert [post(stack, client, sender, "hello").status_code for sender in senders[:20]] == [200] * 20
    refused = post(stack, client, senders[20], "hello")
    assert refused.status_code == 429 and "20 conversations per hour" in refused.json()["error"]
    assert int(refused.headers["Retry-After"]) > 0
    assert post(stack, client, senders[0], "thanks").status_code == 200  # an ongoing conversation goes on
    assert post(stack, session_from("127.0.0.5"), senders[20], "hello").status_code == 200  # another client


def test_a_forwarded_address_is_ignored_without_a_trusted_proxy(stack: StackConfig) -> None:
    client = session_from("127.0.0.6")
    statuses = [post(stack, client, f"fwd-{uuid.uuid4().hex}", "hello",
                     headers={"X-Forwarded-For": f"203.0.113.{index}"}).status_code for index in range(21)]
    assert statuses == [200] * 20 + [429]


def test_a_trusted_proxy_forwards_the_clients_address(trained_model: Path,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {**DEFAULTS, "BOT_TRUSTED_PROXIES": "1", "BOT_CONVERSATIONS_PER_HOUR": "2"}
    with started_stack(trained_model, tmp_path_factory, env) as (config, _):
        proxy = session_from("127.0.0.7")
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # three people behind one proxy
            assert post(config, proxy, f"p-{uuid.uuid4().hex}", "hello",
                        headers={"X-Forwarded-For": address}).status_code == 200
        same_person = [post(config, proxy, f"p-{uuid.uuid4().hex}", "hello",
                            headers={"X-Forwarded-For": "203.0.113.1"}).status_code for _ in range(2)]
        assert same_person == [200, 429]


def test_the_widgets_client_is_its_connection_and_is_limited(stack: StackConfig, responses: dict[str, str]) -> None:
    client = socketio.Client(websocket_extra_options={"origin": f"http://localhost:{stack.web_port}"})
    confirmed: queue.Queue[str] = queue.Queue()
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    client.connect(f"http://127.0.0.1:{stack.rasa_port}", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": None})
        session_id = confirmed.get(timeout=10)
        answers = []
        for _ in range(31):  # the 31st message of the minute
            client.emit("user_uttered", {"message": "thanks", "session_id": session_id,
                                         "customData": {"client": "someone else", "language": "en"}})
            answers.append(replies.get(timeout=30)["text"])
    finally:
        client.disconnect()
    assert answers == [responses["utter_youre_welcome"]] * 30 + [responses["utter_rate_limited"]]
    # The page's claim to be another client was overruled by the connection's address.
    assert {metadata["client"] for metadata in user_metadata(stack, session_id, API_TOKEN)} == {
        client_identity("socketio", ObservedRequest("127.0.0.1"))}


class ObservedRequest:
    """The parts of a request that bot.protection.clients reads, as the server saw them."""

    def __init__(self, address: str) -> None:
        self.ip = address
        self.remote_addr = ""
