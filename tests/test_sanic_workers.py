"""Each Sanic worker of the Rasa server listens on its own socket (bot/sanic_workers.py)."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from sanic.server import runners

from bot import sanic_workers


def test_the_port_is_held_but_not_listened_on() -> None:
    held = sanic_workers.reserve_port("127.0.0.1", 0)
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
            sanic_workers.reserve_port("127.0.0.1", other.getsockname()[1])
    finally:
        other.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "::"])
def test_a_worker_listens_on_its_own_socket_at_the_held_address(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(runners, "serve", lambda **settings: calls.append(settings))
    monkeypatch.setattr(runners, "bind_socket", runners.bind_socket)
    sanic_workers.install()
    held = sanic_workers.reserve_port(host, 0)
    address = held.getsockname()
    runners.serve(sock=held, host=None, port=None, run_multiple=True, reuse_port=True, backlog=10)
    own = calls[0]["sock"]
    try:
        assert own.getsockname() == address and own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        assert held.fileno() == -1  # the worker's copy of the main process's socket is closed
        # It listens, on IPv4 too when the held address is IPv6's dual-stack "::".
        socket.create_connection(("127.0.0.1", address[1]), timeout=2).close()
    finally:
        own.close()


@pytest.mark.parametrize(("workers", "threads"), [(2, "1"), (1, None)])
def test_tensorflow_runs_on_one_thread_a_process_when_processes_share_the_cores(
        monkeypatch: pytest.MonkeyPatch, workers: int, threads: str | None) -> None:
    from bot.rasa_server import configure_tensorflow_threads

    for name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS"):
        monkeypatch.setenv(name, "")  # restored (or removed) after the test
        monkeypatch.delenv(name)
    configure_tensorflow_threads(workers)
    assert os.environ.get("TF_INTRA_OP_PARALLELISM_THREADS") == threads
    assert os.environ.get("TF_INTER_OP_PARALLELISM_THREADS") == threads
