"""An issuing authority's verification API over HTTP, with the same contract as the store.

The contract we expect of a registry:

    POST {base_url}/verify   {"certificate_number": "...", "holder_name": "..."}
    200 {"certificate": {certificate_number, holder_name, certificate_type, level, issuer,
                          issued_on, valid_until, status}}   number and name match
    404                                                      no match (either one)

POST keeps holder names out of URLs, which proxies and servers log. Timeouts, connection
errors and 5xx answers are retried by urllib3's Retry with exponential backoff; anything
else is a clear error. The calls block, so the lookup action runs them in a thread, off the
action server's event loop.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.certificates.model import STATUSES, Certificate, normalize_name, normalize_number
from bot.errors import CertificateNotFound, LookupUnavailable

logger = logging.getLogger(__name__)

BACKOFF_FACTOR = 0.25  # urllib3 waits 0, then 0.5 s, 1 s, 2 s... between attempts
SERVER_ERRORS = (500, 502, 503, 504)


def worst_case_seconds(timeout: float, retries: int) -> float:
    """How long a lookup can take when every attempt times out: what must fit inside the
    action time limit."""
    backoff = sum(BACKOFF_FACTOR * 2.0 ** (attempt - 1) for attempt in range(2, retries + 1))
    return (retries + 1) * timeout + backoff


def _certificate(data: Any) -> Certificate:
    """A Certificate from the registry's JSON; raises ValueError if it is malformed."""
    if not isinstance(data, dict):
        raise ValueError("'certificate' is not an object")
    try:
        valid_until = data.get("valid_until")
        status = str(data["status"]).lower()
        if status not in STATUSES:
            raise ValueError(f"unknown status {data['status']!r}")
        return Certificate(
            number=normalize_number(str(data["certificate_number"])),
            holder_name=str(data["holder_name"]),
            certificate_type=str(data["certificate_type"]),
            catalog_entry=None,
            level=str(data.get("level") or ""),
            issuer=str(data["issuer"]),
            issued_on=date.fromisoformat(str(data["issued_on"])),
            valid_until=date.fromisoformat(str(valid_until)) if valid_until else None,
            status=status,
        )
    except KeyError as error:
        raise ValueError(f"missing field {error.args[0]!r}") from None


class HttpRegistry:
    def __init__(self, base_url: str, timeout: float, retries: int, session: requests.Session | None = None) -> None:
        self.url = base_url.rstrip("/") + "/verify"
        self.timeout = timeout
        self.retries = retries
        self.session = session or requests.Session()
        retry = Retry(total=retries, backoff_factor=BACKOFF_FACTOR, status_forcelist=SERVER_ERRORS,
                      allowed_methods=None,  # /verify only reads, so a POST may be repeated
                      respect_retry_after_header=False,  # a registry's Retry-After must not stall a user
                      raise_on_status=False)  # the last 5xx answer is returned, and reported below
        self.session.mount(self.url, HTTPAdapter(max_retries=retry))

    def lookup(self, number: str, holder_name: str) -> Certificate:
        """Asks the registry; raises CertificateNotFound or LookupUnavailable."""
        response = self._post({"certificate_number": number, "holder_name": holder_name})
        if response.status_code == 404:
            raise CertificateNotFound("no certificate matches that number and name")
        if response.status_code != 200:
            raise LookupUnavailable(f"registry answered HTTP {response.status_code} at {self.url}")
        try:
            certificate = _certificate(response.json().get("certificate"))
        except (ValueError, AttributeError) as error:
            raise LookupUnavailable(f"registry at {self.url} answered malformed data: {error}") from error
        # Checked here too: a registry that matched loosely must not reveal someone else's record.
        if certificate.number != number or normalize_name(certificate.holder_name) != normalize_name(holder_name):
            raise CertificateNotFound("no certificate matches that number and name")
        return certificate

    def _post(self, body: dict[str, str]) -> requests.Response:
        attempts = self.retries + 1
        try:
            response = self.session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise LookupUnavailable(
                f"registry at {self.url} failed {attempts} time(s), last: {type(error).__name__}") from error
        if response.status_code in SERVER_ERRORS:
            raise LookupUnavailable(
                f"registry at {self.url} failed {attempts} time(s), last: HTTP {response.status_code}")
        return response
