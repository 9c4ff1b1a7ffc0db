"""When staff can take conversations (BOT_STAFF_HOURS), in the server's time zone:
"mon-fri 09:00-18:00; sat 10:00-14:00". A period without days is every day; an empty
setting means any time. Shown to users in their language."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from bot.errors import SettingsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
              "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}
_TO = {"en": "–", "zh": "至"}
_DAY_SEPARATOR = {"en": ", ", "zh": "、"}
_SEPARATOR = {"en": "; ", "zh": "；"}
_ZONE = {"en": "server time, {zone}", "zh": "服务器时间，{zone}"}
# Beijing time, as users in China name it (a zone's abbreviation, CST, is ambiguous).
_BEIJING = {"en": "Beijing time", "zh": "北京时间"}
_PERIOD = re.compile(r"(?:(?P<days>[a-z,\-]+)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})")


@dataclass(frozen=True)
class Period:
    days: tuple[tuple[int, int], ...]  # ranges of weekdays as written, Monday = 0
    start: int  # minutes after midnight
    end: int

    def covers(self, moment: datetime) -> bool:
        minute = moment.hour * 60 + moment.minute
        on_day = not self.days or any(first <= moment.weekday() <= last for first, last in self.days)
        return on_day and self.start <= minute < self.end

    def describe(self, language: str) -> str:
        names = _DAY_NAMES[language]
        days = _DAY_SEPARATOR[language].join(
            names[first] if first == last else f"{names[first]}{_TO[language]}{names[last]}"
            for first, last in self.days)
        hours = f"{_clock(self.start)}–{_clock(self.end)}"
        return f"{days} {hours}" if days else hours


@dataclass(frozen=True)
class StaffHours:
    periods: tuple[Period, ...]

    @classmethod
    def parse(cls, text: str, setting: str = "BOT_STAFF_HOURS") -> StaffHours:
        periods = []
        for part in filter(None, (piece.strip().lower() for piece in text.split(";"))):
            match = _PERIOD.fullmatch(part)
            if not match:
                raise SettingsError(f"{setting}: {part!r} is not a period such as 'mon-fri 09:00-18:00'")
            start, end = _minutes(match["start"], setting), _minutes(match["end"], setting)
            if end <= start:
                raise SettingsError(f"{setting}: in {part!r} the end must be after the start (same day)")
            periods.append(Period(_days(match["days"] or "", setting), start, end))
        return cls(tuple(periods))

    @property
    def always(self) -> bool:
        return not self.periods

    def open_at(self, moment: datetime) -> bool:
        return self.always or any(period.covers(moment) for period in self.periods)

    def describe(self, language: str) -> str:
        """The hours in the user's language, with the server's time zone."""
        text = _SEPARATOR[language].join(period.describe(language) for period in self.periods)
        offset = time.strftime("%z")  # +0800
        zone = _BEIJING[language] if offset == "+0800" else \
            _ZONE[language].format(zone=f"UTC{offset[:3]}:{offset[3:]}")
        return f"{text} ({zone})" if language == "en" else f"{text}（{zone}）"


def _minutes(clock: str, setting: str) -> int:
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise SettingsError(f"{setting}: {clock!r} is not a time of day")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(text: str, setting: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for piece in filter(None, text.split(",")):
        first, _, last = piece.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise SettingsError(f"{setting}: {piece!r} is not a day or range of days ({', '.join(DAYS)})")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise SettingsError(f"{setting}: the days {piece!r} run backwards")
        ranges.append((start, end))
    return tuple(ranges)
