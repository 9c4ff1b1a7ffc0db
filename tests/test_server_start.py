"""Starting the servers: the patches of Rasa's and Sanic's internals (bot/server/patches.py)
are installed for the versions they were written for only, a server that cannot listen on
its port says so, and test servers get ports no outgoing connection can take."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import rasa
import sanic

from bot.errors import BotError, UnsupportedVersionError
from bot.processes.stack import RASA_WITH_FALLBACK, action_server, free_port, rasa_server_command, server_environment
from bot.server.versions import PATCHED_VERSIONS, check_versions, installed_versions
from bot.settings import PROJECT_ROOT
from tests.servers import stack_config, stores_in


def test_the_installed_versions_are_the_patched_ones() -> None:
    assert {"rasa": rasa.__version__, "sanic": sanic.__version__} == installed_versions() == PATCHED_VERSIONS
    check_versions(installed_versions())


@pytest.mark.parametrize("package", ["rasa", "sanic"])
def test_another_version_is_refused_naming_both(package: str) -> None:
    found = {**PATCHED_VERSIONS, package: "9.9.9"}
    with pytest.raises(UnsupportedVersionError) as refused:
        check_versions(found)
    assert f"{package} 9.9.9" in str(refused.value) and f"{package} {PATCHED_VERSIONS[package]}" in str(refused.value)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_that_cannot_listen_on_its_port_exits_naming_it(trained_model: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  workers: int) -> None:
    for name, value in stores_in(tmp_path).items():
        monkeypatch.setenv(name, value)
    config = stack_config(trained_model, workers=workers)
    with socket.socket() as taken:
        taken.bind((config.host, config.rasa_port))
        taken.listen()
        finished = subprocess.run(
            [sys.executable, "-m", "bot.server", "run", "--model", str(config.model), "--interface", config.host,
             "--port", str(config.rasa_port), "--endpoints", "endpoints.yml"],
            cwd=PROJECT_ROOT, env=server_environment(config), capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert f"cannot listen on {config.host}:{config.rasa_port}" in finished.stderr


def test_free_ports_are_below_the_range_of_outgoing_connections() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(20)]
    assert all(port < low for port in ports) and len(set(ports)) == len(ports)


def test_an_action_server_whose_port_is_taken_is_not_started(trained_model: Path) -> None:
    config = stack_config(trained_model)
    with socket.socket() as taken:
        taken.bind((config.host, config.action_port))
        taken.listen()
        expected = f"action server cannot listen on {config.host}:{config.action_port}"
        with pytest.raises(BotError, match=expected), action_server(config):
            pass


def test_an_api_token_beginning_with_a_dash_reaches_the_server(trained_model: Path) -> None:
    """The debug shell's random token begins with "-" one time in 64: Rasa's command line
    took it for an option and the server did not start."""
    from rasa.__main__ import create_argument_parser

    config = stack_config(trained_model, api_token="-Zk3_token")
    command = rasa_server_command(config, Path("credentials.yml"))
    arguments = create_argument_parser().parse_args(command[len(RASA_WITH_FALLBACK):])
    assert arguments.enable_api and arguments.auth_token == "-Zk3_token"
