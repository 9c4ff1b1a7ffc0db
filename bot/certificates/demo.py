"""A clearly fictional, deterministic demo data set covering every lookup state.

Numbers start with DEMO- and the issuer is a fictional authority, so demo records can never
be mistaken for real ones. Dates are relative to `today`, so every state stays covered
whenever the set is generated; the same seed and day give the same records.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from bot.certificates.model import normalize_name
from bot.text import HAN_CHARACTER

ISSUER = "Fictional Demo Certification Authority"
# Chinese records, as a Chinese registry would hold them, for trying the assistant in Chinese.
ISSUER_ZH = "虚构示例发证机构"
SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
GIVEN_NAMES = ("Xiaoming", "Xiaohong", "Wei", "Fang", "Na", "Jing", "Lei", "Yang", "Jun", "Min")
TYPES = (
    ("Teacher qualification certificate", "teacher", None),
    ("Electrician level certificate", "electrician", "Level 3"),
    ("Safety production manager qualification certificate", "safety_production_manager", None),
    ("Tour guide qualification", "tour_guide", None),
    ("Fire engineer qualification certificate", "fire_engineer", "Level 1"),
)
# Only the fixed examples use these.
CHINESE_TYPES = (
    ("教师资格证书（示例）", "teacher", None),
    ("导游资格（示例）", "tour_guide", None),
)

# One fixed example per state, quoted in the README for trying the assistant out.
EXAMPLES = (
    ("DEMO-VALID-0001", "Wang Xiaoming", 0, None, "valid"),
    ("DEMO-EXPIRING-0001", "Li Xiaohong", 1, 30, "valid"),
    ("DEMO-EXPIRED-0001", "Zhang Wei", 2, -100, "valid"),
    ("DEMO-SUSPENDED-0001", "Liu Fang", 3, 400, "suspended"),
    ("DEMO-REVOKED-0001", "Chen Jing", 4, 400, "revoked"),
    ("DEMO-ZH-0001", "王小明", 0, 700, "valid"),
    ("DEMO-ZH-0002", "刘洋", 5, 30, "valid"),
    ("DEMO-ZH-0003", "阿依古丽·买买提", 6, None, "valid"),
    ("DEMO-ZH-0004", "陈静", 5, -30, "valid"),
)


def _record(number: str, name: str, type_index: int, days_valid: int | None, status: str, issued_on: date,
            today: date) -> dict[str, Any]:
    certificate_type, catalog_entry, level = (TYPES + CHINESE_TYPES)[type_index]
    return {
        "certificate_number": number,
        "holder_name": name,
        "holder_name_key": normalize_name(name),
        "certificate_type": certificate_type,
        "catalog_entry": catalog_entry,
        "level": level,
        "issuer": ISSUER_ZH if HAN_CHARACTER.search(certificate_type) else ISSUER,
        "issued_on": issued_on.isoformat(),
        "valid_until": None if days_valid is None else (today + timedelta(days=days_valid)).isoformat(),
        "status": status,
    }


def demo_records(size: int, seed: int, today: date) -> list[dict[str, Any]]:
    """`size` demo records (at least the fixed examples), the same for the same seed and day."""
    rng = random.Random(seed)
    records = [
        _record(number, name, type_index, days, status, today - timedelta(days=1000), today)
        for number, name, type_index, days, status in EXAMPLES
    ]
    for index in range(len(records), size):
        state = rng.choice(("long-term", "valid", "expiring", "expired", "suspended", "revoked"))
        days_valid = {
            "long-term": None,
            "valid": rng.randint(91, 2000),
            "expiring": rng.randint(0, 90),
            "expired": -rng.randint(1, 2000),
        }.get(state, rng.randint(-500, 2000))
        status = state if state in ("suspended", "revoked") else "valid"
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN_NAMES)}"
        issued_on = today - timedelta(days=rng.randint(2001, 6000))
        records.append(_record(f"DEMO-{index:08d}", name, rng.randrange(len(TYPES)), days_valid, status, issued_on,
                               today))
    return records
