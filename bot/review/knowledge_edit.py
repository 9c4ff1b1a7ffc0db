"""Writes accepted questions into the reviewable files, in their own style and touching
nothing else: a line per phrasing appended to the right list of knowledge/faq/<id>.yml,
knowledge/catalog/<id>.yml (its `phrasings`, by aspect) or data/nlu/out_of_scope.yml.
A change to knowledge/ is checked by loading the knowledge again (with the wordings where
they were written), and undone if it does not load; an unrelated request with Rasa's markup
characters in it is left out of the training data. The result is a unified diff for the
curator (and a pull request)."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import KnowledgeError, ReviewError
from bot.knowledge.loader import RESERVED_CHARACTERS, load_knowledge
from bot.knowledge.model import ASPECTS
from bot.text import normalize_phrase

_INDENT = "  "
_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")


@dataclass(frozen=True)
class Edit:
    added: tuple[str, ...]
    diff: str


def yaml_item(text: str) -> str:
    """A list item's text as YAML reads it back unchanged: plain where it can be, else
    double-quoted (a JSON string is a valid double-quoted YAML scalar)."""
    plain = " ".join(text.split())
    try:
        if yaml.safe_load(f"- {plain}") == [plain]:
            return plain
    except yaml.YAMLError:
        pass
    return json.dumps(plain, ensure_ascii=False)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], key_line: int) -> int:
    """The index after the last line of the block under the key at `key_line`: blank lines
    and comments, wherever they start, do not end it."""
    indent = _indent(lines[key_line])
    end = key_line + 1
    for index in range(key_line + 1, len(lines)):
        if _COMMENT_OR_BLANK.match(lines[index]):
            continue
        if _indent(lines[index]) <= indent:
            break
        end = index + 1
    return end


def append_to_list(text: str, keys: Sequence[str], items: Sequence[str], where: str, before: str = "") -> str:
    """The YAML text with the items added to the block list at the path of `keys`, which
    is created where missing: at the end of its parent block, or for a new top-level key,
    before the top-level key `before` and the comments that introduce it."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start, end, level = 0, len(lines), 0
    for depth, key in enumerate(keys):
        pattern = re.compile(rf"^{_INDENT * depth}{re.escape(key)}:\s*(#.*)?$")
        found = next((i for i in range(start, end) if pattern.match(lines[i].rstrip("\n"))), None)
        if found is None:
            inline = re.compile(rf"^{_INDENT * depth}{re.escape(key)}:\s*\S")
            if any(inline.match(lines[i]) for i in range(start, end)):
                raise ReviewError(f"{where}: `{'.'.join(keys[:depth + 1])}` is written on one line; "
                                  "write it as a list, one item per line, to add to it")
            created = [f"{_INDENT * d}{k}:\n" for d, k in enumerate(keys[depth:], start=depth)]
            items_block = [f"{_INDENT * len(keys)}- {yaml_item(item)}\n" for item in items]
            insert_at = _last_content(lines, start, end)
            following = next((i for i, line in enumerate(lines) if line.rstrip() == f"{before}:"), None)
            if depth == 0 and before and following is not None:
                insert_at = _last_content(lines, 0, following)
            return "".join(lines[:insert_at] + created + items_block + lines[insert_at:])
        start, end, level = found + 1, _block_end(lines, found), depth + 1
    existing = [line for line in lines[start:end] if line.lstrip().startswith("- ")]
    prefix = existing[-1][:_indent(existing[-1])] if existing else _INDENT * level
    insert_at = _last_content(lines, start, end)
    return "".join(lines[:insert_at] + [f"{prefix}- {yaml_item(item)}\n" for item in items] + lines[insert_at:])


def _last_content(lines: list[str], start: int, end: int) -> int:
    """After the last line in [start, end) that is neither blank nor a comment (the blank
    lines and comments after a block introduce the next)."""
    for index in range(end - 1, start - 1, -1):
        if not _COMMENT_OR_BLANK.match(lines[index]):
            return index + 1
    return start


class KnowledgeEditor:
    """Adds accepted phrasings to the knowledge under `knowledge_dir`, and unrelated
    requests to the out-of-scope training data under `data_dir`."""

    def __init__(self, knowledge_dir: Path, data_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        self.data_dir = data_dir

    def add_phrasings(self, entry_id: str, aspect: str | None, phrasings: Sequence[tuple[str, str]]) -> Edit:
        """Adds (language, text) phrasings to an FAQ entry, or to a catalog entry's aspect."""
        kb = load_knowledge(self.knowledge_dir, check_reviews=False)
        faq_ids = {entry.id for entry in kb.faq}
        catalog = {entry.id: entry for entry in kb.catalog}
        if entry_id in faq_ids:
            if aspect:
                raise ReviewError(f"'{entry_id}' is an FAQ entry: it has no aspects (they are for catalog entries)")
            path = self.knowledge_dir / "faq" / f"{entry_id}.yml"
            known = {normalize_phrase(text) for entry in kb.faq for texts in entry.phrasings.values() for text in texts}
            keys: list[str] = ["phrasings"]
        elif entry_id in catalog:
            if aspect not in ASPECTS:
                raise ReviewError(f"say which aspect of '{entry_id}' the questions ask about: one of "
                                  f"{', '.join(ASPECTS)}")
            path = self.knowledge_dir / "catalog" / f"{entry_id}.yml"
            known = {normalize_phrase(text) for texts in catalog[entry_id].phrasings.get(aspect, {}).values()
                     for text in texts}
            keys = ["phrasings", aspect]
        else:
            raise ReviewError(f"there is no entry '{entry_id}': use an id of knowledge/faq/ or knowledge/catalog/")
        new = [(language, text) for language, text in dict.fromkeys(phrasings)
               if normalize_phrase(text) not in known]
        before = path.read_text(encoding="utf-8")
        edit = self._edit(path, [([*keys, language], [text for lang, text in new if lang == language])
                                 for language in dict.fromkeys(language for language, _ in new)], check=True)
        if edit.added and not self._present(entry_id, aspect, edit.added):
            path.write_text(before, encoding="utf-8")
            raise ReviewError(f"{path}: the wordings were written but do not load as phrasings of '{entry_id}' "
                              "(a key written twice?); nothing was changed")
        return edit

    def _present(self, entry_id: str, aspect: str | None, added: Sequence[str]) -> bool:
        """Whether the knowledge, loaded again, has every added wording in that entry."""
        kb = load_knowledge(self.knowledge_dir, check_reviews=False)
        if aspect:
            texts = kb.catalog_entry(entry_id).phrasings.get(aspect, {}).values()
        else:
            texts = kb.faq_entry(entry_id).phrasings.values()
        loaded = {normalize_phrase(text) for by_language in texts for text in by_language}
        return all(normalize_phrase(text) in loaded for text in added)

    def add_out_of_scope(self, texts: Sequence[str]) -> Edit:
        path = self.data_dir / "nlu" / "out_of_scope.yml"
        current = path.read_text(encoding="utf-8")
        known = {normalize_phrase(line.strip()[2:]) for line in current.splitlines() if line.strip().startswith("- ")}
        # Rasa would read [ ] { } in a training example as markup.
        new = [text for text in dict.fromkeys(texts)
               if normalize_phrase(text) not in known and not RESERVED_CHARACTERS.search(text)]
        lines = current.splitlines(keepends=True)
        header = next((i for i, line in enumerate(lines) if line.strip() == "- intent: out_of_scope"), None)
        if header is None or header + 1 >= len(lines) or lines[header + 1].strip() != "examples: |":
            raise ReviewError(f"{path}: no `- intent: out_of_scope` block with `examples: |` to add to")
        insert_at = _last_content(lines, header + 2, _block_end(lines, header + 1))
        added = [f"    - {' '.join(text.split())}\n" for text in new]
        return self._write(path, current, "".join(lines[:insert_at] + added + lines[insert_at:]), new, check=False)

    def _edit(self, path: Path, additions: list[tuple[list[str], list[str]]], check: bool) -> Edit:
        current = path.read_text(encoding="utf-8")
        changed = current
        for keys, items in additions:
            # A new block goes before the evidence, which closes an entry's file.
            changed = append_to_list(changed, keys, items, str(path), before="evidence")
        return self._write(path, current, changed, [item for _, items in additions for item in items], check)

    def _write(self, path: Path, before: str, after: str, added: Sequence[str], check: bool) -> Edit:
        relative = os.path.relpath(path, self.knowledge_dir.parent)
        diff = "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                            f"a/{relative}", f"b/{relative}"))
        if before == after:
            return Edit((), "")
        path.write_text(after, encoding="utf-8")
        if check:
            try:
                load_knowledge(self.knowledge_dir, check_reviews=False)
            except KnowledgeError as error:
                path.write_text(before, encoding="utf-8")
                raise ReviewError(f"the knowledge would not load with this change, so it was not made:\n{error}") \
                    from error
        return Edit(tuple(added), diff)
