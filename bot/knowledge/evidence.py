"""Checks that the knowledge says only what its sources say: every field that states a fact
carries pointers (`evidence:`) to where a source document says it, a short phrase quoted
from the document, and each phrase must be found there. A reviewer then checks one claim
in one step; a pointer to nothing fails `python -m bot validate`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.errors import Problem
from bot.knowledge.model import Source

# Written instead of pointers for a field that only says what the sources do not say.
SILENT = "silent"
SOURCES_FOLDER = "sources"
_SPACE = re.compile(r"\s+")


def _comparable(text: str) -> str:
    # Line breaks and case are layout, not wording.
    return _SPACE.sub(" ", text).strip().casefold()


def read_documents(root: Path, sources: Mapping[str, Source], problems: list[Problem]) -> dict[str, str]:
    """The text of each source document in knowledge/sources/, by source id, ready to search."""
    documents = {}
    for source in sources.values():
        if source.file is None:
            continue
        path = root / SOURCES_FOLDER / source.file
        if not path.is_file():
            problems.append(Problem("sources.yml", source.id, "file",
                                    f"{SOURCES_FOLDER}/{source.file} not found in the knowledge folder"))
            continue
        documents[source.id] = _comparable(path.read_text(encoding="utf-8"))
    return documents


def check_evidence(
    evidence: Any,
    *,
    file: str,
    entry: str,
    stated: Iterable[str],
    allowed: Iterable[str],
    cited: Iterable[str] | None,
    documents: Mapping[str, str],
    problems: list[Problem],
) -> None:
    """Reports each field in `stated` without evidence, each evidence field not in `allowed`,
    and each pointer whose phrase is not in its document or whose source the entry does not
    cite (`cited`; None: any document may be named)."""
    where = "evidence"
    if evidence is None:
        evidence = {}
    if not isinstance(evidence, Mapping):
        problems.append(Problem(file, entry, where, "must map each field to quotes from its sources"))
        return
    allowed = set(allowed)
    cited = set(cited) if cited is not None else set(documents)
    for field in stated:
        if field not in evidence:
            problems.append(Problem(file, entry, f"{where}.{field}", (
                "missing: quote where a source says it (`- <source id>: <phrase>`), or write "
                f"`{SILENT}` if it only says what the sources do not say")))
    for field, pointers in evidence.items():
        at = f"{where}.{field}"
        if field not in allowed:
            problems.append(Problem(file, entry, at, f"names no text of this entry; use: {', '.join(sorted(allowed))}"))
            continue
        if pointers == SILENT:
            continue
        if not isinstance(pointers, list) or not pointers:
            problems.append(Problem(file, entry, at, f"must be a list of `- <source id>: <phrase>`, or `{SILENT}`"))
            continue
        for pointer in pointers:
            _check_pointer(pointer, file, entry, at, cited, documents, problems)


def _check_pointer(pointer: Any, file: str, entry: str, at: str, cited: set[str],
                   documents: Mapping[str, str], problems: list[Problem]) -> None:
    if not isinstance(pointer, Mapping) or len(pointer) != 1:
        problems.append(Problem(file, entry, at, f"{pointer!r} is not one `<source id>: <phrase>`"))
        return
    ((source_id, phrase),) = pointer.items()
    if source_id not in documents:
        problems.append(Problem(file, entry, at, f"{source_id!r} is not a source document; use one of: "
                                                 f"{', '.join(sorted(documents))}"))
    elif source_id not in cited:
        problems.append(Problem(file, entry, at, f"quotes {source_id!r}, which the entry's `sources` do not list"))
    elif not isinstance(phrase, str) or not phrase.strip():
        problems.append(Problem(file, entry, at, f"the phrase quoted from {source_id!r} is empty"))
    elif _comparable(phrase) not in documents[source_id]:
        problems.append(Problem(file, entry, at, f"{phrase!r} is not in the source {source_id!r}"))
