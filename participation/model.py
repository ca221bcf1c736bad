"""Procedures, statements and Abwägung as plain data, with the rules that need no store.

Words of the Baugesetzbuch (BauGB) stay German:

* *Beteiligungsverfahren* (procedure): a time window in which the public (§3 BauGB) or
  authorities (§4 BauGB) may comment on one or more plans.
* *Stellungnahme* (statement): a contribution made in a procedure; it gets a reference
  number such as ``LA22-2026-0042``.
* *Abwägung* (§1 (7) BauGB): the planners weigh every statement (or section of one); for
  each they propose an answer (*Abwägungsvorschlag*), a result and a *Beschlussvorschlag*
  for the council.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.messages import message as intake_message
from participation.messages import message

#: Kinds of procedure: code -> (German, English) label.
PROCEDURE_KINDS: dict[str, tuple[str, str]] = {
    "fruehzeitig": (
        "Frühzeitige Öffentlichkeitsbeteiligung (§ 3 Abs. 1 BauGB)",
        "Early public participation (§ 3 (1) BauGB)",
    ),
    "veroeffentlichung": (
        "Veröffentlichung im Internet (§ 3 Abs. 2 BauGB)",
        "Publication for public comment (§ 3 (2) BauGB)",
    ),
    "behoerden": ("Beteiligung der Behörden (§ 4 BauGB)", "Participation of authorities (§ 4 BauGB)"),
    "informell": ("Informelle Beteiligung", "Informal participation"),
}
#: §3 (2) BauGB: the plan is published for at least 30 days (one month, at least 30 days).
MIN_DAYS = {"veroeffentlichung": 30}

#: Results of the Abwägung: code -> (German, English) label.
RESULTS: dict[str, tuple[str, str]] = {
    "beruecksichtigt": ("berücksichtigt", "taken into account"),
    "teilweise_beruecksichtigt": ("teilweise berücksichtigt", "partly taken into account"),
    "nicht_beruecksichtigt": ("nicht berücksichtigt", "not taken into account"),
    "zur_kenntnis": ("zur Kenntnis genommen", "noted"),
}

#: Kinds of statement: code -> (German, English) label (the portal's texts in ``ui/i18n.py`` are built from these tables).
STATEMENT_KINDS: dict[str, tuple[str, str]] = {
    "kommentar": ("Hinweis / Kommentar", "Comment"),
    "vorschlag": ("Vorschlag", "Proposal"),
    "maengelmeldung": ("Mängelmeldung", "Defect report"),
}
#: Topics of statements: code -> (German, English) label.
CATEGORIES: dict[str, tuple[str, str]] = {
    "allgemein": ("Allgemein", "General"),
    "wohnen": ("Wohnen und Bauen", "Housing and building"),
    "verkehr": ("Verkehr", "Traffic"),
    "gruen": ("Grün und Bäume", "Green spaces and trees"),
    "soziales": ("Soziales und Freizeit", "Social and leisure"),
    "strasse": ("Straßenschaden", "Road damage"),
    "beleuchtung": ("Straßenbeleuchtung", "Street lighting"),
    "muell": ("Müll und Sauberkeit", "Litter and cleanliness"),
    "sonstiges": ("Sonstiges", "Other"),
}
#: Moderation states: code -> (German, English) label.
STATUSES: dict[str, tuple[str, str]] = {
    "eingereicht": ("eingereicht", "submitted"),
    "freigegeben": ("freigegeben", "approved"),
    "abgelehnt": ("abgelehnt", "rejected"),
    "in_bearbeitung": ("in Bearbeitung", "in progress"),
    "erledigt": ("erledigt", "done"),
}

#: Reasons a moderator may pick for a rejection (shown to the author), plus free text.
REJECTION_TEMPLATES: dict[str, tuple[str, str]] = {
    "beleidigend": (
        "Der Beitrag enthält Beleidigungen oder herabwürdigende Äußerungen.",
        "The contribution contains insults or degrading statements.",
    ),
    "personenbezogen": (
        "Der Beitrag enthält personenbezogene Daten Dritter.",
        "The contribution contains personal data of other people.",
    ),
    "werbung": (
        "Der Beitrag ist Werbung oder hat keinen Bezug zur Planung.",
        "The contribution is advertising or unrelated to the planning.",
    ),
    "doppelt": (
        "Der Beitrag wiederholt einen bereits eingereichten Beitrag.",
        "The contribution repeats one already submitted.",
    ),
    "unverstaendlich": (
        "Der Beitrag ist nicht verständlich; bitte formulieren Sie ihn neu.",
        "The contribution cannot be understood; please rephrase it.",
    ),
}


#: Dates and times a person types are meant in the Kommune's time zone.
LOCAL_TZ = ZoneInfo("Europe/Berlin")
#: Kinds of contribution as stored (the keys of :data:`STATEMENT_KINDS`).
CONTRIBUTION_KINDS = tuple(STATEMENT_KINDS)
#: Topics of comments and proposals; Mängelmeldungen use the Open311 service codes (:data:`DEFECTS`).
TOPICS = ("allgemein", "wohnen", "verkehr", "gruen", "soziales")
#: Categories of Mängelmeldungen = the Open311 service codes.
DEFECTS = ("strasse", "verkehr", "beleuchtung", "gruen", "muell", "sonstiges")
#: Plan objects a contribution may be linked to (``target_collection``): the Bebauungsplan layers and every object
#: and plan of any plan type (``xplan_objekt``, ``xplan_plan``), so whatever plan content a citizen clicks can be the target.
TARGET_COLLECTIONS = (
    "bp_plan",
    "bp_bereich",
    "bp_baugebiet",
    "bp_baugrenze",
    "bp_verkehrsflaeche",
    "bp_gruenflaeche",
    "bp_textabschnitt",
    "xplan_plan",
    "xplan_objekt",
)
DEFAULT_ALLOWED_KINDS = ("kommentar", "vorschlag")
MAX_TITLE, MAX_DESCRIPTION, MAX_ANSWER = 200, 5000, 10_000
_PREFIX = re.compile(r"^[A-Za-z0-9]{1,12}$")
PROCEDURE_FIELDS = (
    "kind",
    "title_de",
    "title_en",
    "description_de",
    "description_en",
    "plan_ids",
    "scenario_id",
    "area",
    "opens_at",
    "closes_at",
    "allowed_kinds",
    "reference_prefix",
)


class ParticipationError(ValueError):
    """Bad input for a procedure or an Abwägung; the message is German / English and says what to change."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class CleanProcedure:
    """A procedure as a planner sent it, checked; ``warnings`` are shown but do not stop it."""

    values: dict
    area: dict | None = None  # a drawn GeoJSON (Multi)Polygon in lon/lat, if any
    warnings: list[str] = field(default_factory=list)


def parse_moment(name: str, value, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time as UTC; without offset it is Europe/Berlin local time.

    A bare date means the start of that day (``end_of_day``: the start of the next one), as people
    read "bis 15.01.": the whole 15th counts.

    >>> parse_moment("opens_at", "2026-07-01").isoformat()
    '2026-06-30T22:00:00+00:00'
    >>> parse_moment("closes_at", "2026-07-01", end_of_day=True).isoformat()
    '2026-07-01T22:00:00+00:00'
    >>> parse_moment("opens_at", "2026-07-01T08:00:00Z").isoformat()
    '2026-07-01T08:00:00+00:00'
    """
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
                moment = datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ParticipationError(message("not_a_date", name=name, text=text[:40])) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def _text(name: str, value, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ParticipationError(intake_message("text_required", name=name))
        return None
    if not isinstance(value, str):
        raise ParticipationError(message("field_text", name=name))
    value = value.strip()
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ParticipationError(intake_message("text_control", name=name))
    if len(value) > limit:
        raise ParticipationError(message("field_too_long", name=name, max=limit))
    return value


def _id_list(name: str, value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 256 for v in value):
        raise ParticipationError(message("field_id_list", name=name))
    return list(dict.fromkeys(v.strip() for v in value))


def clean_procedure(body, now: datetime | None = None) -> CleanProcedure:
    """Check a procedure sent by a planner (create or replace).

    >>> clean = clean_procedure({"kind": "veroeffentlichung", "title_de": "Entwurf LA22", "plan_ids": ["p1"],
    ...                          "opens_at": "2026-07-01", "closes_at": "2026-07-15"},
    ...                         now=datetime(2026, 6, 1, tzinfo=UTC))
    >>> clean.values["closes_at"].isoformat(), len(clean.warnings)
    ('2026-07-15T22:00:00+00:00', 1)
    """
    if not isinstance(body, dict):
        raise ParticipationError(message("body_object"))
    unknown = (
        set(body)
        - set(PROCEDURE_FIELDS)
        - {
            "id",
            "open_now",
            "days_left",
            "warnings",
            "kind_label_de",
            "kind_label_en",
            "closed_at",
            "created_by",
            "created_at",
            "updated_at",
            "source",
        }
    )
    if unknown:
        raise ParticipationError(message("fields_unknown", names=", ".join(sorted(unknown))))
    kind = body.get("kind") or "informell"
    if kind not in PROCEDURE_KINDS:
        raise ParticipationError(
            message("procedure_kind_unknown", kind=str(kind)[:40], kinds=", ".join(PROCEDURE_KINDS))
        )
    values = {
        "kind": kind,
        "title_de": _text("title_de", body.get("title_de"), MAX_TITLE, required=True),
        "title_en": _text("title_en", body.get("title_en"), MAX_TITLE),
        "description_de": _text("description_de", body.get("description_de"), MAX_DESCRIPTION),
        "description_en": _text("description_en", body.get("description_en"), MAX_DESCRIPTION),
        "plan_ids": _id_list("plan_ids", body.get("plan_ids")),
        "scenario_id": _text("scenario_id", body.get("scenario_id"), 256),
        "opens_at": parse_moment("opens_at", body.get("opens_at")),
        "closes_at": parse_moment("closes_at", body.get("closes_at"), end_of_day=True),
    }
    if values["opens_at"] is None or values["closes_at"] is None:
        raise ParticipationError(message("procedure_window_required"))
    if values["closes_at"] <= values["opens_at"]:
        raise ParticipationError(message("procedure_window_order"))
    allowed = body.get("allowed_kinds") or list(DEFAULT_ALLOWED_KINDS)
    if not isinstance(allowed, list) or not allowed or any(k not in CONTRIBUTION_KINDS for k in allowed):
        raise ParticipationError(message("allowed_kinds", kinds=", ".join(CONTRIBUTION_KINDS)))
    values["allowed_kinds"] = list(dict.fromkeys(allowed))
    prefix = body.get("reference_prefix")
    if prefix not in (None, "") and not (isinstance(prefix, str) and _PREFIX.match(prefix)):
        raise ParticipationError(message("reference_prefix"))
    values["reference_prefix"] = prefix or None
    area = body.get("area")
    if area is not None and not (isinstance(area, dict) and area.get("type") in ("Polygon", "MultiPolygon")):
        raise ParticipationError(message("area_polygon"))
    if values["scenario_id"] and (values["plan_ids"] or area):
        raise ParticipationError(message("plans_or_variant"))
    warnings = []
    minimum = MIN_DAYS.get(kind)
    days = (values["closes_at"] - values["opens_at"]).total_seconds() / 86400
    if minimum and days < minimum:
        warnings.append(message("publication_too_short", min=minimum, days=days))
    now = now or datetime.now(UTC)
    if values["closes_at"] <= now:
        warnings.append(message("procedure_end_past"))
    return CleanProcedure(values=values, area=area, warnings=warnings)


def is_open(procedure: dict, now: datetime | None = None) -> bool:
    """Open while ``opens_at <= now < closes_at`` and not closed early."""
    now = now or datetime.now(UTC)
    opens = parse_moment("opens_at", procedure.get("opens_at"))
    closes = parse_moment("closes_at", procedure.get("closes_at"))
    closed = parse_moment("closed_at", procedure.get("closed_at"))
    if closed is not None and (closes is None or closed < closes):
        closes = closed
    return (opens is None or opens <= now) and (closes is None or now < closes)


def days_left(procedure: dict, now: datetime | None = None) -> int | None:
    """Whole days (rounded up) until the end of an open procedure; None when it is not open.

    >>> days_left({"opens_at": "2026-01-01T00:00:00Z", "closes_at": "2026-01-11T00:00:00Z"},
    ...           now=datetime(2026, 1, 9, 12, tzinfo=UTC))
    2
    """
    now = now or datetime.now(UTC)
    if not is_open(procedure, now):
        return None
    closes = parse_moment("closes_at", procedure.get("closes_at"))
    return None if closes is None else math.ceil((closes - now).total_seconds() / 86400)


def default_prefix(plan_names: list[str]) -> str:
    """A reference prefix from the first plan's name: letters and digits before a separator.

    >>> default_prefix(["LA22 (5-2)"]), default_prefix(["Langenhorn 51"]), default_prefix([])
    ('LA22', 'Langenhorn51', 'BET')
    """
    for name in plan_names:
        head = re.split(r"[(_/]", name or "")[0]
        cleaned = re.sub(r"[^A-Za-z0-9]", "", head)[:12]
        if cleaned:
            return cleaned
    return "BET"


def reference_number(prefix: str, year: int, sequence: int) -> str:
    """``LA22-2026-0042``.

    >>> reference_number("LA22", 2026, 42)
    'LA22-2026-0042'
    """
    return f"{prefix}-{year}-{sequence:04d}"


def overlaps(a: dict, b: dict) -> bool:
    """Two procedures of the same kind share a plan (or both are general) and their periods intersect."""
    if a.get("kind") != b.get("kind") or a.get("scenario_id") != b.get("scenario_id"):
        return False
    plans_a, plans_b = set(a.get("plan_ids") or []), set(b.get("plan_ids") or [])
    if (plans_a or plans_b) and not plans_a & plans_b:
        return False
    start_a, end_a = parse_moment("a", a["opens_at"]), parse_moment("a", a["closes_at"])
    start_b, end_b = parse_moment("b", b["opens_at"]), parse_moment("b", b["closes_at"])
    return start_a < end_b and start_b < end_a


def clean_abwaegung(body) -> list[dict]:
    """The Abwägung of one statement: ``{"proposal", "result", "decision", "tags", "group"}`` for the whole
    statement, or ``{"sections": [{"text", "proposal", ...}, ...]}`` to split it."""
    if not isinstance(body, dict):
        raise ParticipationError(message("body_object"))
    sections = body.get("sections")
    entries = sections if sections is not None else [body]
    if not isinstance(entries, list) or (sections is not None and not sections) or len(entries) > 50:
        raise ParticipationError(message("sections_list"))
    cleaned = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ParticipationError(message("section_object"))
        unknown = set(entry) - {"text", "proposal", "result", "decision", "tags", "group", "sections"}
        if unknown:
            raise ParticipationError(message("fields_unknown", names=", ".join(sorted(unknown))))
        result = entry.get("result") or None
        if result is not None and result not in RESULTS:
            raise ParticipationError(message("result_unknown", result=str(result)[:40], results=", ".join(RESULTS)))
        tags = entry.get("tags") or []
        if (
            not isinstance(tags, list)
            or not all(isinstance(t, str) and 0 < len(t) <= 60 for t in tags)
            or len(tags) > 20
        ):
            raise ParticipationError(message("tags"))
        cleaned.append(
            {
                "section_no": number if sections is not None else None,
                "section_text": _text("text", entry.get("text"), 2000, required=sections is not None),
                "proposal": _text("proposal", entry.get("proposal"), MAX_ANSWER),
                "result": result,
                "decision": _text("decision", entry.get("decision"), MAX_ANSWER),
                "tags": [t.strip() for t in tags],
                "group_name": _text("group", entry.get("group"), 120),
            }
        )
    return cleaned
