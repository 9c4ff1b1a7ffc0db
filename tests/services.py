"""Stops and restarts the machine's PostgreSQL and Redis for the tests of store failures,
with the commands that started them (every machine of this kind runs both)."""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

START_TIMEOUT_SECONDS = 60.0


def _postgres_version() -> str:
    [version] = [os.path.basename(path) for path in glob.glob("/etc/postgresql/*")]
    return version


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _wait(port: int, up: bool) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while _listening(port) != up:
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {START_TIMEOUT_SECONDS:.0f} s")
        time.sleep(0.2)


def _postgres_accepts_queries() -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode != 0:
        if time.monotonic() > deadline:
            raise TimeoutError("PostgreSQL did not accept connections again")
        time.sleep(0.2)


@contextmanager
def postgres_stopped() -> Iterator[None]:
    """PostgreSQL is down inside the block, and up again after it, whatever happened."""
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_version(), "main"]
    subprocess.run([*command, "stop", "-m", "fast"], check=True)
    try:
        yield
    finally:
        subprocess.run([*command, "start"], check=True)
        _postgres_accepts_queries()


@contextmanager
def redis_stopped() -> Iterator[None]:
    """Redis is down inside the block, and up again after it (empty: it keeps nothing on disk)."""
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=False,
                   capture_output=True)
    _wait(6379, up=False)
    try:
        yield
    finally:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                        "--logfile", "/var/log/redis/ci.log"], check=True, capture_output=True)
        _wait(6379, up=True)
