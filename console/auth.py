"""Operators: argon2 password hashes, roles, sessions with CSRF tokens, and a login slowdown.

Roles: editor (drafts), publisher (drafts and publishes), agent (handoffs), admin (everything,
users and the audit log). Sessions are random tokens kept only as SHA-256 hashes; they end after
`idle_seconds()` without the operator doing anything, after `SESSION_SECONDS` in any case, and
when the user's password is reset or the user is disabled.

Failed log-ins slow down further tries per user name and address, per address and per user
name, each counter decaying with time, so nobody can keep an account locked for good; a browser
the user logged in from before (a "device" cookie) is slowed down only by its own failures.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
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
logger = logging.getLogger("hkbot.console")

#: Longest a session lasts, however active.
SESSION_SECONDS = 8 * 3600
#: Minutes without a click, form or page load after which a session ends (background refreshes do not count).
IDLE_ENV = "HKBOT_CONSOLE_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30  # NIST SP 800-63B asks re-authentication after 30 minutes idle at AAL2
#: An active session's idle deadline is written again only when it would move by more than this (or a tenth of the idle time).
TOUCH_SECONDS = 30
#: Failed logins for one user name from one address allowed before waiting starts.
FREE_FAILURES = 3
#: Longest wait imposed after repeated failures, in seconds.
MAX_WAIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class Limit:
    """One failure counter: `free` failures before waiting, and one failure forgotten every `decay_seconds`."""

    kind: str
    free: int
    decay_seconds: float


#: One user name from one address: the classic slowdown (2, 4, 8 ... s after 3 failures).
PAIR = Limit("pair", FREE_FAILURES, 15 * 60)
#: One address, every name: password spraying. Generous, and forgotten fast, so an office behind NAT keeps working.
ADDRESS = Limit("address", 20, 60)
#: One user name, every address: guessing from many addresses. Time-limited, and a known browser is not affected.
ACCOUNT = Limit("user", 10, 5 * 60)
#: A browser the user logged in from before: only its own failures count.
DEVICE = Limit("device", FREE_FAILURES, 15 * 60)
#: How long a browser stays known after its last successful log-in.
DEVICE_SECONDS = 90 * 24 * 3600
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
    if audit.is_automatic(name):
        raise AuthError(f"The name '{name}' is reserved for entries the console writes itself in the audit log. Choose another name.")
    if role not in ROLES:
        raise AuthError(f"Unknown role '{role}': use one of {', '.join(ROLES)}.")
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise AuthError(f"The password must have at least {MIN_PASSWORD_CHARS} characters.")


def add_user(name: str, role: str, password: str, by: str, url: str | None = None, keep_token: str | None = None) -> User:
    """Create a user, or replace the role and password of an existing one.

    A reset ends every session of that user except `keep_token`'s (the admin resetting their own
    password stays logged in where they did it), and forgets the name's failed log-ins.
    """
    check_new_user(name, role, password)
    hashed = _hasher.hash(password)
    ended = 0
    with store.engine(url).begin() as connection:
        exists = connection.execute(sa.select(store.users.c.name).where(store.users.c.name == name)).first()
        if exists:
            connection.execute(store.users.update().where(store.users.c.name == name).values(role=role, password_hash=hashed, active=True))
            others = store.sessions.delete().where(store.sessions.c.user == name)
            if keep_token:
                others = others.where(store.sessions.c.token_hash != _token_hash(keep_token))
            ended = connection.execute(others).rowcount or 0
            connection.execute(store.login_failures.delete().where(sa.or_(
                store.login_failures.c.key == _key(ACCOUNT, name),
                store.login_failures.c.key.like(_key(PAIR, name) + "|%", escape="\\"))))
        else:
            connection.execute(store.users.insert().values(name=name, role=role, password_hash=hashed, active=True, created_at=time.time()))
    detail = f"role={role}" + (f", password reset, {ended} other session(s) ended" if exists else "")
    audit.record(by, "user.update" if exists else "user.add", name, detail, url)
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


def _key(limit: Limit, *parts: str) -> str:
    # LIKE patterns are built from these keys: no wildcard may come from a name or address
    cleaned = [part.lower()[:100].replace("\\", "").replace("%", "").replace("_", "?") if limit is not ADDRESS else part[:100] for part in parts]
    return f"{limit.kind}:" + "|".join(cleaned)


def _device_hash(device: str | None) -> str:
    return _token_hash(device)[:40] if device and len(device) <= 200 else ""


def _limits(name: str, address: str, device: str | None, connection: sa.engine.Connection, now: float) -> list[tuple[Limit, str]]:
    """The counters that apply to a try: a known browser's own, else name+address, address and name."""
    digest = _device_hash(device)
    if digest:
        key = _key(DEVICE, name, digest)
        row = connection.execute(sa.select(store.login_failures.c.last_at).where(store.login_failures.c.key == key)).first()
        if row is not None and row[0] > now - DEVICE_SECONDS:
            return [(DEVICE, key)]
    return [(PAIR, _key(PAIR, name, address)), (ADDRESS, _key(ADDRESS, address)), (ACCOUNT, _key(ACCOUNT, name))]


def _count(limit: Limit, count: int, last_at: float, now: float) -> int:
    """A counter after forgetting one failure per `decay_seconds` since the last one."""
    return max(0, count - int(max(0.0, now - last_at) // limit.decay_seconds))


def _wait_for(limit: Limit, count: int, last_at: float, now: float) -> int:
    count = _count(limit, count, last_at, now)
    if count < limit.free:
        return 0
    wait = min(MAX_WAIT_SECONDS, 2 ** (count - limit.free + 1))
    return max(0, int(last_at + wait - now + 0.999))


def retry_after(name: str, address: str, url: str | None = None, device: str | None = None) -> int:
    """Seconds to wait before this user name may try again from this address or browser (0 = now)."""
    now = time.time()
    name = (name or "").strip()[:64]
    with store.engine(url).connect() as connection:
        limits = dict((key, limit) for limit, key in _limits(name, address, device, connection, now))
        rows = connection.execute(sa.select(store.login_failures).where(
            store.login_failures.c.key.in_(list(limits)))).mappings().all()
    return max([_wait_for(limits[r["key"]], r["count"], r["last_at"], now) for r in rows] or [0])


def _record_failure(name: str, address: str, device: str | None, url: str | None) -> None:
    now = time.time()
    table = store.login_failures
    with store.engine(url).begin() as connection:
        for limit, key in _limits(name, address, device, connection, now):
            row = connection.execute(sa.select(table).where(table.c.key == key)).mappings().first()
            if row is None:
                connection.execute(table.insert().values(key=key, count=1, last_at=now))
            else:
                count = _count(limit, row["count"], row["last_at"], now) + 1
                connection.execute(table.update().where(table.c.key == key).values(count=count, last_at=now))
        # counters forgotten by now, and browsers not seen for long, are removed (the table stays small)
        connection.execute(table.delete().where(sa.or_(
            sa.and_(~table.c.key.like("device:%"), table.c.last_at < now - 24 * 3600),
            table.c.last_at < now - DEVICE_SECONDS)))


def _succeeded(name: str, address: str, device: str | None, url: str | None) -> str:
    """Forget this name's failures from this address or browser; the browser is known from now on. Returns its token."""
    now = time.time()
    token = device if device and _device_hash(device) else secrets.token_urlsafe(32)  # `_device_hash` is "" without a device
    key = _key(DEVICE, name, _device_hash(token))
    table = store.login_failures
    with store.engine(url).begin() as connection:
        connection.execute(table.delete().where(table.c.key.in_([_key(PAIR, name, address), key])))
        connection.execute(table.insert().values(key=key, count=0, last_at=now))
    return token


def authenticate(name: str, password: str, address: str, url: str | None = None, device: str | None = None) -> User:
    """The user for a name and password; AuthError when wrong, disabled, or while slowed down.

    `device` is the browser's device cookie, if any (see `log_in`, which also returns the new one).
    """
    return log_in(name, password, address, url, device)[0]


def log_in(name: str, password: str, address: str, url: str | None = None, device: str | None = None) -> tuple[User, str]:
    """`authenticate`, and the device token the browser keeps so that others' failures never lock it out."""
    name = (name or "").strip()[:64]
    wait = retry_after(name, address, url, device)
    if wait:
        raise AuthError(f"Too many failed log-ins. Please wait {wait} seconds and try again.", wait)
    row = None
    if not audit.is_automatic(name):  # a user created under a reserved name before it was reserved cannot log in
        with store.engine(url).connect() as connection:
            row = connection.execute(sa.select(store.users).where(store.users.c.name == name)).mappings().first()
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password or "")
        ok = row is not None and bool(row["active"])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        _record_failure(name, address, device, url)
        named = name and not audit.is_automatic(name)
        audit.record(name if named else audit.ANONYMOUS, "login.failed", address, "" if named or not name else f"name={name}", url)
        raise AuthError("The user name or password is not right.")
    if row is None:  # cannot be: `ok` needs a row
        raise RuntimeError("log-in accepted without a user row")
    token = _succeeded(name, address, device, url)
    if _hasher.check_needs_rehash(row["password_hash"]):
        with store.engine(url).begin() as connection:
            connection.execute(store.users.update().where(store.users.c.name == name).values(password_hash=_hasher.hash(password)))
    audit.record(name, "login", address, "", url)
    return User(row["name"], row["role"], True), token


# ----------------------------------------------------------------------------- sessions


def idle_seconds() -> int:
    """`HKBOT_CONSOLE_IDLE_MINUTES` (more than 0, at most 480; default 30) in seconds; a wrong value keeps the default, with a warning."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    if raw:
        try:
            minutes = float(raw)
            if 0 < minutes <= SESSION_SECONDS / 60:
                return max(1, int(minutes * 60))
        except ValueError:
            pass
        logger.warning("%s=%r is not a number of minutes above 0 and at most %d; using %d.", IDLE_ENV, raw, SESSION_SECONDS // 60, DEFAULT_IDLE_MINUTES)
    return DEFAULT_IDLE_MINUTES * 60


def create_session(user: User, url: str | None = None) -> tuple[str, Session]:
    """A new session: returns the cookie token (kept only hashed) and the session with its CSRF token.

    `expires_at` is the idle deadline, moved on at each action up to `created_at + SESSION_SECONDS`.
    """
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
    expires_at = now + min(idle_seconds(), SESSION_SECONDS)
    with store.engine(url).begin() as connection:
        connection.execute(store.sessions.delete().where(store.sessions.c.expires_at < now))
        connection.execute(store.sessions.insert().values(
            token_hash=_token_hash(token), user=user.name, csrf=csrf, created_at=now, expires_at=expires_at,
        ))
    return token, Session(user, csrf, expires_at)


def session_for(token: str | None, url: str | None = None, active: bool = True) -> Session | None:
    """The live session of a cookie token, with its user's current role; None when idle too long, expired or disabled.

    `active` is True when the operator did something (a page, a form); a background refresh passes
    False, so an unattended screen still times out.
    """
    if not token or len(token) > 200:
        return None
    query = sa.select(store.sessions, store.users.c.role, store.users.c.active).join(
        store.users, store.users.c.name == store.sessions.c.user).where(store.sessions.c.token_hash == _token_hash(token))
    with store.engine(url).connect() as connection:
        row = connection.execute(query).mappings().first()
    now = time.time()
    if row is None or not row["active"] or audit.is_automatic(row["user"]):
        return None
    latest = row["created_at"] + SESSION_SECONDS
    if row["expires_at"] < now or latest < now:
        end_session(token, url)
        return None
    expires_at = row["expires_at"]
    if active:
        idle = idle_seconds()
        moved = min(now + idle, latest)
        if moved - expires_at > min(TOUCH_SECONDS, idle / 10) or moved < expires_at:  # a shorter idle setting applies at once
            expires_at = moved
            with store.engine(url).begin() as connection:
                connection.execute(store.sessions.update().where(store.sessions.c.token_hash == row["token_hash"]).values(expires_at=moved))
    return Session(User(row["user"], row["role"], True), row["csrf"], expires_at)


def end_session(token: str | None, url: str | None = None) -> None:
    if token:
        with store.engine(url).begin() as connection:
            connection.execute(store.sessions.delete().where(store.sessions.c.token_hash == _token_hash(token)))


def csrf_valid(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a form's or header's CSRF token with the session's."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())
