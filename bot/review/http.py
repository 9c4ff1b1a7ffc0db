"""The staff console's requests and responses, independent of the HTTP server that carries
them (bot.processes.webpage)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the path and query, as requested
    headers: Mapping[str, str]
    body: bytes
    address: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(urlsplit(self.target).query).items()}

    @property
    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode("utf-8", "replace")).items()}

    @property
    def cookies(self) -> dict[str, str]:
        """The request's cookies, read pair by pair: http.cookies stops at the first value it
        finds malformed, and other pages of the site may set any."""
        cookies: dict[str, str] = {}
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                # Browsers send the cookie of the longest path first: the console's own.
                cookies.setdefault(name, value)
        return cookies


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def security_headers() -> list[tuple[str, str]]:
    return [("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                        "base-uri 'none'; object-src 'none'"),
            # same-origin, not no-referrer: with no-referrer, Chromium sends its forms' Origin as "null".
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
            ("Cache-Control", "no-store")]


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(HTTPStatus.SEE_OTHER, b"", [("Location", location), *security_headers(), *(headers or [])])


def json_response(value: Any, status: int = HTTPStatus.OK) -> Response:
    return Response(status, json.dumps(value, ensure_ascii=False).encode(),
                    [("Content-Type", "application/json; charset=utf-8"), *security_headers()])
