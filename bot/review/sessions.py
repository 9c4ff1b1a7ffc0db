"""Staff logins: a random token in an HttpOnly cookie, kept in the database only as its
SHA-256 (shared by every process and replica), with the CSRF token of the session's forms;
and the limits on failed logins per account and per address."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from limits import RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from bot.review.store import ReviewStore
from bot.review.tables import sessions
from bot.settings import StaffSettings

# Failed logins are counted over this many minutes.
LOGIN_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class Session:
    name: str
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, store: ReviewStore, settings: StaffSettings) -> None:
        self.store = store
        self.lifetime = settings.session_hours * 3600

    def start(self, name: str) -> tuple[str, Session]:
        """A new login's cookie token and session."""
        token, session = secrets.token_urlsafe(32), Session(name, secrets.token_urlsafe(32))
        with self.store.engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.expires_at < time.time()))
            connection.execute(sessions.insert().values(token_hash=_hash(token), name=name, csrf=session.csrf,
                                                        expires_at=time.time() + self.lifetime))
        return token, session

    def find(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self.store.engine.connect() as connection:
            row = connection.execute(sa.select(sessions.c.name, sessions.c.csrf).where(
                sessions.c.token_hash == _hash(token), sessions.c.expires_at > time.time())).first()
        return Session(*row) if row else None

    def end(self, token: str) -> None:
        with self.store.engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.token_hash == _hash(token)))


class LoginLimits:
    """Failed logins per account and per address, in the shared limits storage."""

    def __init__(self, storage: Storage, settings: StaffSettings) -> None:
        self._storage = storage  # the limiter keeps only a weak reference
        self._limiter = FixedWindowRateLimiter(storage)
        self._account = RateLimitItemPerMinute(settings.login_failures_per_account, LOGIN_WINDOW_MINUTES)
        self._address = RateLimitItemPerMinute(settings.login_failures_per_address, LOGIN_WINDOW_MINUTES)

    def _keys(self, name: str, address: str) -> list[tuple[RateLimitItemPerMinute, str]]:
        return [(self._account, f"staff-login-account:{_hash(name.lower())}"),
                (self._address, f"staff-login-address:{_hash(address)}")]

    def blocked(self, name: str, address: str) -> bool:
        return not all(self._limiter.test(item, key) for item, key in self._keys(name, address))

    def failed(self, name: str, address: str) -> None:
        for item, key in self._keys(name, address):
            self._limiter.hit(item, key)
