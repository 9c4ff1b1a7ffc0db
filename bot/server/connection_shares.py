"""Spreads connections over the Rasa server's Sanic workers.

Sanic 21.12 binds one listening socket in its main process and hands it to every worker.
Each worker's event loop accepts every connection waiting when it wakes up, so under load
one worker took nearly all of them while the other idled (bench/load_benchmark.py prints
each process's CPU time). Here each worker listens on a socket of its own, bound with
SO_REUSEPORT to the same address, and the kernel spreads new connections over the
workers (a connection that arrives while a worker still loads its model waits for it).
The main process only holds the port (bound, never listening) after checking that no
other server listens on it.

The kernel chooses a worker for a connection by a hash of its addresses, not by load, and a
kept-alive connection stays with its worker: 8 clients were often shared 5 to 3 or 6 to 2,
and the process with fewer stood idle between their messages. So each worker publishes how
many connections it holds, in memory shared with the others, and a worker that holds more
than its share (the total divided by the workers, rounded up) answers its next request
with "Connection: close": the client reconnects, and the kernel chooses again.

bot.server.patches installs this in Sanic when a server process starts.
"""

from __future__ import annotations

import math
import multiprocessing
import socket
from typing import Any

from sanic.http import Http
from sanic.request import Request
from sanic.response import HTTPResponse


def bound(host: str, port: int, share: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def reserve_port(host: str, port: int, *, backlog: int = 100) -> socket.socket:
    """Sanic's bind_socket for several workers: fails as Sanic's does when another server
    listens on the port (even one that lets others share it), then holds the port without
    listening. (A server that is still loading its model does not listen yet, and is not
    noticed.)"""
    bound(host, port, share=False).close()
    return bound(host, port, share=True)


def worker_socket(held: socket.socket, backlog: int) -> socket.socket:
    """A worker's own listening socket on the address the main process holds, IPv6 dual
    stack or not like it."""
    sock = socket.socket(held.family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if held.family == socket.AF_INET6:
        v6_only = held.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6_only)
    sock.bind(held.getsockname())
    sock.listen(backlog)
    return sock


class ConnectionShares:
    """How many connections each worker holds, in memory the workers share: made in the
    main process, before Sanic forks the workers; each worker claims a slot."""

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("fork")  # Sanic 21.12 forks its workers
        self.counts = context.RawArray("i", workers)
        self._claimed = context.Value("i", 0)

    def claim_slot(self) -> int:
        with self._claimed.get_lock():
            slot: int = self._claimed.value % len(self.counts)
            self._claimed.value += 1
        return slot

    def over_share(self, slot: int) -> bool:
        counts: list[int] = self.counts[:]
        return counts[slot] > math.ceil(sum(counts) / len(counts))


class CountedConnections(set[Any]):
    """A worker's open connections (Sanic adds and discards them), counted in its slot.
    Connections upgraded to websockets (the widget's socket.io) are not counted: they stay
    with their worker, so only HTTP connections are shared out."""

    def __init__(self, shares: ConnectionShares, slot: int) -> None:
        super().__init__()
        self.shares, self.slot = shares, slot

    def add(self, connection: Any) -> None:
        super().add(connection)
        self._publish()

    def discard(self, connection: Any) -> None:
        super().discard(connection)
        self._publish()

    def over_share(self) -> bool:
        self._publish()
        return self.shares.over_share(self.slot)

    def _publish(self) -> None:
        self.shares.counts[self.slot] = sum(getattr(connection, "websocket", None) is None for connection in self)


def close_when_over_share(request: Request, response: HTTPResponse) -> None:
    """A response middleware: a worker holding more than its share of the connections closes
    this one after the response (websocket upgrades are left alone)."""
    http, connections = request.stream, getattr(request.protocol, "connections", None)
    if isinstance(http, Http) and http.keep_alive and not http.upgrade_websocket \
            and isinstance(connections, CountedConnections) and connections.over_share():
        http.keep_alive = False
