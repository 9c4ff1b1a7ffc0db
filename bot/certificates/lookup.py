"""Decides the reply to a certificate status lookup, protecting holders' privacy.

A lookup succeeds only when number and name both match; an unknown number and a wrong name
get the same reply. Failed lookups per number and lookups per client are counted by the
LookupGuard, across conversations; over either limit a lookup is refused with words that
do not tell whether the number exists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.certificates.model import Certificate, State, mask_name
from bot.errors import CertificateNotFound, LookupUnavailable
from bot.knowledge.answers import lookup_reply
from bot.knowledge.model import KnowledgeBase
from bot.protection.counter_store import open_limit_storage
from bot.protection.lookup_guard import LookupGuard
from bot.settings import Settings

logger = logging.getLogger(__name__)


class CertificateStore(Protocol):
    def lookup(self, number: str, holder_name: str) -> Certificate:
        """Raises CertificateNotFound or LookupUnavailable."""


class CertificateDatabase(Protocol):
    """A certificate database open for writing (SQLite or PostgreSQL)."""

    location: str  # where it is, as it may be shown (no password)

    def upsert(self, records: Iterable[dict[str, Any]]) -> tuple[int, int, int]:
        """Inserts new certificates and updates changed ones in one transaction; returns
        (inserted, updated, unchanged)."""

    def count(self) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LookupOutcome:
    reply: str  # a key of knowledge/lookup_replies.yml
    values: dict[str, str]


def render(kb: KnowledgeBase, outcome: LookupOutcome, language: str) -> str:
    """The reply text as the assistant shows it (Rasa fills the same placeholders)."""
    return lookup_reply(kb, outcome.reply, language).format(**outcome.values)


class CertificateLookup:
    def __init__(self, kb: KnowledgeBase, settings: Settings, store: CertificateStore, guard: LookupGuard) -> None:
        self.kb = kb
        self.settings = settings
        self.store = store
        self.guard = guard

    @classmethod
    def without_limits(cls, kb: KnowledgeBase, settings: Settings, store: CertificateStore) -> CertificateLookup:
        """A lookup that counts nothing anywhere else: what the assistant would answer when
        no limit applies (the status command, tests)."""
        return cls(kb, settings, store, LookupGuard(settings, open_limit_storage("memory://")))

    def check(self, number: str, holder_name: str, client: str, today: date, language: str) -> LookupOutcome:
        """Looks a certificate up for `client` (bot.protection.clients), unless a limit refuses it.

        `number` is already normalized and well-formed; `language` is the reply's.
        """
        refusal = self.refusal_before_asking(client)
        if refusal:
            return refusal
        if not self.guard.number_may_be_looked_up(number):
            logger.warning("a lookup was refused: its number had %d failed lookups", self.settings.lookup_max_failures)
            return LookupOutcome("locked_out", {
                "max_failures": str(self.settings.lookup_max_failures),
                "window_hours": str(self.settings.lookup_failure_window_hours),
            })
        self.guard.count_lookup(client)
        try:
            certificate = self.store.lookup(number, holder_name)
        except CertificateNotFound:
            self.guard.count_failure(number)
            return LookupOutcome("not_found", {})
        except LookupUnavailable as error:
            logger.error("certificate lookup unavailable: %s", error)
            return LookupOutcome("unavailable", {})
        state = certificate.state(today, self.settings.expiry_warning_days)
        return LookupOutcome(state.value, self._values(certificate, state, today, language))

    def refusal_before_asking(self, client: str) -> LookupOutcome | None:
        """The refusal to send instead of asking for details, when the client has used up its lookups."""
        if self.guard.client_may_look_up(client):
            return None
        logger.warning("a client reached its limit of %d lookups an hour", self.settings.lookups_per_client_per_hour)
        return LookupOutcome("client_limited", {"lookups_per_hour": str(self.settings.lookups_per_client_per_hour)})

    def _values(self, certificate: Certificate, state: State, today: date, language: str) -> dict[str, str]:
        kind = certificate.certificate_type
        if certificate.level:
            kind += f"（{certificate.level}）" if language == "zh" else f" ({certificate.level})"
        valid_until = certificate.valid_until
        long_term = self.kb.lookup_replies["long_term"].text[language]
        return {
            "holder": mask_name(certificate.holder_name),
            "certificate": kind,
            "issuer": certificate.issuer,
            "issued_on": certificate.issued_on.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else long_term,
            "expired_days": str((today - valid_until).days) if valid_until and state is State.EXPIRED else "",
        }
