"""What a citizen reads about participation procedures: which one runs on a plan, until when, how long still.

Procedures come from ``GET /api/procedures`` (as any client reads them). Dates are shown as
people in the Kommune read them: in Europe/Berlin, and an end at midnight names the last
whole day ("bis 17.01.2027" for an end at 18.01.2027 00:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dash import html

from ui.api import ApiClient, ApiError

LOCAL_TZ = ZoneInfo("Europe/Berlin")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _moment(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_day(value, lang: str = "de", last_day: bool = False) -> str:
    """``2027-01-17T23:00:00Z`` -> ``18.01.2027``; with ``last_day`` the day that ends then (``17.01.2027``).

    >>> local_day("2027-01-17T23:00:00.000Z", last_day=True), local_day("2026-12-04T23:00:00Z", "en")
    ('17.01.2027', '5 December 2026')
    """
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL_TZ)
    if last_day and (local.hour, local.minute, local.second) == (0, 0, 0):
        local -= timedelta(seconds=1)
    if lang == "en":
        return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}"
    return local.strftime("%d.%m.%Y")


def _end(proc: dict) -> datetime | None:
    ends = [m for m in (_moment(proc.get("closes_at")), _moment(proc.get("closed_at"))) if m]
    return min(ends) if ends else None


def state(proc: dict, now: datetime | None = None) -> str:
    """``open``, ``upcoming`` or ``closed``."""
    now = now or datetime.now(UTC)
    opens, end = _moment(proc.get("opens_at")), _end(proc)
    if opens and now < opens:
        return "upcoming"
    if end and now >= end:
        return "closed"
    return "open"


def current(procedures: list[dict], now: datetime | None = None) -> dict | None:
    """The procedure that matters now: an open one, else the next to open, else the last that ended."""
    now = now or datetime.now(UTC)
    by_state = {s: [p for p in procedures if state(p, now) == s] for s in ("open", "upcoming", "closed")}
    if by_state["open"]:
        return min(by_state["open"], key=lambda p: _end(p) or datetime.max.replace(tzinfo=UTC))
    if by_state["upcoming"]:
        return min(by_state["upcoming"], key=lambda p: _moment(p.get("opens_at")))
    if by_state["closed"]:
        return max(by_state["closed"], key=lambda p: _end(p))
    return None


def fetch(client: ApiClient, plan_id: str | None = None) -> list[dict]:
    """The procedures (of one plan), [] when the API cannot say."""
    try:
        body = client.get_site_json("api/procedures", {"plan_id": plan_id} if plan_id else None)
    except ApiError:
        return []
    found = body.get("procedures") if isinstance(body, dict) else None
    return [p for p in found or [] if isinstance(p, dict)]


def title(proc: dict, lang: str) -> str:
    return str((proc.get("title_en") if lang == "en" else None) or proc.get("title_de") or "")


def kind_label(proc: dict, lang: str) -> str:
    return str(
        (proc.get("kind_label_en") if lang == "en" else None) or proc.get("kind_label_de") or proc.get("kind") or ""
    )


def sentence(proc: dict | None, lang: str = "de", kind: str | None = None, now: datetime | None = None) -> str:
    """One sentence on whether a plan takes comments now, naming the procedure and its dates.

    >>> proc = {"kind_label_de": "Veröffentlichung (§ 3 Abs. 2 BauGB)", "opens_at": "2026-12-04T23:00:00Z",
    ...         "closes_at": "2027-01-17T23:00:00Z", "allowed_kinds": ["kommentar", "vorschlag"]}
    >>> sentence(proc, now=datetime(2027, 1, 10, 12, tzinfo=UTC))
    'Veröffentlichung (§ 3 Abs. 2 BauGB): Stellungnahmen bis 17.01.2027 möglich (noch 8 Tage).'
    """
    de = lang != "en"
    if proc is None:
        return (
            "Zu diesem Plan läuft zurzeit kein Beteiligungsverfahren; Hinweise und Vorschläge werden nicht "
            "angenommen. Mängelmeldungen sind jederzeit möglich."
            if de
            else "No participation procedure runs on this plan at the moment; comments and proposals are not "
            "accepted. Defect reports are possible at any time."
        )
    now = now or datetime.now(UTC)
    label = kind_label(proc, lang)
    phase = state(proc, now)
    if phase == "upcoming":
        start = local_day(proc.get("opens_at"), lang)
        return f"{label}: beginnt am {start}." if de else f"{label}: opens on {start}."
    end_moment = _end(proc)
    end = local_day(end_moment.isoformat() if end_moment else None, lang, last_day=True)
    if phase == "closed":
        return (
            f"{label}: endete am {end}; Stellungnahmen werden nicht mehr angenommen."
            if de
            else f"{label}: ended on {end}; statements are no longer accepted."
        )
    left = max(1, -(-int((end_moment - now).total_seconds()) // 86400)) if end_moment else None
    still = (
        ""
        if left is None
        else (
            f" (noch {left} {'Tag' if left == 1 else 'Tage'})"
            if de
            else f" ({left} {'day' if left == 1 else 'days'} left)"
        )
    )
    allowed = proc.get("allowed_kinds") or []
    if kind and kind != "maengelmeldung" and allowed and kind not in allowed:
        names = {"kommentar": ("Hinweise", "comments"), "vorschlag": ("Vorschläge", "proposals")}
        which = (
            " und ".join(names[k][0] for k in allowed if k in names)
            if de
            else " and ".join(names[k][1] for k in allowed if k in names)
        )
        return (
            f"{label}: bis {end} sind nur {which} möglich{still}."
            if de
            else f"{label}: until {end} only {which} are possible{still}."
        )
    return (
        f"{label}: Stellungnahmen bis {end} möglich{still}."
        if de
        else f"{label}: statements possible until {end}{still}."
    )


def accepts(proc: dict | None, kind: str | None, now: datetime | None = None) -> bool:
    """Whether a citizen's contribution of ``kind`` would be taken now (the API decides in the end)."""
    if kind == "maengelmeldung":
        return True
    return proc is not None and state(proc, now) == "open" and kind in (proc.get("allowed_kinds") or [kind])


def block(proc: dict | None, lang: str = "de") -> html.Div:
    """The plan panel's participation section: procedure, dates, time left, what it is about."""
    phase = state(proc) if proc else "none"
    badge = {"open": "badge open", "closed": "badge closed"}.get(phase, "badge")
    children = [html.P([html.Span(sentence(proc, lang), className=badge)], className="participation")]
    if proc:
        children.insert(0, html.P(html.Strong(title(proc, lang)), className="procedure-title"))
        description = (proc.get("description_en") if lang == "en" else None) or proc.get("description_de")
        if description:
            children.append(html.P(description, className="hint"))
    return html.Div(children, className="procedure")
