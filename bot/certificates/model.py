"""A certificate record, its derived state, and the rules for numbers and names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum

STATUSES = ("valid", "suspended", "revoked")
NUMBER_PATTERN = re.compile(r"^[A-Z0-9-]{6,32}$")
NUMBER_FORMAT = "6 to 32 letters, digits and hyphens"
NUMBER_EXAMPLE = "SPM-2022-004417"


class State(str, Enum):
    """What a lookup tells the user. Derived from status and dates, never stored."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Certificate:
    number: str
    holder_name: str
    certificate_type: str
    catalog_entry: str | None
    level: str
    issuer: str
    issued_on: date
    valid_until: date | None  # None: long-term
    status: str

    def state(self, today: date, warning_days: int) -> State:
        if self.status == "suspended":
            return State.SUSPENDED
        if self.status == "revoked":
            return State.REVOKED
        if self.valid_until is None:
            return State.VALID
        days_left = (self.valid_until - today).days
        if days_left < 0:
            return State.EXPIRED
        return State.EXPIRING if days_left <= warning_days else State.VALID


def normalize_number(raw: str) -> str:
    """Upper-cases and trims a certificate number: ' spm-2022-004417 ' -> 'SPM-2022-004417'."""
    return raw.strip().upper()


def is_valid_number(number: str) -> bool:
    """Whether a normalized number has the expected format."""
    return bool(NUMBER_PATTERN.match(number))


def normalize_name(raw: str) -> str:
    """The form in which names are compared: Unicode-normalized, case and spacing folded."""
    return " ".join(unicodedata.normalize("NFKC", raw).casefold().split())


def mask_name(name: str) -> str:
    """Shows a name's first character per word, the rest masked: 'Li Xiaoming' -> 'L* X*******'.

    Chinese names, written without spaces, keep only their first character: '王小明' -> '王**'.
    """
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
