"""Decides the reply to a certificate status lookup, protecting holders' privacy.

A lookup succeeds only when number and name both match; an unknown number and a wrong name
get the same reply. After `lookup_max_failures` failed lookups a conversation is refused
further lookups for `lookup_cooldown_minutes`. The counters live in the conversation's
slots, so they are passed in and returned here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.answers import lookup_reply
from bot.certificates.model import Certificate, State, mask_name
from bot.errors import CertificateNotFound, LookupUnavailable
from bot.knowledge import KnowledgeBase
from bot.settings import Settings

logger = logging.getLogger(__name__)


class CertificateStore(Protocol):
    def lookup(self, number: str, holder_name: str) -> Certificate:
        """Raises CertificateNotFound or LookupUnavailable."""


@dataclass(frozen=True)
class LookupOutcome:
    reply: str  # a key of knowledge/lookup_replies.yml
    values: dict[str, str]
    failures: int
    locked_until: float | None


def render(kb: KnowledgeBase, outcome: LookupOutcome, language: str) -> str:
    """The reply text as the assistant shows it (Rasa fills the same placeholders)."""
    return lookup_reply(kb, outcome.reply, language).format(**outcome.values)


class CertificateLookup:
    def __init__(self, kb: KnowledgeBase, settings: Settings, store: CertificateStore) -> None:
        self.kb = kb
        self.settings = settings
        self.store = store

    def check(self, number: str, holder_name: str, failures: int, locked_until: float | None, now: float,
              today: date, language: str) -> LookupOutcome:
        """Looks a certificate up, unless the conversation is locked out.

        `number` is already normalized and well-formed; `language` is the reply's.
        """
        refusal = self.refused_if_locked(failures, locked_until, now)
        if refusal:
            return refusal
        if locked_until is not None:
            failures, locked_until = 0, None  # the cool-down is over
        try:
            certificate = self.store.lookup(number, holder_name)
        except CertificateNotFound:
            failures += 1
            if failures >= self.settings.lookup_max_failures:
                locked_until = now + self.settings.lookup_cooldown_minutes * 60
                logger.warning("certificate lookups paused in a conversation after %d failures", failures)
            return LookupOutcome("not_found", {}, failures, locked_until)
        except LookupUnavailable as error:
            logger.error("certificate lookup unavailable: %s", error)
            return LookupOutcome("unavailable", {}, failures, locked_until)
        state = certificate.state(today, self.settings.expiry_warning_days)
        return LookupOutcome(state.value, self._values(certificate, state, today, language), failures, locked_until)

    def refused_if_locked(self, failures: int, locked_until: float | None, now: float) -> LookupOutcome | None:
        """The refusal to send before asking for details, while a conversation is locked out."""
        if locked_until is not None and now < locked_until:
            return self._refused(failures, locked_until)
        return None

    def _refused(self, failures: int, locked_until: float) -> LookupOutcome:
        values = {
            "max_failures": str(self.settings.lookup_max_failures),
            "cooldown_minutes": str(self.settings.lookup_cooldown_minutes),
        }
        return LookupOutcome("locked_out", values, failures, locked_until)

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
