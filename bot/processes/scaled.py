"""Runs the assistant scaled out on one machine: one action server, several Rasa server
replicas, the web page, and nginx in front of them (`make run-scaled`).

The replicas share everything through PostgreSQL (conversations, certificates) and Redis
(locks, rate limits and lookup counters, the widget's replies), so any replica can carry
on any conversation. nginx listens on the usual ports: the Rasa port (REST, socket.io,
health, messaging webhooks) and the web port (the page, and the same routes, so the widget
talks to its own origin). It sends all requests of one client to one replica (a
consistent hash of the client's address) while that replica is healthy. A watcher here asks
every replica's health check each second and takes a replica that still takes connections
but fails its checks out of nginx's list (a reload), and puts it back when it recovers; a
replica that died is skipped by nginx itself, which passes a refused connection on to the
next replica.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bot.errors import BotError
from bot.processes.stack import (
    Log,
    StackConfig,
    action_server,
    rasa_server_command,
    server_environment,
    spawn,
    stop_process,
    wait_until_up,
    write_credentials,
)
from bot.processes.webpage import PageConfig, serve_page
from bot.review.console import StaffConsole
from bot.settings import PROJECT_ROOT, Settings, child_environment

logger = logging.getLogger(__name__)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HEALTH_PATH = "/webhooks/health/"
CHECK_INTERVAL_SECONDS = 1.0
CHECK_TIMEOUT_SECONDS = 2.0
RELOAD_TIMEOUT_SECONDS = 5.0


# Behind nginx, which listens on the settings' Rasa and web ports: the replicas on
# consecutive ports from this one, and the page.
FIRST_REPLICA_PORT = 5101
PAGE_PORT = 8081


@dataclass(frozen=True)
class ScaledConfig:
    """The scaled-out deployment: settings that share the state in PostgreSQL and Redis
    (`load_settings(scaled=True)`), the model, and where each process listens."""

    settings: Settings
    model: Path
    replicas: int
    first_replica_port: int = FIRST_REPLICA_PORT
    page_port: int = PAGE_PORT
    startup_timeout: float = 300.0
    # Where nginx's configuration, logs and temporary files go.
    nginx_dir: Path = PROJECT_ROOT / "build" / "nginx"

    @property
    def host(self) -> str:
        return self.settings.server.host

    @property
    def rasa_port(self) -> int:
        """nginx's Rasa port, which users and integrations use."""
        return self.settings.server.rasa_port

    @property
    def web_port(self) -> int:
        """nginx's port for the page (and the same routes, for the widget)."""
        return self.settings.server.web_port

    @property
    def replica_ports(self) -> list[int]:
        return [self.first_replica_port + index for index in range(self.replicas)]

    def replica(self, port: int) -> StackConfig:
        """A replica: one server process on `port` (several replicas share the cores), without
        Rasa's HTTP API (nginx does not route it)."""
        return StackConfig(self.settings.with_server(rasa_port=port, workers=1, api_token=""), self.model,
                           self.startup_timeout)

    @property
    def front(self) -> StackConfig:
        """nginx's Rasa port, seen as one server's: the URLs users and integrations use."""
        return StackConfig(self.settings, self.model, self.startup_timeout)

    @property
    def rest_url(self) -> str:
        return self.front.rest_url


def upstream_block(config: ScaledConfig, healthy: list[int]) -> str:
    """nginx's list of replicas: the healthy ones, or all of them when none is (a replica
    whose store is down still tells its users so, which beats nginx's own error page)."""
    in_service = set(healthy) or set(config.replica_ports)
    servers = "".join(
        f"    server {config.host}:{port} max_fails=1 fail_timeout=5s{'' if port in in_service else ' down'};\n"
        for port in config.replica_ports)
    # One client's requests go to one replica; when it leaves, only its clients move.
    return f"upstream replicas {{\n    hash $remote_addr consistent;\n{servers}    keepalive 32;\n}}\n"


def nginx_config(config: ScaledConfig) -> str:
    directory = config.nginx_dir
    proxied = """
        proxy_pass http://replicas;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        # Which replica answered, for support staff and the tests.
        add_header X-Replica $upstream_addr always;"""
    assistant_routes = f"""
        location /webhooks/ {{{proxied}
            proxy_set_header Connection "";
            # A message that meets a replica that just died (a dead kept-alive connection,
            # say) goes to the next one: the user sees no error. Should that replica have
            # died while answering, the message is answered again, which beats an error.
            # A slow answer is not sent again: it would be answered twice.
            proxy_next_upstream error non_idempotent;
            proxy_read_timeout 30s;
        }}
        location /socket.io/ {{{proxied}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # A WebSocket stays open while the widget is on screen.
            proxy_read_timeout 1h;
        }}"""
    return f"""# Written by bot/processes/scaled.py at start-up; edits are lost.
daemon off;
worker_processes 1;
# Closes what an old worker still holds after a reload (the widget reconnects).
worker_shutdown_timeout 10s;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory}/tmp/body;
    proxy_temp_path {directory}/tmp/proxy;
    fastcgi_temp_path {directory}/tmp/fastcgi;
    uwsgi_temp_path {directory}/tmp/uwsgi;
    scgi_temp_path {directory}/tmp/scgi;
    client_max_body_size {config.settings.server.max_request_bytes};
    # Nothing goes through temporary files, which nginx's unprivileged workers may not be
    # allowed to write where this configuration lives.
    client_body_buffer_size {config.settings.server.max_request_bytes};
    proxy_max_temp_file_size 0;
    # Upgrade for the widget's WebSocket; otherwise keep-alive connections to the replicas.
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ""; }}
    include {directory}/upstreams.conf;
    upstream page {{ server {config.host}:{config.page_port}; }}
    server {{
        listen {config.host}:{config.rasa_port};{assistant_routes}
    }}
    server {{
        listen {config.host}:{config.web_port};{assistant_routes}
        location / {{
            proxy_pass http://page;
            # With its port: the staff console checks that a form's Origin is this host.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


class Nginx:
    """nginx from Debian's package, with this deployment's configuration, in the foreground."""

    def __init__(self, config: ScaledConfig, log: Log) -> None:
        if not Path(NGINX).exists():
            raise BotError(f"nginx not found at {NGINX}; run `make nginx` (Debian: apt-get install nginx)")
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        directory = self.config.nginx_dir
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        self.write_upstreams(self.config.replica_ports)
        (directory / "nginx.conf").write_text(nginx_config(self.config), encoding="utf-8")
        command = [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")]
        checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise BotError(f"nginx refused its configuration: {checked.stderr.strip()}")
        self.process = spawn(command, child_environment(None), self.log)
        wait_until_up(self.config.front.rasa_up_url, self.process, "nginx", 30)

    def write_upstreams(self, ports: list[int]) -> bool:
        """Writes the list of replicas; whether it changed."""
        path, block = self.config.nginx_dir / "upstreams.conf", upstream_block(self.config, ports)
        if path.exists() and path.read_text(encoding="utf-8") == block:
            return False
        path.write_text(block, encoding="utf-8")
        return True

    def route_to(self, ports: list[int]) -> None:
        """Sends requests to these replicas only (all of them when the list is empty); returns
        once nginx routes new connections by the new list."""
        with self._lock:
            if not self.write_upstreams(ports) or self.process is None or self.process.poll() is not None:
                return
            old_workers = nginx_workers(self.process.pid)
            os.kill(self.process.pid, signal.SIGHUP)  # nginx re-reads its configuration
            deadline = time.monotonic() + RELOAD_TIMEOUT_SECONDS
            while not reload_took_effect(self.process.pid, old_workers):
                if time.monotonic() > deadline:
                    logger.warning("nginx has not reloaded its list of replicas within %s s", RELOAD_TIMEOUT_SECONDS)
                    return
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def nginx_workers(master: int) -> dict[int, str]:
    """nginx's worker processes and their titles (which say when one is shutting down)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return {}
    workers = {}
    for child in map(int, children):
        try:
            workers[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue  # it has just exited
    return workers


def reload_took_effect(master: int, old_workers: dict[int, str]) -> bool:
    """A reload starts new workers, then tells the old ones to stop, and each old worker
    closes its listening sockets as it retitles itself "shutting down": from then on only
    the new workers, with the new list, take connections."""
    workers = nginx_workers(master)
    started = any(pid not in old_workers for pid in workers)
    old_still_listening = any(pid in old_workers and "shutting down" not in title for pid, title in workers.items())
    return started and not old_still_listening


HEALTHY, REFUSING, FAILING = "healthy", "refusing", "failing"
# Checks in a row that a replica taking connections must fail before it is taken out: a busy
# replica may miss one, and every change of the list is a reload of nginx.
FAILED_CHECKS_TO_REMOVE = 2


def replica_state(host: str, port: int) -> str:
    """HEALTHY; REFUSING when nothing listens on its port (it died); FAILING otherwise."""
    try:
        return HEALTHY if requests.get(f"http://{host}:{port}{HEALTH_PATH}", timeout=CHECK_TIMEOUT_SECONDS).ok \
            else FAILING
    except requests.Timeout:
        return FAILING
    except requests.RequestException:
        try:
            socket.create_connection((host, port), timeout=CHECK_TIMEOUT_SECONDS).close()
        except ConnectionRefusedError:
            return REFUSING
        except OSError:
            pass
        return FAILING


class HealthWatcher:
    """Asks each replica's health check every second. `healthy` lists the replicas that
    passed the last one; `routable` those nginx sends requests to, which it passes to
    `on_change` whenever that list changes. A replica that refuses connections stays
    routable: nginx itself passes a refused request on to the next replica, whereas a
    reload closes the idle kept-alive connections of every client, and a client that sent
    a message on one at that moment gets an error."""

    def __init__(self, config: ScaledConfig, on_change: Callable[[list[int]], None]) -> None:
        self.config = config
        self.on_change = on_change
        self.healthy = list(config.replica_ports)
        self.routable = list(config.replica_ports)
        self._failed_checks = dict.fromkeys(config.replica_ports, 0)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replica-health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(CHECK_INTERVAL_SECONDS):
            self.check()

    def check(self) -> None:
        states = {port: replica_state(self.config.host, port) for port in self.config.replica_ports}
        for port, state in states.items():
            self._failed_checks[port] = self._failed_checks[port] + 1 if state == FAILING else 0
        routable = [port for port in self.config.replica_ports
                    if self._failed_checks[port] < FAILED_CHECKS_TO_REMOVE]
        if routable != self.routable:
            logger.warning("Replicas taken out of nginx's list: %s; back in it: %s",
                           sorted(set(self.routable) - set(routable)) or "none",
                           sorted(set(routable) - set(self.routable)) or "none")
            self.on_change(routable)
            self.routable = routable
        healthy = [port for port, state in states.items() if state == HEALTHY]
        if healthy != self.healthy:
            logger.warning("Replicas failing their health check: %s", [
                f"{port} ({states[port]})" for port in self.config.replica_ports if port not in healthy] or "none")
            self.healthy = healthy


@dataclass
class ScaledStack:
    """What run_scaled started, for whoever runs it (the tests kill replicas)."""

    config: ScaledConfig
    replicas: dict[int, subprocess.Popen[bytes]]
    watcher: HealthWatcher


@contextmanager
def rasa_replicas(config: ScaledConfig, log: Log) -> Iterator[dict[int, subprocess.Popen[bytes]]]:
    """Starts every replica at once (each loads the model), and waits until all answer."""
    if not config.model.exists():
        raise BotError(f"no trained model at {config.model}; run `make train`")
    with ExitStack() as stack:
        processes: dict[int, subprocess.Popen[bytes]] = {}
        for port in config.replica_ports:
            replica = config.replica(port)
            credentials = write_credentials(replica)
            stack.callback(credentials.unlink, missing_ok=True)
            process = spawn(rasa_server_command(replica, credentials), server_environment(replica), log)
            stack.callback(stop_process, process)
            processes[port] = process
        for port, process in processes.items():
            wait_until_up(config.replica(port).rasa_up_url, process, f"replica on port {port}", config.startup_timeout)
        yield processes


@contextmanager
def run_scaled(config: ScaledConfig, log: Log = None) -> Iterator[ScaledStack]:
    """Runs the scaled-out assistant until the block ends."""
    with ExitStack() as stack:
        stack.enter_context(action_server(config.replica(config.first_replica_port), log))
        replicas = stack.enter_context(rasa_replicas(config, log))
        # The widget talks to the page's own origin, which nginx routes to the replicas.
        stack.enter_context(serve_page(PageConfig(host=config.host, port=config.page_port, rasa_port=config.web_port,
                                                  socket_url=config.settings.server.socket_url,
                                                  console=StaffConsole(config.settings))))
        nginx = Nginx(config, log)
        stack.callback(nginx.stop)
        nginx.start()
        watcher = HealthWatcher(config, nginx.route_to)
        stack.callback(watcher.stop)
        watcher.start()
        yield ScaledStack(config, replicas, watcher)
