"""Each Sanic worker of the Rasa server listens on its own socket, and the workers keep their
shares of the connections even (bot/server/connection_shares.py)."""

from __future__ import annotations

import http.client
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sanic import Sanic
from sanic.server import runners

from bot.server import connection_shares, patches
from bot.server.__main__ import sanic_and_tensorflow_environment
from bot.settings import load_settings
from tests.servers import started_stack


def test_the_port_is_held_but_not_listened_on() -> None:
    held = connection_shares.reserve_port("127.0.0.1", 0)
    try:
        port = held.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
    finally:
        held.close()


@pytest.mark.parametrize("share", [False, True])
def test_a_port_another_server_holds_is_refused(share: bool) -> None:
    other = socket.socket()
    if share:  # even one that would let a second server share it unnoticed
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", 0))
    other.listen()
    try:
        with pytest.raises(OSError):
            connection_shares.reserve_port("127.0.0.1", other.getsockname()[1])
    finally:
        other.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::"])
def test_a_worker_listens_on_its_own_socket_at_the_held_address(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(runners, "serve", lambda **settings: calls.append(settings))
    monkeypatch.setattr(runners, "bind_socket", runners.bind_socket)
    patches._install_own_sockets(2)
    held = connection_shares.reserve_port(host, 0)
    address = held.getsockname()
    app = Sanic(f"test-{uuid.uuid4().hex}")
    runners.serve(sock=held, host=None, port=None, run_multiple=True, reuse_port=True, backlog=10, app=app)
    own = calls[0]["sock"]
    try:
        assert own.getsockname() == address and own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        assert connection_shares.close_when_over_share in app.response_middleware
        assert held.fileno() == -1  # the worker's copy of the main process's socket is closed
        # It listens, on IPv4 too when the held address is IPv6's dual-stack "::".
        socket.create_connection(("127.0.0.1", address[1]), timeout=2).close()
    finally:
        own.close()


@pytest.mark.parametrize(("workers", "threads"), [(2, "1"), (1, None)])
def test_tensorflow_runs_on_one_thread_a_process_when_processes_share_the_cores(
        workers: int, threads: str | None) -> None:
    environment = sanic_and_tensorflow_environment(load_settings().with_server(workers=workers))
    assert environment["SANIC_WORKERS"] == str(workers)
    assert environment.get("TF_INTRA_OP_PARALLELISM_THREADS") == threads
    assert environment.get("TF_INTER_OP_PARALLELISM_THREADS") == threads


@pytest.mark.parametrize(("counts", "over"), [
    ([5, 3], [True, False]), ([4, 4], [False, False]), ([5, 4], [False, False]), ([1, 0], [False, False]),
    ([3, 0, 0], [True, False, False]), ([0, 0], [False, False]),
])
def test_a_worker_is_over_its_share_with_more_than_the_total_over_the_workers_rounded_up(
        counts: list[int], over: list[bool]) -> None:
    shares = connection_shares.ConnectionShares(len(counts))
    shares.counts[:] = counts
    assert [shares.over_share(slot) for slot in range(len(counts))] == over


def test_a_worker_counts_its_open_connections_in_its_own_slot() -> None:
    shares = connection_shares.ConnectionShares(2)
    first, second = (connection_shares.CountedConnections(shares, shares.claim_slot()) for _ in range(2))
    first.add("a")
    first.add("b")
    second.add("c")
    first.discard("a")
    first.discard("a")  # Sanic may discard a connection twice
    assert shares.counts[:] == [1, 1]


class Connection:
    websocket: object | None = None


def test_connections_upgraded_to_websockets_are_not_shared_out() -> None:
    shares = connection_shares.ConnectionShares(2)
    first, second = (connection_shares.CountedConnections(shares, shares.claim_slot()) for _ in range(2))
    upgraded = [Connection() for _ in range(3)]
    for connection in [*upgraded, Connection()]:
        first.add(connection)
    second.add(Connection())
    assert first.over_share()  # 4 HTTP connections against 1
    for connection in upgraded:
        connection.websocket = object()  # as Sanic's WebSocketProtocol marks an upgraded one
    assert not first.over_share() and shares.counts[:] == [1, 1]


def established_per_process(port: int) -> list[int]:
    """How many established connections to `port` each process of this machine holds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 01: ESTABLISHED
                inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            held = sum(os.readlink(fd) in inodes for fd in (process / "fd").iterdir())
        except OSError:  # gone, or not ours
            continue
        if held:
            counts.append(held)
    return sorted(counts)


def split_after_connecting(port: int, connections: list[http.client.HTTPConnection]) -> list[int]:
    for connection in connections:
        connection.connect()
    deadline = time.monotonic() + 10
    while sum(split := established_per_process(port)) < len(connections) and time.monotonic() < deadline:
        time.sleep(0.05)
    return split


def test_kept_alive_connections_end_up_shared_evenly_by_the_two_server_processes(
        trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with started_stack(trained_model, tmp_path_factory, workers=2) as (config, _):
        # The kernel shares new connections by a hash: connect 8 until they are shared unevenly.
        for _ in range(30):
            connections = [http.client.HTTPConnection(config.host, config.rasa_port, timeout=30) for _ in range(8)]
            if split_after_connecting(config.rasa_port, connections) != [4, 4]:
                break
            for connection in connections:
                connection.close()
        assert established_per_process(config.rasa_port) != [4, 4]
        closed_in_round = []
        while len(closed_in_round) < 30 and (not closed_in_round or closed_in_round[-1]):
            closed = 0
            for number, connection in enumerate(connections):
                # http.client reconnects by itself after a "Connection: close".
                connection.request("POST", "/webhooks/rest/webhook", headers={"Content-Type": "application/json"},
                                   body=f'{{"sender": "even-{number}-{uuid.uuid4().hex}", "message": "hello"}}')
                closed += response_of(connection).getheader("connection", "").lower() == "close"
            closed_in_round.append(closed)
        # Connections were closed, until a round in which none was: all 8 open, shared evenly.
        assert sum(closed_in_round) >= 1 and closed_in_round[-1] == 0, closed_in_round
        assert established_per_process(config.rasa_port) == [4, 4]
        for connection in connections:
            connection.close()


def response_of(connection: http.client.HTTPConnection) -> http.client.HTTPResponse:
    response = connection.getresponse()
    assert response.status == 200 and response.read()
    return response
