"""A certificate record, its derived state, and the rules for numbers and names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum

from bot.text import normalize_text

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


# Dashes people type in a number, Chinese keyboards' included; all mean "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
# A number inside a sentence ("the number is SPM-2022-004417", "证书编号是SPM-2022-004417").
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Z0-9-])[A-Z0-9][A-Z0-9-]{4,30}[A-Z0-9](?![A-Z0-9-])")
# Middle dots in names such as 阿依古丽·买买提, as different keyboards type them.
_MIDDLE_DOTS = re.compile(r"[\u00b7\u2022\u2027\u30fb\uff0e\u2219\uff65]")
# Words that introduce a name rather than being part of it.
_NAME_LABELS = re.compile(
    r"^(my name is|the holder is|the holder's name is|holder:|name:|it's|it is|"
    r"持证人(姓名)?(是|叫|为)?|姓名(是|叫|为)?|名字(是|叫)?|我叫|他叫|她叫|叫)\s*[:：]?\s*",
    re.IGNORECASE,
)
MAX_NAME_LENGTH = 100


def normalize_number(raw: str) -> str:
    """A certificate number as stored: full-width characters and dashes folded, upper case:
    ' ｓｐｍ－２０２２－００４４１７ ' -> 'SPM-2022-004417'."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", raw)).strip().upper()


def number_from_message(text: str) -> str:
    """The number in what a user typed: the whole message, or the one number inside a
    sentence ('证书编号是SPM-2022-004417。')."""
    normalized = normalize_number(text)
    if NUMBER_PATTERN.match(normalized):
        return normalized
    candidates: list[str] = [m for m in _NUMBER_IN_TEXT.findall(normalized) if any(c.isdigit() for c in m)]
    return candidates[0] if len(candidates) == 1 else normalized


def is_valid_number(number: str) -> bool:
    """Whether a normalized number has the expected format."""
    return bool(NUMBER_PATTERN.match(number))


def clean_holder_name(raw: str) -> str:
    """A holder's name as typed, without a leading "my name is" / "持证人叫" and trailing
    punctuation, spacing and middle dots folded."""
    name = _MIDDLE_DOTS.sub("·", " ".join(unicodedata.normalize("NFKC", raw).split()))
    name = _NAME_LABELS.sub("", name).strip(" .,;:!?。，；：！？")
    return name.replace(" · ", "·")


def holder_name_problem(name: str) -> str | None:
    """Why a cleaned name cannot be a holder's name, or None when it can."""
    if not name:
        return "holder_name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"holder_name is longer than {MAX_NAME_LENGTH} characters"
    if any(character.isdigit() for character in name):
        # Keeps national ID numbers, or any other number, out of the name field.
        return "holder_name contains digits; only the holder's name belongs there"
    return None


def normalize_name(raw: str) -> str:
    """The form in which names are compared: Unicode-normalized, traditional Chinese as
    simplified, case, spacing and middle dots folded."""
    return " ".join(_MIDDLE_DOTS.sub("·", normalize_text(raw)).casefold().split())


def mask_name(name: str) -> str:
    """Shows the first character of each part of a name, the rest masked:
    'Li Xiaoming' -> 'L* X*******', '刘洋' -> '刘*', '阿依古丽·买买提' -> '阿***·买**'."""
    return " ".join(
        "·".join(part[:1] + "*" * (len(part) - 1) for part in word.split("·")) for word in name.split()
    )
