"""Staff accounts: a name and an Argon2id hash of the password (argon2-cffi), in the
conversation database. Passwords are never stored or logged."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.errors import ReviewError
from bot.review.store import ReviewStore
from bot.review.tables import sessions, staff

NAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Verified against when the account does not exist, so that an unknown name takes as long
# to refuse as a wrong password.
_UNKNOWN = _HASHER.hash("no such account")


def add_account(store: ReviewStore, name: str, password: str, actor: str) -> None:
    """Creates the account, or sets a new password for an existing one (ending its logins)."""
    if not NAME.match(name):
        raise ReviewError(f"{name!r} is not a usable account name: 2 to 64 letters, digits, '_', '.' or '-'")
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"the password has {len(password)} characters; use at least {MIN_PASSWORD}")
    hashed = _HASHER.hash(password)
    with store.engine.begin() as connection:
        updated = connection.execute(staff.update().where(staff.c.name == name).values(password_hash=hashed))
        if not updated.rowcount:
            connection.execute(staff.insert().values(name=name, password_hash=hashed, created_at=time.time()))
        # A new password ends the account's logins: whoever knew the old one is logged out.
        connection.execute(sessions.delete().where(sessions.c.name == name))
    store.record(actor, "staff_password" if updated.rowcount else "staff_added", name)


def remove_account(store: ReviewStore, name: str, actor: str) -> None:
    """Deletes the account and ends its logins (what it did stays in the record)."""
    with store.engine.begin() as connection:
        removed = connection.execute(staff.delete().where(staff.c.name == name)).rowcount
        connection.execute(sessions.delete().where(sessions.c.name == name))
    if not removed:
        raise ReviewError(f"there is no account {name!r} (`python -m bot staff list` lists them)")
    store.record(actor, "staff_removed", name)


def check_password(store: ReviewStore, name: str, password: str) -> bool:
    """Whether the password is the account's (False for an unknown account)."""
    with store.engine.connect() as connection:
        hashed = connection.execute(sa.select(staff.c.password_hash).where(staff.c.name == name)).scalar()
    try:
        return _HASHER.verify(hashed or _UNKNOWN, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def account_names(store: ReviewStore) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.execute(sa.select(staff.c.name).order_by(staff.c.name)).scalars())
