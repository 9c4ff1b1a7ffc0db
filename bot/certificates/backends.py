"""Chooses the certificate store the settings name (BOT_LOOKUP_BACKEND)."""

from __future__ import annotations

from bot.certificates.lookup import CertificateDatabase, CertificateStore
from bot.certificates.store import SqliteCertificateDatabase, SqliteCertificateStore
from bot.errors import SettingsError
from bot.settings import Settings


def store_from_settings(settings: Settings) -> CertificateStore:
    if settings.lookup_backend == "http":
        from bot.certificates.registry import HttpRegistry, worst_case_seconds

        if not settings.registry_url:
            raise SettingsError("BOT_LOOKUP_BACKEND=http needs BOT_REGISTRY_URL, the registry's base URL")
        worst_case = worst_case_seconds(settings.registry_timeout, settings.registry_retries)
        if worst_case >= settings.action_timeout:
            raise SettingsError(
                f"BOT_REGISTRY_TIMEOUT={settings.registry_timeout} with BOT_REGISTRY_RETRIES="
                f"{settings.registry_retries} can take {worst_case:.2f} s, which does not fit in "
                f"BOT_ACTION_TIMEOUT={settings.action_timeout}: lower the first two or raise the last")
        return HttpRegistry(settings.registry_url, settings.registry_timeout, settings.registry_retries)
    if settings.lookup_backend == "postgresql":
        from bot.certificates.postgres_store import PostgresCertificateStore

        return PostgresCertificateStore(settings.certificates_db_url)
    return SqliteCertificateStore(settings.database_path)


def open_certificate_database(settings: Settings) -> CertificateDatabase:
    """The configured certificate database, migrated and open for writing.

    Raises:
        SettingsError: the backend is an issuing authority's registry, which has no local database.
        LookupUnavailable: the database cannot be reached.
    """
    if settings.lookup_backend == "http":
        raise SettingsError("BOT_LOOKUP_BACKEND=http looks certificates up in a registry, which has no local "
                            "database to import into; set BOT_LOOKUP_BACKEND=sqlite or postgresql")
    if settings.lookup_backend == "postgresql":
        from bot.certificates.postgres_store import PostgresCertificateDatabase

        return PostgresCertificateDatabase(settings.certificates_db_url)
    return SqliteCertificateDatabase(settings.database_path)
