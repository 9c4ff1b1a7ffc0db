"""An issuing authority's verification API over HTTP, with the same contract as the store.

The contract we expect of a registry:

    POST {base_url}/verify   {"certificate_number": "...", "holder_name": "..."}
    200 {"certificate": {certificate_number, holder_name, certificate_type, level, issuer,
                          issued_on, valid_until, status}}   number and name match
    404                                                      no match (either one)

POST keeps holder names out of URLs, which proxies and servers log. Timeouts, connection
errors and 5xx answers are retried with exponential backoff; anything else is a clear error.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import requests

from bot.certificates.model import STATUSES, Certificate, normalize_name, normalize_number
from bot.errors import CertificateNotFound, LookupUnavailable

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.25  # doubled after each failed attempt


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
        for attempt in range(self.retries + 1):
            try:
                response = self.session.post(self.url, json=body, timeout=self.timeout)
                if response.status_code < 500:
                    return response
                problem = f"HTTP {response.status_code}"
            except requests.RequestException as error:
                problem = type(error).__name__
            if attempt < self.retries:
                delay = BACKOFF_SECONDS * 2**attempt
                logger.warning("registry %s failed (%s); retrying in %.2f s", self.url, problem, delay)
                time.sleep(delay)
        raise LookupUnavailable(f"registry at {self.url} failed {self.retries + 1} time(s), last: {problem}")
