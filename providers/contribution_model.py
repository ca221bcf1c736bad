"""The contribution model: what a contribution is and the rules a citizen's one must follow. Pure functions.

Kinds, categories, statuses and who sees what (:func:`visible_to`, :func:`visibility_filter`);
the checks of a contribution's properties (:func:`clean_properties`) and of its place
(:func:`checked_place`, on top of the intake's geometry checks with :data:`PLACE_LIMITS`).
No store and no request here: the statements are in ``providers/contribution_rows.py``,
the pygeoapi provider in ``providers/contributions.py``. Every refusal is an
:class:`~intake.errors.IntakeError` with a message from the catalogue (``intake/messages.py``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Protocol

import shapely
import shapely.geometry
from pygeoapi.provider.base import ProviderItemNotFoundError
from pygeofilter import ast

from intake.errors import IntakeError
from intake.feature import parse_body
from intake.geometry import PLACE_LIMITS, fit_and_repair, read_geometry
from intake.messages import message
from participation.model import CATEGORIES, CONTRIBUTION_KINDS, TARGET_COLLECTIONS

LOGGER = logging.getLogger(__name__)

TABLE = "contributions"
PROCEDURES = "procedures"
LIKES = "contribution_likes"
SCENARIOS = "scenarios"
SCENARIO_LIKES = "scenario_likes"

KINDS = CONTRIBUTION_KINDS
KIND_ALIASES = {
    "comment": "kommentar",
    "hinweis": "kommentar",
    "proposal": "vorschlag",
    "defect": "maengelmeldung",
    "mängelmeldung": "maengelmeldung",
    "mangel": "maengelmeldung",
}
#: Categories of Mängelmeldungen = the Open311 services: code -> (German, English) service name.
DEFECT_CATEGORIES = {
    "strasse": ("Straßenschaden", "Road damage"),
    "verkehr": ("Verkehrszeichen und Ampeln", "Traffic signs and lights"),
    "beleuchtung": ("Straßenbeleuchtung", "Street lighting"),
    "gruen": ("Grünflächen und Bäume", "Green spaces and trees"),
    "muell": ("Müll und Sauberkeit", "Litter and cleanliness"),
    "sonstiges": ("Sonstiges", "Other"),
}
CATEGORY_ALIASES = {
    "general": "allgemein",
    "traffic": "verkehr",
    "green": "gruen",
    "housing": "wohnen",
    "social": "soziales",
    "cleanliness": "muell",
    "lighting": "beleuchtung",
    "street": "strasse",
    "road": "strasse",
    "other": "sonstiges",
    "grün": "gruen",
    "müll": "muell",
    "straße": "strasse",
}

SUBMITTED, APPROVED, REJECTED, IN_PROGRESS, DONE = (
    "eingereicht",
    "freigegeben",
    "abgelehnt",
    "in_bearbeitung",
    "erledigt",
)
STATUSES = {
    "kommentar": (SUBMITTED, APPROVED, REJECTED),
    "vorschlag": (SUBMITTED, APPROVED, REJECTED),
    "maengelmeldung": (SUBMITTED, APPROVED, REJECTED, IN_PROGRESS, DONE),
}

#: What a citizen may set.
CITIZEN_FIELDS = (
    "kind",
    "category",
    "text",
    "plan_id",
    "target_collection",
    "target_id",
    "scenario_id",
    "parent_id",
    "pseudonym",
)
#: Set by the server; in a request body they are ignored (status: only moderators may change it).
SERVER_FIELDS = (
    "status",
    "status_history",
    "like_count",
    "created_at",
    "updated_at",
    "status_note",
    "procedure_id",
    "reference",
    "late",
    "media_urls",
    "address_string",
)
#: A field people never see (hidden in the portal's form); a bot that fills it gets a neutral 400, nothing is stored.
HONEYPOT = "website"
HONEYPOT_MESSAGE = message("honeypot")
#: Stored, never served.
HIDDEN_FIELDS = ("author_secret_hash",)

MAX_TEXT = 2000
MAX_NOTE = 1000
MAX_PSEUDONYM = 40
MAX_REFERENCE = 256

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_REFERENCE = re.compile(r"^[^\x00-\x1f\x7f/]{1,256}$")

#: The old name of the intake's 400 (tests and ``participation`` code call it so).
InvalidContribution = IntakeError


class Viewer(Protocol):
    """Who asks (``access.rules.Viewer``): what the visibility rules need of it."""

    is_moderator: bool
    secret_hashes: tuple[str, ...]

    def owns(self, secret_hash: str | None) -> bool: ...


def not_found(identifier) -> ProviderItemNotFoundError:
    msg = message("contribution_not_found", id=identifier)
    return ProviderItemNotFoundError(msg, user_msg=msg)


def now_iso() -> str:
    """UTC now as the stores write datetimes (``2024-05-01T08:00:00.000Z``)."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso(value) -> str | None:
    """A stored datetime (a ``datetime`` from PostGIS, text from the GeoPackage) as the stores' text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


# -- who sees what ----------------------------------------------------------------------------------------------


def is_public(kind: str | None, status: str | None) -> bool:
    """Shown to everyone: approved contributions, and Mängelmeldungen being worked on or done."""
    return status == APPROVED or (kind == "maengelmeldung" and status in (IN_PROGRESS, DONE))


def visible_to(viewer: Viewer, row: dict) -> bool:
    """May ``viewer`` see the stored ``row``? Public ones, everything for moderators, an author their own."""
    return (
        viewer.is_moderator
        or is_public(row.get("kind"), row.get("status"))
        or viewer.owns(row.get("author_secret_hash"))
    )


def visibility_filter(viewer: Viewer):
    """The pygeofilter AST a viewer's queries are ANDed with (None: everything)."""
    if viewer.is_moderator:
        return None
    public = ast.Or(
        ast.Equal(ast.Attribute("status"), APPROVED),
        ast.And(
            ast.Equal(ast.Attribute("kind"), "maengelmeldung"),
            ast.In(ast.Attribute("status"), [IN_PROGRESS, DONE], False),
        ),
    )
    if viewer.secret_hashes:
        return ast.Or(public, ast.In(ast.Attribute("author_secret_hash"), list(viewer.secret_hashes), False))
    return public


# -- the properties a citizen sends -------------------------------------------------------------------------------


def text(name: str, value, limit: int, required: bool = False) -> str | None:
    """A free text field: stripped, without control characters, at most ``limit`` characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise IntakeError.of("text_required", name=name)
        return None
    if not isinstance(value, str):
        raise IntakeError.of("text_type", name=name)
    value = value.strip()
    if _CONTROL.search(value):
        raise IntakeError.of("text_control", name=name)
    if len(value) > limit:
        raise IntakeError.of("text_too_long", name=name, length=len(value), max=limit)
    return value


def reference(name: str, value) -> str | None:
    """A link to another object by id (plan, target, variant, parent)."""
    value = text(name, value, MAX_REFERENCE)
    if value is not None and not _REFERENCE.match(value):
        raise IntakeError.of("reference_invalid", name=name)
    return value


def normalise_kind(value) -> str:
    """``kind`` in its stored form (aliases such as ``comment`` accepted); ``kommentar`` when left out."""
    if value is None:
        return "kommentar"
    if not isinstance(value, str):
        raise IntakeError.of("kind_type", allowed=", ".join(KINDS))
    key = value.strip().lower()
    kind = KIND_ALIASES.get(key, key)
    if kind not in KINDS:
        raise IntakeError.of("kind_unknown", value=value, allowed=", ".join(KINDS))
    return kind


def normalise_category(kind: str, value) -> str | None:
    """``category`` in its stored form; a Mängelmeldung needs a defect category (``sonstiges`` if none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "sonstiges" if kind == "maengelmeldung" else None
    if not isinstance(value, str):
        raise IntakeError.of("category_type")
    key = value.strip().lower()
    category = CATEGORY_ALIASES.get(key, key)
    if kind == "maengelmeldung":
        if category == "allgemein":
            category = "sonstiges"
        if category not in DEFECT_CATEGORIES:
            raise IntakeError.of("category_defect_unknown", value=value, allowed=", ".join(DEFECT_CATEGORIES))
    elif category not in CATEGORIES:  # comments and proposals may take any topic, defect categories included
        raise IntakeError.of("category_unknown", value=value, allowed=", ".join(CATEGORIES))
    return category


def clean_properties(properties) -> tuple[dict, str | None]:
    """The citizen-settable fields, checked and normalised, and the status the body asks for (or None).

    Server fields (:data:`SERVER_FIELDS`) are ignored, not refused: a contribution read,
    edited and sent back carries them.
    """
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise IntakeError.of("properties_object")
    unknown = set(properties) - set(CITIZEN_FIELDS) - set(SERVER_FIELDS) - {"id", "identifier"}
    if unknown:
        raise IntakeError.of("property_unknown", names=sorted(unknown), allowed=", ".join(CITIZEN_FIELDS))
    kind = normalise_kind(properties.get("kind"))
    clean = {
        "kind": kind,
        "category": normalise_category(kind, properties.get("category")),
        "text": text("text", properties.get("text"), MAX_TEXT, required=True),
        "pseudonym": text("pseudonym", properties.get("pseudonym"), MAX_PSEUDONYM),
    }
    if clean["pseudonym"] and _EMAIL.search(clean["pseudonym"]):
        raise IntakeError.of("pseudonym_email")
    for name in ("plan_id", "target_id", "scenario_id", "parent_id"):
        clean[name] = reference(name, properties.get(name))
    target = properties.get("target_collection")
    if target is not None and target not in TARGET_COLLECTIONS:
        raise IntakeError.of("target_collection", allowed=", ".join(TARGET_COLLECTIONS))
    clean["target_collection"] = target
    if (clean["target_collection"] is None) != (clean["target_id"] is None):
        raise IntakeError.of("target_together")
    status = properties.get("status")
    if status is not None and not isinstance(status, str):
        raise IntakeError.of("status_type")
    return clean, status


def check_honeypot(feature: dict) -> None:
    """The hidden field filled: a bot. Refused (400, a neutral message) before anything is stored."""
    props = feature.get("properties")
    if isinstance(props, dict) and HONEYPOT in props:
        value = props.pop(HONEYPOT)
        if value not in (None, "", False):
            LOGGER.info("honeypot field filled; contribution refused")
            raise IntakeError.of("honeypot")


def check_status(kind: str, status: str) -> str:
    """``status`` if a contribution of ``kind`` can have it."""
    if status not in STATUSES[kind]:
        raise IntakeError.of("status_unknown", status=status, kind=kind, allowed=", ".join(STATUSES[kind]))
    return status


def parse_feature(item) -> dict:
    """The request body as a GeoJSON Feature (the intake's parser)."""
    return parse_body(item)


# -- the place -----------------------------------------------------------------------------------------------------


def checked_place(geometry, extent=None) -> dict:
    """The GeoJSON geometry to store (CRS84, 2D, valid), or a 400 saying what is wrong with it.

    The intake's checks with :data:`~intake.geometry.PLACE_LIMITS` (a place a person draws),
    then inside ``extent`` (the city, CRS84; None: no extent known yet), then repaired.
    """
    geom = read_geometry(geometry, "GEOMETRY", limits=PLACE_LIMITS)
    if extent is not None and not extent.covers(geom):
        raise IntakeError.of("geometry_beyond_city" if geom.intersects(extent) else "geometry_outside_city")
    return shapely.geometry.mapping(fit_and_repair(geom, "GEOMETRY", TABLE))
