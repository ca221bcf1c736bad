"""Named, revocable service tokens for scripts, QGIS and other systems (``service_tokens``).

A token is ``bgis_`` plus 256 random bits, shown once when it is made (``buergergis token create NAME --role
planner`` or ``POST /api/service-tokens`` as an admin); the table keeps its SHA-256 only, with name, role,
when it was made, last used and revoked. It is sent like the environment tokens, ``Authorization: Bearer …``.
A revoked or unknown token is refused (403 "Unbekanntes Token / unknown token"). One active token per name;
a revoked name may be given a new token.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import uuid
from collections import Counter

from access import db as rows
from access.messages import message
from access.settings import STAFF_ROLES

PREFIX = "bgis_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: last_used_at is written at most this often per token.
TOUCH_SECONDS = 60
#: What lists show (never the hash).
PUBLIC_COLUMNS = ("name", "role", "created_at", "last_used_at", "revoked_at")


#: Shared secrets from the environment that must be strong (bearer tokens, the key that signs cookies).
ENV_SECRETS = ("BUERGERGIS_PLANNER_TOKEN", "BUERGERGIS_MODERATOR_TOKEN", "BUERGERGIS_SECRET_KEY")
MIN_TOKEN_LENGTH = 32
#: Shannon entropy of the token's own characters, in bits per character: ``secrets.token_urlsafe(32)`` has
#: about 5; "aaaa…", "abababab…" or a word repeated have 0-3. A random hex key (``secrets.token_hex(32)``) has
#: 3.4-4 (3.39 the lowest of 100,000 draws), so 3.5 refused about one good hex key in 5,000.
MIN_BITS_PER_CHAR = 3.0
HOW_TO_MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class WeakTokenError(SystemExit):
    """The server must not start: an environment token is too short or too regular to withstand guessing."""


def entropy_bits_per_char(token: str) -> float:
    counts = Counter(token)
    return -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values()) if token else 0.0


def weak_env_secrets(environ=None) -> list[str]:
    """One German/English line per environment secret that is set but weak (empty list: all good)."""
    environ = os.environ if environ is None else environ
    problems = []
    for variable in ENV_SECRETS:
        value = environ.get(variable) or ""
        if not value:
            continue
        if len(value) < MIN_TOKEN_LENGTH:
            problems.append(message("env_token_short", variable=variable, length=len(value), min=MIN_TOKEN_LENGTH))
        elif entropy_bits_per_char(value) < MIN_BITS_PER_CHAR:
            problems.append(message("env_token_regular", variable=variable))
    return problems


def require_strong_env_secrets(environ=None) -> None:
    """Refuse to start (:class:`WeakTokenError`, exit status 2) with a weak environment token.

    The demo (``--demo``) makes its own strong tokens instead.
    """
    environ = os.environ if environ is None else environ
    problems = weak_env_secrets(environ)
    if problems:
        raise WeakTokenError(
            f"{message('start_refused')}:\n  "
            + "\n  ".join(problems)
            + f"\n{message('env_token_how')}:  {HOW_TO_MAKE_ONE}"
        )


def demo_tokens(environ=None) -> dict[str, str]:
    """For the demo: strong planner and moderator tokens where none are set (returned to be shown once)."""
    environ = os.environ if environ is None else environ
    made = {}
    for variable in ("BUERGERGIS_PLANNER_TOKEN", "BUERGERGIS_MODERATOR_TOKEN"):
        if not environ.get(variable):
            made[variable] = environ[variable] = secrets.token_urlsafe(32)
    return made


class TokenError(ValueError):
    """A token cannot be made or revoked as asked; ``status`` is the HTTP answer (400, 404, 409)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def hash_token(token: str) -> str:
    return hashlib.sha256(b"buergergis-service-token:" + token.encode()).hexdigest()


def public(row: dict) -> dict:
    return {
        "name": row["name"],
        "role": row["role"],
        "created_at": rows.as_iso(row.get("created_at")),
        "last_used_at": rows.as_iso(row.get("last_used_at")),
        "revoked_at": rows.as_iso(row.get("revoked_at")),
        "active": row.get("revoked_at") is None,
    }


class ServiceTokens:
    def __init__(self, db: rows.Db):
        self.db = db

    def create(self, name: str, role: str) -> tuple[str, dict]:
        """(the token, its public row); :class:`TokenError` for a bad name/role or an active token of that name."""
        name = (name or "").strip() if isinstance(name, str) else ""
        if not NAME_PATTERN.match(name):
            raise TokenError(400, message("token_name"))
        if role not in STAFF_ROLES:
            raise TokenError(400, message("token_role", roles=", ".join(STAFF_ROLES)))
        token = PREFIX + secrets.token_urlsafe(32)
        row = {
            "id": uuid.uuid4().hex,
            "name": name,
            "role": role,
            "token_hash": hash_token(token),
            "created_at": rows.iso(rows.now()),
        }
        with self.db.transaction(lock="service_tokens") as tx:
            if tx.fetch("SELECT 1 FROM service_tokens WHERE name = :name AND revoked_at IS NULL", {"name": name}):
                raise TokenError(409, message("token_exists", name=name))
            tx.execute(
                "INSERT INTO service_tokens (id, name, role, token_hash, created_at) "
                "VALUES (:id, :name, :role, :token_hash, :created_at)",
                row,
            )
        return token, public(row)

    def list(self) -> list[dict]:
        found = self.db.fetch(
            "SELECT name, role, created_at, last_used_at, revoked_at FROM service_tokens ORDER BY created_at, name"
        )
        return [public(row) for row in found]

    def revoke(self, name: str) -> dict:
        """Revoke the active token of ``name``; :class:`TokenError` (404) when there is none."""
        with self.db.transaction(lock="service_tokens") as tx:
            found = tx.fetch("SELECT * FROM service_tokens WHERE name = :name AND revoked_at IS NULL", {"name": name})
            if not found:
                raise TokenError(404, message("token_not_found", name=name))
            moment = rows.iso(rows.now())
            tx.execute(
                "UPDATE service_tokens SET revoked_at = :now WHERE id = :id", {"now": moment, "id": found[0]["id"]}
            )
        return public({**found[0], "revoked_at": moment})

    def lookup(self, token: str) -> dict | None:
        """The active token's row (name, role), or None for an unknown or revoked one."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        found = self.db.fetch(
            "SELECT id, name, role, last_used_at FROM service_tokens WHERE token_hash = :h AND revoked_at IS NULL",
            {"h": hash_token(token)},
        )
        if not found or found[0]["role"] not in STAFF_ROLES:
            return None
        row = found[0]
        moment = rows.now()
        last = rows.instant(row["last_used_at"])
        if last is None or (moment - last).total_seconds() > TOUCH_SECONDS:
            self.db.execute(
                "UPDATE service_tokens SET last_used_at = :now WHERE id = :id",
                {"now": rows.iso(moment), "id": row["id"]},
            )
        return row
