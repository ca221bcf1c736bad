"""Who may do what: the roles, the requester and the rules over a stored contribution, as pure functions.

Roles
    ``citizen``    anyone, anonymous; creates contributions, edits and deletes only
                   their own (proved by the contribution's secret).
    ``moderator``  sees every contribution, approves, rejects, sets the status of Mängelmeldungen.
    ``planner``    everything a moderator may, plus writes to plan and city-layer collections and
                   participation phases.
    ``admin``      everything a planner may, plus managing service tokens.

A :class:`Viewer` says who asks (role, the hashes of the author secrets they sent, by which means);
:mod:`access.viewer` makes it from a Flask request. The functions here take a viewer and what the
store holds and raise a refusal, or return: the providers (``providers/contributions.py``, which has the
row at hand), the process runs (``scenarios/processes.py``) and the thin guard in front of the routes
(``api/access.py``) share one set of rules, and the rules can be tested without a server.

The refusals are pygeoapi provider errors (as :mod:`intake.errors`): pygeoapi turns them into their status
code and the message, in German and English, from the catalogue :mod:`access.messages`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

from pygeoapi.provider.base import ProviderGenericError, ProviderInvalidDataError

from access.messages import message, pair

CITIZEN, MODERATOR, PLANNER = "citizen", "moderator", "planner"
ADMIN = "admin"

SECRET_HEADER = "X-Contribution-Secret"
VOTER_HEADER = "X-Voter-Id"

#: A client-chosen author secret: long enough not to be guessed, only characters safe in a header list.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
#: At most this many secrets of one header are read (a browser holds one; a long list only costs hashing).
MAX_SECRETS = 50

SESSION_EXPIRED = message("session_expired")
UNKNOWN_TOKEN = message("token_unknown")


# -- errors (pygeoapi turns a ProviderGenericError into its status code and message) ------------


class AccessError(ProviderGenericError):
    """A refusal with a message meant for the client."""

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


class CredentialsRequired(AccessError):
    http_status_code = HTTPStatus.UNAUTHORIZED
    ogc_exception_code = "Unauthorized"


class Forbidden(AccessError):
    http_status_code = HTTPStatus.FORBIDDEN
    ogc_exception_code = "Forbidden"


class SessionExpired(CredentialsRequired):
    """The session cookie names an ended session (expired, signed out): sign in again."""

    ogc_exception_code = "SessionExpired"


class BadSecret(ProviderInvalidDataError):
    http_status_code = HTTPStatus.BAD_REQUEST
    ogc_exception_code = "InvalidParameterValue"

    def __init__(self, msg: str):
        super().__init__(msg, user_msg=msg)


# -- who is asking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """The requester: a role and the hashes of the author secrets they sent."""

    role: str = CITIZEN
    secret_hashes: tuple[str, ...] = ()
    #: An Authorization header was sent but matches no role.
    token_invalid: bool = False
    token_sent: bool = False
    #: Who: the person (OpenID Connect name, else e-mail or subject), "token:<name>" for a service token,
    #: "token:planner-env"/"token:moderator-env" for the environment tokens; "" for anonymous citizens.
    name: str = ""
    #: How: "oidc" (session cookie), "service-token", "env-token", or "" (anonymous).
    via: str = ""
    #: A session cookie was sent whose session has ended (expired, signed out): treated as anonymous.
    session_expired: bool = False

    @property
    def is_moderator(self) -> bool:
        return self.role in (MODERATOR, PLANNER, ADMIN)

    @property
    def is_planner(self) -> bool:
        return self.role in (PLANNER, ADMIN)

    def owns(self, author_secret_hash: str | None) -> bool:
        if not author_secret_hash:
            return False
        # every hash compared, in constant time each: the list is built in full on purpose (any() over a
        # generator would stop at the first match and leak which key matched through the timing)
        return any([hmac.compare_digest(h, author_secret_hash) for h in self.secret_hashes])  # noqa: C419 — no short-circuit, see above


ANONYMOUS = Viewer()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(b"buergergis-author:" + secret.encode()).hexdigest()


def hash_voter(voter_id: str) -> str:
    return hashlib.sha256(b"buergergis-voter:" + voter_id.encode()).hexdigest()


def secret_hashes(header: str | None) -> tuple[str, ...]:
    """The hashes of the well-formed secrets of an ``X-Contribution-Secret`` header (comma-separated)."""
    if not header:
        return ()
    found = [s.strip() for s in header.split(",")[:MAX_SECRETS]]
    return tuple(hash_secret(s) for s in found if SECRET_PATTERN.match(s))


def checked_secret(given: str) -> str:
    """A client's own secret for a new contribution, if well-formed; else :class:`BadSecret`."""
    if not SECRET_PATTERN.match(given):
        raise BadSecret(message("secret_malformed", header=SECRET_HEADER))
    return given


# -- rules of the roles ---------------------------------------------------------------------------


def require_author_or_moderator(viewer: Viewer, author_secret_hash: str | None) -> None:
    """Citizens change only their own contributions; moderators and planners any."""
    if viewer.token_invalid:
        raise Forbidden(UNKNOWN_TOKEN)
    if viewer.is_moderator:
        return
    if not viewer.secret_hashes:
        raise CredentialsRequired(message("secret_or_moderator", header=SECRET_HEADER))
    if not viewer.owns(author_secret_hash):
        raise Forbidden(message("not_your_contribution"))


def require_moderator(viewer: Viewer) -> None:
    if viewer.is_moderator:
        return
    if viewer.session_expired:
        raise CredentialsRequired(SESSION_EXPIRED)
    if viewer.token_sent or viewer.via:
        raise Forbidden(message("moderators_only"))
    raise CredentialsRequired(message("moderator_sign_in"))


def require_planner(viewer: Viewer) -> None:
    if viewer.token_invalid:
        raise Forbidden(UNKNOWN_TOKEN)
    if viewer.is_planner:
        return
    if viewer.token_sent or viewer.role != CITIZEN or viewer.via:
        raise Forbidden(message("planners_only"))
    raise CredentialsRequired(message("planner_sign_in"))


def write_refusal(viewer: Viewer, role: str) -> AccessError | None:
    """Why ``viewer`` may not write where ``role`` is needed, or None: the answer of the guard in front of
    the write routes (``api/access.py``). 401 where signing in (again) would help, else 403."""
    allowed = {PLANNER: viewer.is_planner, MODERATOR: viewer.is_moderator, ADMIN: viewer.role == ADMIN}
    if allowed.get(role, True):
        return None
    if viewer.session_expired:
        return SessionExpired(SESSION_EXPIRED)
    signed_in = viewer.token_sent or bool(viewer.via)
    if role == PLANNER:
        if signed_in:
            return Forbidden(message("write_needs_planner_role"))
        return CredentialsRequired(message("write_needs_planner_token"))
    text = message("moderators_only" if role == MODERATOR else "admins_only")
    return Forbidden(text) if signed_in else CredentialsRequired(text)


# -- participation phases -------------------------------------------------------------------------


def phase_is_open(phase: dict, now: datetime) -> bool:
    opens, closes = _instant(phase.get("opens_at")), _instant(phase.get("closes_at"))
    return (opens is None or opens <= now) and (closes is None or now < closes)


def require_open_phase(
    viewer: Viewer, kind: str, scope: tuple[str, str | None], phases: list[dict], now: datetime | None = None
) -> None:
    """Comments and proposals only while a participation phase of their plan/scenario is open.

    Mängelmeldungen are always accepted (they are not part of a planning procedure);
    moderators and planners may write at any time. ``scope`` is ``("plan", id)``,
    ``("scenario", id)`` or ``("general", None)`` for unlinked contributions.
    """
    if viewer.is_moderator or kind == "maengelmeldung":
        return
    now = now or datetime.now(UTC)
    if any(phase_is_open(p, now) for p in phases):
        return
    what_key = {"plan": "phase_of_plan", "scenario": "phase_of_scenario"}.get(scope[0], "phase_of_general")
    what_de, what = pair(what_key, id=scope[1])
    upcoming = sorted(o for o in (_instant(p.get("opens_at")) for p in phases) if o and o > now)
    past = sorted(c for c in (_instant(p.get("closes_at")) for p in phases) if c and c <= now)
    if upcoming:
        when_de, when = pair("phase_opens", moment=upcoming[0])
    elif past:
        when_de, when = pair("phase_ended", moment=past[-1])
    else:
        when_de, when = pair("phase_none")
    raise Forbidden(message("phase_closed", what_de=what_de, what=what, when_de=when_de, when=when))


def _instant(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
