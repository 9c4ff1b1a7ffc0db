"""The knowledge base, dialogue logic and certificate lookup for a running action server,
created on first use (not at import time) and then kept."""

from __future__ import annotations

from functools import lru_cache

from bot.certificates.backends import store_from_settings
from bot.certificates.guard import LookupGuard
from bot.certificates.lookup import CertificateLookup
from bot.dialogue import Dialogue
from bot.knowledge_loader import load_knowledge
from bot.limit_storage import open_limit_storage
from bot.settings import load_settings


@lru_cache(maxsize=1)
def dialogue() -> Dialogue:
    settings = load_settings()
    return Dialogue(load_knowledge(settings.knowledge_dir), settings)


@lru_cache(maxsize=1)
def certificate_lookup() -> CertificateLookup:
    settings = load_settings()
    guard = LookupGuard(settings, open_limit_storage(settings.limits_url))
    return CertificateLookup(dialogue().kb, settings, store_from_settings(settings), guard)
