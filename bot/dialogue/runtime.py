"""The knowledge base, dialogue logic and certificate lookup for a running action server,
created on first use (not at import time) from this process's settings, and then kept."""

from __future__ import annotations

from functools import lru_cache

from bot.certificates.backends import store_from_settings
from bot.certificates.lookup import CertificateLookup
from bot.dialogue.answering import Dialogue
from bot.knowledge.loader import current_knowledge
from bot.protection.counter_store import open_limit_storage
from bot.protection.lookup_guard import LookupGuard
from bot.settings import current_settings


@lru_cache(maxsize=1)
def dialogue() -> Dialogue:
    return Dialogue(current_knowledge(), current_settings())


@lru_cache(maxsize=1)
def certificate_lookup() -> CertificateLookup:
    settings = current_settings()
    guard = LookupGuard(settings, open_limit_storage(settings.limits_url))
    return CertificateLookup(current_knowledge(), settings, store_from_settings(settings), guard)
