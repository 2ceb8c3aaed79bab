"""Accounts, passwords, login sessions and CSRF tokens.

* Passwords are hashed with argon2id (``argon2-cffi`` defaults); a login with an unknown user
  still pays for one hash, so timing does not tell which user names exist.
* A login session is a random 256-bit token in an ``HttpOnly`` cookie; the store keeps only
  its SHA-256, so a leaked database does not log anyone in. Sessions expire, end at logout,
  and die with their user (disabling a user ends them at once).
* Each session has its own CSRF token, which every form carries and every POST must echo
  (compared in constant time). Before login, the login form is protected the same way by a
  token in a short-lived cookie (double submit).
* Roles: ``analyst`` reviews; ``admin`` also manages users, exports, corrects anyone's
  decisions and adjudicates disagreements.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from clusters.review.db import ROLES, Database, LoginSession, User, utcnow

MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_hasher = PasswordHasher()
_dummy_hash = ""


def configure_hashing(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the argon2id cost of new hashes (existing hashes keep theirs and are upgraded at
    the next login)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _dummy_hash = ""


class AuthError(ValueError):
    """A user cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never raises for a mismatch)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(
    db: Database,
    username: str,
    password: str | None,
    role: str = "analyst",
    simulated: bool = False,
) -> int:
    """Create a user; ``password=None`` makes an account that cannot log in (simulated runs).

    Raises:
        AuthError: bad name, role or password, or the user exists.
    """
    username = username.strip()
    if not USERNAME_RE.fullmatch(username):
        raise AuthError("user names are 1-64 letters, digits, '.', '-' or '_'")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    stored = hash_password(password) if password is not None else "!disabled-login"
    try:
        with db.transaction() as session:
            user = User(
                username=username,
                password_hash=stored,
                role=role,
                active=True,
                simulated=simulated,
                created_at=utcnow(),
            )
            session.add(user)
            session.flush()
            return user.id
    except IntegrityError as exc:
        raise AuthError(f"user {username!r} exists already") from exc


def disable_user(db: Database, username: str) -> None:
    """Disable a user (kept for the audit trail) and end their sessions and leases."""
    from clusters.review.db import Item

    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise AuthError(f"no user {username!r}")
        user.active = False
        user.disabled_at = utcnow()
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        for item in session.scalars(select(Item).where(Item.lease_user_id == user.id)):
            item.lease_user_id = item.lease_token = item.lease_expires_at = None


def list_users(db: Database) -> list[User]:
    with db.transaction() as session:
        return list(session.scalars(select(User).order_by(User.username)).all())


def get_user(db: Database, username: str) -> User | None:
    with db.transaction() as session:
        return session.scalar(select(User).where(User.username == username))


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The active, non-simulated user with these credentials, or ``None``."""
    user = get_user(db, username.strip())
    if user is None or not user.active or user.simulated:
        verify_password(_dummy(), password)  # same cost as a real check
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with db.transaction() as session:
            session.get(User, user.id).password_hash = hash_password(password)
    return user


def _dummy() -> str:
    global _dummy_hash
    if not _dummy_hash:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionInfo:
    """Who a request's session cookie belongs to."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    expires_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def create_session(db: Database, user_id: int, hours: float) -> str:
    """Start a login session; returns the token for the cookie (shown only this once)."""
    token = secrets.token_urlsafe(32)
    with db.transaction() as session:
        session.add(
            LoginSession(
                token_hash=_digest(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=hours),
            )
        )
    return token


def session_for(db: Database, token: str | None) -> SessionInfo | None:
    """The live session of a cookie token (an expired one, or a disabled user's, is none)."""
    if not token:
        return None
    with db.transaction() as session:
        row = session.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == _digest(token))
        ).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at < utcnow() or not user.active:
        return None
    return SessionInfo(user.id, user.username, user.role, login.csrf_token, login.expires_at)


def end_session(db: Database, token: str | None) -> None:
    """Log out: the session's token stops working."""
    if token:
        with db.transaction() as session:
            session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (missing never matches)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
