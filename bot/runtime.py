"""The knowledge base and dialogue logic for a running action server, loaded on first use
(not at import time) and then kept."""

from __future__ import annotations

from functools import lru_cache

from bot.dialogue import Dialogue
from bot.knowledge_loader import load_knowledge
from bot.settings import load_settings


@lru_cache(maxsize=1)
def dialogue() -> Dialogue:
    settings = load_settings()
    return Dialogue(load_knowledge(settings.knowledge_dir), settings)
