"""Builds the spaCy pipeline that recognises catalog mentions: a blank English pipeline
with an entity ruler whose patterns the knowledge compiler generated. No model download."""

from __future__ import annotations

import json
from pathlib import Path

from bot.errors import BotError


def build_entity_pipeline(patterns_file: Path, out_dir: Path) -> int:
    """Saves a spaCy pipeline to `out_dir`; returns the number of patterns it holds."""
    import spacy  # imported here: only this build step needs spaCy

    try:
        patterns = [json.loads(line) for line in patterns_file.read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        raise BotError(f"{patterns_file}: not found; run `python -m bot compile` first") from None
    nlp = spacy.blank("en")
    # Matching on LOWER makes "Tour Guide" and "tour guide" the same mention.
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    return len(patterns)
