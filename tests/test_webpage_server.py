"""The web page's own server, without the assistant behind it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.errors import BotError
from bot.processes.stack import free_port
from bot.processes.webpage import PageConfig, serve_page
from bot.processes.widget_bundle import SOCKET_OPTIONS, WEBSOCKET_ONLY, build_widget_bundle


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    with serve_page(PageConfig(host="127.0.0.1", port=free_port(), rasa_port=5999)) as url:
        yield url


def test_the_page_and_its_assets_are_served_with_a_strict_policy(page_url: str) -> None:
    page = requests.get(page_url, timeout=5)
    assert page.status_code == 200 and "Certificate assistant" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self' http://localhost:5999 ws://localhost:5999" in policy
    for asset in ("assets/page.css", "assets/chat.js"):
        assert requests.get(page_url + asset, timeout=5).status_code == 200


def test_the_widget_finds_the_socket_on_the_host_the_page_came_from(page_url: str) -> None:
    config = requests.get(page_url + "config.js", headers={"Host": "192.168.1.20:8080"}, timeout=5).text
    assert '"socketUrl": "http://192.168.1.20:5999"' in config


def test_a_configured_socket_url_is_used_as_is() -> None:
    config = PageConfig(host="127.0.0.1", port=1, rasa_port=5005, socket_url="https://chat.example.org")
    assert config.socket_url_for("localhost:8080") == "https://chat.example.org"


@pytest.mark.parametrize("path", ["nope", "web/index.html", "../bot/settings.py", "%2e%2e/bot/settings.py",
                                  "assets/../Makefile"])
def test_only_the_listed_files_are_served(page_url: str, path: str) -> None:
    assert requests.get(page_url + path, timeout=5).status_code == 404


def test_the_bundle_loses_its_outside_font_import_and_uses_websocket_only(tmp_path: Path) -> None:
    source = tmp_path / "index.js"
    source.write_text('a="@import url(https://fonts.googleapis.com/css?family=Inter:400&display=swap);body{}";'
                      + SOCKET_OPTIONS)
    target = tmp_path / "out" / "webchat.js"
    assert build_widget_bundle(source, target) == 1
    assert target.read_text() == 'a="body{}";' + WEBSOCKET_ONLY


def test_a_bundle_whose_socket_options_changed_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "index.js"
    source.write_text("var r=n?{path:n,upgrade:!1}:{}")
    with pytest.raises(BotError, match="socket.io options"):
        build_widget_bundle(source, tmp_path / "webchat.js")


def test_a_bundle_that_still_names_an_outside_host_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "index.js"
    source.write_text('link("https://fonts.gstatic.com/x.woff")')
    with pytest.raises(BotError, match="fonts.gstatic.com"):
        build_widget_bundle(source, tmp_path / "webchat.js")


def test_a_missing_bundle_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(BotError, match="make web"):
        build_widget_bundle(tmp_path / "missing.js", tmp_path / "webchat.js")
