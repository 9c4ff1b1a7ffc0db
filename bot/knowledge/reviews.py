"""Keeps each `reviewed` date honest: knowledge/reviews.yml records a fingerprint of what
each reviewed part says to users, taken when it was last reviewed. A text changed since
then, or a date changed without a review, is a problem that names the part to review;
`python -m bot reviewed <part>` records the review (today's date, the new fingerprint)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem
from bot.knowledge.model import CatalogEntry, FaqEntry, KnowledgeBase

LEDGER = "reviews.yml"
LEDGER_HEADER = (
    "# Written by `python -m bot reviewed`: when each part of the knowledge was last reviewed\n"
    "# against its sources, and a fingerprint of its texts then. Do not edit by hand.\n"
)
_REVIEWED_LINE = re.compile(r"^reviewed:.*$", re.MULTILINE)


@dataclass(frozen=True)
class Reviewed:
    """A part of the knowledge that carries its own `reviewed` date."""

    name: str  # how people name it: faq/<id>, catalog/<id>, answer_templates, ...
    file: str  # as reviewers see it: relative to the folder that holds the knowledge folder
    reviewed: date
    fingerprint: str


def _fingerprint(texts: Any) -> str:
    canonical = json.dumps(texts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _entry_texts(entry: FaqEntry | CatalogEntry) -> dict[str, Any]:
    # What users are shown, and what it rests on; not phrasings or aliases.
    if isinstance(entry, FaqEntry):
        return {"question": entry.question, "answer": entry.answer, "follow_up": entry.follow_up,
                "authority": entry.authority, "sources": entry.sources}
    texts = {"title": entry.title, "profession": entry.profession, "certificate": entry.certificate,
             "category": entry.category, "mandatory": entry.mandatory, "note": entry.note,
             "validity": entry.validity, "verify": entry.verify, "ask": entry.ask, "sources": entry.sources}
    # Only when there are facts: an entry without them keeps the fingerprint it had before they existed.
    return {**texts, "facts": entry.facts} if entry.facts else texts


def reviewed_parts(kb: KnowledgeBase, root: Path) -> list[Reviewed]:
    """Every part of the knowledge in `root` with a `reviewed` date, with the fingerprint of
    its texts."""
    parts = [Reviewed(f"faq/{e.id}", e.file, e.reviewed, _fingerprint(_entry_texts(e))) for e in kb.faq]
    parts += [Reviewed(f"catalog/{e.id}", e.file, e.reviewed, _fingerprint(_entry_texts(e))) for e in kb.catalog]
    templates = {name: value for name, value in vars(kb.templates).items() if name != "reviewed"}
    parts.append(Reviewed("answer_templates", f"{root.name}/answer_templates.yml", kb.templates.reviewed,
                          _fingerprint([templates, kb.categories])))
    lookup = {key: [reply.text, reply.then_faq, reply.sources] for key, reply in kb.lookup_replies.items()}
    reviewed = max((reply.reviewed for reply in kb.lookup_replies.values()), default=date.min)
    parts.append(Reviewed("lookup_replies", f"{root.name}/lookup_replies.yml", reviewed, _fingerprint(lookup)))
    parts.append(Reviewed("scope", f"{root.name}/scope.yml", kb.scope.reviewed,
                          _fingerprint([kb.scope.replies, kb.scope.reply_sources])))
    return parts


def _read_ledger(root: Path) -> Mapping[str, Any]:
    path = root / LEDGER
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, Mapping) else {}


def _why_unreviewed(part: Reviewed, record: Any) -> str | None:
    """Why a part's review is not on record as it now reads, or None when it is."""
    command = f"`.venv/bin/python -m bot reviewed {part.name}`"
    if not isinstance(record, Mapping):
        return f"has no review on record: review it against its sources, then run {command}"
    if record.get("fingerprint") != part.fingerprint:
        return (f"its text changed after the review of {record.get('reviewed')}: check it against its "
                f"sources, then run {command} (which sets `reviewed` to today)")
    if str(record.get("reviewed")) != part.reviewed.isoformat():
        return (f"says reviewed {part.reviewed.isoformat()}, but the review on record is of "
                f"{record.get('reviewed')}: run {command} to record a review")
    return None


def review_problems(kb: KnowledgeBase, root: Path) -> list[Problem]:
    """A problem for each part whose texts changed after its recorded review, or whose date
    differs from the record."""
    ledger = _read_ledger(root)
    return [
        # An entry's problems name the entry by its id, as the loader's do.
        Problem(part.file, part.name.rpartition("/")[2], "reviewed", message)
        for part in reviewed_parts(kb, root)
        if (message := _why_unreviewed(part, ledger.get(part.name)))
    ]


def unreviewed(kb: KnowledgeBase, root: Path) -> list[str]:
    """The names of the parts whose review is not on record as they now read."""
    ledger = _read_ledger(root)
    return [part.name for part in reviewed_parts(kb, root) if _why_unreviewed(part, ledger.get(part.name))]


def record_reviews(kb: KnowledgeBase, root: Path, names: Iterable[str], today: date) -> list[str]:
    """Records today's review of the named parts: their files' `reviewed` lines and the
    ledger. Returns the names recorded; raises KeyError naming an unknown part."""
    parts = {part.name: part for part in reviewed_parts(kb, root)}
    names = list(names)
    for name in names:
        if name not in parts:
            raise KeyError(name)
    ledger = {name: dict(record) for name, record in _read_ledger(root).items() if name in parts}
    for name in names:
        part = parts[name]
        path = root.parent / part.file
        text = path.read_text(encoding="utf-8")
        line = f"reviewed: {today.isoformat()}"
        path.write_text(_REVIEWED_LINE.sub(line, text, count=1) if _REVIEWED_LINE.search(text)
                        else f"{line}\n{text}", encoding="utf-8")
        ledger[name] = {"reviewed": today.isoformat(), "fingerprint": part.fingerprint}
    body = "".join(f"{name}: {{reviewed: {record['reviewed']}, fingerprint: {record['fingerprint']}}}\n"
                   for name, record in sorted(ledger.items()))
    (root / LEDGER).write_text(LEDGER_HEADER + body, encoding="utf-8")
    return names

