"""Spreads connections over the Rasa server's Sanic workers (issue #10).

Sanic 21.12 binds one listening socket in its main process and hands it to every worker.
Each worker's event loop accepts every connection waiting when it wakes up, so under load
one worker took nearly all of them while the other idled (bench/load_benchmark.py prints
each process's CPU time). Here each worker listens on a socket of its own, bound with
SO_REUSEPORT to the same address, and the kernel spreads new connections over the
workers (a connection that arrives while a worker still loads its model waits for it).
The main process only holds the port (bound, never listening) after checking that no
other server listens on it.

`install()` is called by bot.rasa_server before Rasa starts.
"""

from __future__ import annotations

import socket
from typing import Any

from sanic.server import runners


def _bound(host: str, port: int, share: bool) -> socket.socket:
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
    _bound(host, port, share=False).close()
    return _bound(host, port, share=True)


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


def install() -> None:
    serve = runners.serve
    if getattr(serve, "own_socket", False):
        return

    def serve_on_own_socket(**settings: Any) -> Any:
        held = settings.get("sock")
        if settings.get("run_multiple") and isinstance(held, socket.socket) \
                and held.family in (socket.AF_INET, socket.AF_INET6):
            settings["sock"] = worker_socket(held, settings.get("backlog", 100))
            settings["reuse_port"] = False  # set on the socket already
            held.close()
        return serve(**settings)

    serve_on_own_socket.own_socket = True  # type: ignore[attr-defined]
    runners.serve = serve_on_own_socket  # type: ignore[assignment]
    runners.bind_socket = reserve_port  # type: ignore[attr-defined]
