"""Operators: argon2 password hashes, roles, sessions with CSRF tokens, and a login slowdown.

Roles: editor (drafts), publisher (drafts and publishes), agent (handoffs), admin (everything,
users and the audit log). Sessions are random tokens kept only as SHA-256 hashes.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from console import audit, store

ROLES: tuple[str, ...] = ("editor", "publisher", "agent", "admin")
#: What each role may do; every page and form names the permission it needs.
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": frozenset({"dashboard", "knowledge", "draft", "review"}),
    "publisher": frozenset({"dashboard", "knowledge", "draft", "review", "publish"}),
    "agent": frozenset({"dashboard", "handoff"}),
    "admin": frozenset({"dashboard", "knowledge", "draft", "review", "publish", "handoff", "users", "audit"}),
}
SESSION_SECONDS = 8 * 3600
#: Failed logins (per user name, and per address) allowed before waiting starts.
FREE_FAILURES = 3
#: Longest wait imposed after repeated failures, in seconds.
MAX_WAIT_SECONDS = 15 * 60
MIN_PASSWORD_CHARS = 10
USER_NAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so timing does not reveal user names.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AuthError(Exception):
    """A refusal an operator reads: wrong password, too many tries (with how long to wait)."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    name: str
    role: str
    active: bool = True

    def can(self, permission: str) -> bool:
        return self.active and permission in PERMISSIONS.get(self.role, frozenset())


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# ----------------------------------------------------------------------------- users


def check_new_user(name: str, role: str, password: str) -> None:
    if not USER_NAME.match(name or ""):
        raise AuthError("A user name is 2 to 64 letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise AuthError(f"Unknown role '{role}': use one of {', '.join(ROLES)}.")
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise AuthError(f"The password must have at least {MIN_PASSWORD_CHARS} characters.")


def add_user(name: str, role: str, password: str, by: str, url: str | None = None) -> User:
    """Create a user, or replace the role and password of an existing one."""
    check_new_user(name, role, password)
    hashed = _hasher.hash(password)
    with store.engine(url).begin() as connection:
        exists = connection.execute(sa.select(store.users.c.name).where(store.users.c.name == name)).first()
        if exists:
            connection.execute(store.users.update().where(store.users.c.name == name).values(role=role, password_hash=hashed, active=True))
        else:
            connection.execute(store.users.insert().values(name=name, role=role, password_hash=hashed, active=True, created_at=time.time()))
    audit.record(by, "user.update" if exists else "user.add", name, f"role={role}", url)
    return User(name, role)


def set_active(name: str, active: bool, by: str, url: str | None = None) -> None:
    with store.engine(url).begin() as connection:
        connection.execute(store.users.update().where(store.users.c.name == name).values(active=active))
        if not active:
            connection.execute(store.sessions.delete().where(store.sessions.c.user == name))
    audit.record(by, "user.enable" if active else "user.disable", name, "", url)


def users(url: str | None = None) -> list[User]:
    with store.engine(url).connect() as connection:
        rows = connection.execute(sa.select(store.users).order_by(store.users.c.name)).mappings().all()
    return [User(r["name"], r["role"], bool(r["active"])) for r in rows]


# ----------------------------------------------------------------------------- logging in


def _wait_for(count: int, last_at: float, now: float) -> int:
    if count < FREE_FAILURES:
        return 0
    wait = min(MAX_WAIT_SECONDS, 2 ** (count - FREE_FAILURES + 1))
    return max(0, int(last_at + wait - now + 0.999))


def _failure_keys(name: str, address: str) -> list[str]:
    return [f"user:{name.lower()[:64]}", f"address:{address[:100]}"]


def retry_after(name: str, address: str, url: str | None = None) -> int:
    """Seconds to wait before this user name or address may try again (0 = now)."""
    now = time.time()
    with store.engine(url).connect() as connection:
        rows = connection.execute(sa.select(store.login_failures).where(
            store.login_failures.c.key.in_(_failure_keys(name, address)))).mappings().all()
    return max([_wait_for(r["count"], r["last_at"], now) for r in rows] or [0])


def _record_failure(name: str, address: str, url: str | None) -> None:
    now = time.time()
    with store.engine(url).begin() as connection:
        for key in _failure_keys(name, address):
            row = connection.execute(sa.select(store.login_failures).where(store.login_failures.c.key == key)).mappings().first()
            if row is None:
                connection.execute(store.login_failures.insert().values(key=key, count=1, last_at=now))
            else:
                connection.execute(store.login_failures.update().where(store.login_failures.c.key == key).values(count=row["count"] + 1, last_at=now))


def _clear_failures(name: str, url: str | None) -> None:
    with store.engine(url).begin() as connection:
        connection.execute(store.login_failures.delete().where(store.login_failures.c.key == f"user:{name.lower()[:64]}"))


def authenticate(name: str, password: str, address: str, url: str | None = None) -> User:
    """The user for a name and password; AuthError when wrong, disabled, or while slowed down."""
    name = (name or "").strip()[:64]
    wait = retry_after(name, address, url)
    if wait:
        raise AuthError(f"Too many failed log-ins. Please wait {wait} seconds and try again.", wait)
    with store.engine(url).connect() as connection:
        row = connection.execute(sa.select(store.users).where(store.users.c.name == name)).mappings().first()
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password or "")
        ok = row is not None and bool(row["active"])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        _record_failure(name, address, url)
        audit.record(name or "-", "login.failed", address, "", url)
        raise AuthError("The user name or password is not right.")
    _clear_failures(name, url)
    if _hasher.check_needs_rehash(row["password_hash"]):
        with store.engine(url).begin() as connection:
            connection.execute(store.users.update().where(store.users.c.name == name).values(password_hash=_hasher.hash(password)))
    audit.record(name, "login", address, "", url)
    return User(row["name"], row["role"], True)


# ----------------------------------------------------------------------------- sessions


def create_session(user: User, url: str | None = None) -> tuple[str, Session]:
    """A new session: returns the cookie token (kept only hashed) and the session with its CSRF token."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
    with store.engine(url).begin() as connection:
        connection.execute(store.sessions.delete().where(store.sessions.c.expires_at < now))
        connection.execute(store.sessions.insert().values(
            token_hash=_token_hash(token), user=user.name, csrf=csrf, created_at=now, expires_at=now + SESSION_SECONDS,
        ))
    return token, Session(user, csrf, now + SESSION_SECONDS)


def session_for(token: str | None, url: str | None = None) -> Session | None:
    """The live session of a cookie token, with its user's current role; None when expired or disabled."""
    if not token or len(token) > 200:
        return None
    query = sa.select(store.sessions, store.users.c.role, store.users.c.active).join(
        store.users, store.users.c.name == store.sessions.c.user).where(store.sessions.c.token_hash == _token_hash(token))
    with store.engine(url).connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None or row["expires_at"] < time.time() or not row["active"]:
        return None
    return Session(User(row["user"], row["role"], True), row["csrf"], row["expires_at"])


def end_session(token: str | None, url: str | None = None) -> None:
    if token:
        with store.engine(url).begin() as connection:
            connection.execute(store.sessions.delete().where(store.sessions.c.token_hash == _token_hash(token)))


def csrf_valid(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a form's or header's CSRF token with the session's."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())
