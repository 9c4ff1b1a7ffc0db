"""The HTTP registry backend against a local fake of an issuing authority's API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.certificates.backends import store_from_settings
from bot.certificates.registry import HttpRegistry
from bot.errors import CertificateNotFound, LookupUnavailable, SettingsError
from bot.settings import Settings
from tests.fake_registry import RECORD, FakeRegistry, running_registry


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    with running_registry() as registry:
        yield registry


def registry(fake: FakeRegistry, retries: int = 2) -> HttpRegistry:
    return HttpRegistry(fake.url, timeout=0.5, retries=retries)


def test_found(fake: FakeRegistry) -> None:
    fake.script = [(200, {"certificate": RECORD}, 0.0)]
    certificate = registry(fake).lookup("SPM-2022-004417", "li xiaoming")
    assert (certificate.issuer, certificate.valid_until.isoformat() if certificate.valid_until else None) == (
        "Work Safety Bureau", "2027-03-01")
    assert fake.requests == [{"path": "/api/verify",
                              "body": {"certificate_number": "SPM-2022-004417", "holder_name": "li xiaoming"}}]


def test_not_found(fake: FakeRegistry) -> None:
    fake.script = [(404, {}, 0.0)]
    with pytest.raises(CertificateNotFound):
        registry(fake).lookup("SPM-2022-004417", "Someone Else")


def test_a_loose_match_is_not_trusted(fake: FakeRegistry) -> None:
    fake.script = [(200, {"certificate": RECORD}, 0.0)]
    with pytest.raises(CertificateNotFound):
        registry(fake).lookup("SPM-2022-004417", "Wang Wei")


def test_server_errors_are_retried_with_backoff(fake: FakeRegistry) -> None:
    fake.script = [(503, {}, 0.0), (502, {}, 0.0), (200, {"certificate": RECORD}, 0.0)]
    started = time.monotonic()
    assert registry(fake).lookup("SPM-2022-004417", "Li Xiaoming").holder_name == "Li Xiaoming"
    assert len(fake.requests) == 3
    assert time.monotonic() - started >= 0.5  # urllib3's backoff: none, then 0.5 s


def test_timeouts_are_retried_then_unavailable(fake: FakeRegistry) -> None:
    fake.script = [(200, {"certificate": RECORD}, 1.0)] * 2
    with pytest.raises(LookupUnavailable, match="failed 2 time"):
        registry(fake, retries=1).lookup("SPM-2022-004417", "Li Xiaoming")


def test_malformed_answer_is_a_clear_error(fake: FakeRegistry) -> None:
    record = {key: value for key, value in RECORD.items() if key != "issued_on"}
    fake.script = [(200, {"certificate": record}, 0.0)]
    with pytest.raises(LookupUnavailable, match="malformed data: missing field 'issued_on'"):
        registry(fake).lookup("SPM-2022-004417", "Li Xiaoming")


def test_client_error_is_not_retried(fake: FakeRegistry) -> None:
    fake.script = [(401, {}, 0.0)]
    with pytest.raises(LookupUnavailable, match="HTTP 401"):
        registry(fake).lookup("SPM-2022-004417", "Li Xiaoming")
    assert len(fake.requests) == 1


def test_retry_after_is_not_waited_for(fake: FakeRegistry) -> None:
    fake.script = [(503, {}, 0.0)] * 3
    started = time.monotonic()
    with pytest.raises(LookupUnavailable, match="failed 3 time.*HTTP 503"):
        registry(fake).lookup("SPM-2022-004417", "Li Xiaoming")
    assert len(fake.requests) == 3 and time.monotonic() - started < 2


def test_settings_refuse_retries_that_outlast_the_action_time_limit(settings: Settings) -> None:
    slow = replace(settings, lookup_backend="http", registry_url="http://registry.example",
                   registry_timeout=2.0, registry_retries=2, action_timeout=4.0)
    with pytest.raises(SettingsError, match="can take 6.50 s, which does not fit in BOT_ACTION_TIMEOUT=4.0"):
        store_from_settings(slow)
    assert isinstance(store_from_settings(replace(slow, registry_timeout=1.0)), HttpRegistry)


def test_nothing_listening_is_unavailable() -> None:
    with pytest.raises(LookupUnavailable, match="ConnectionError"):
        HttpRegistry("http://127.0.0.1:9", timeout=0.2, retries=1).lookup("SPM-2022-004417", "Li Xiaoming")
