"""Chooses the certificate store the settings name."""

from __future__ import annotations

from bot.certificates.lookup import CertificateStore
from bot.certificates.store import SqliteCertificateStore
from bot.errors import SettingsError
from bot.settings import Settings


def store_from_settings(settings: Settings) -> CertificateStore:
    if settings.lookup_backend == "http":
        from bot.certificates.registry import HttpRegistry

        if not settings.registry_url:
            raise SettingsError("BOT_LOOKUP_BACKEND=http needs BOT_REGISTRY_URL, the registry's base URL")
        return HttpRegistry(settings.registry_url, settings.registry_timeout, settings.registry_retries)
    return SqliteCertificateStore(settings.database_path)
