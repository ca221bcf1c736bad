"""The Mängelmelder's parts of the portal: photos with a report, the hint "reported already?" before one is
sent (with "Diese Meldung unterstützen" instead), the form's honeypot, photos in the moderation and the line
on suspicious bursts.

Everything goes through the API as the visitor (``ui.api.ApiClient``): photos to
``POST /api/contributions/<id>/photos`` with the browser's author secret, the hint from
``GET /api/contributions/nearby``, support as a like, bursts from ``GET /api/moderation/bursts``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from participation.photos import PhotoSettings
from ui.api import ApiClient, ApiError, portal_path
from ui.i18n import DEFAULT_LANG, T, t, value_label

SECRET_HEADER = "X-Contribution-Secret"
MAX_PHOTOS = 3
#: How long after its submission a report still takes the photos chosen with it.
PHOTO_WINDOW = timedelta(minutes=5)
ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


# -- form parts ------------------------------------------------------------------------------------------------------


def photo_field() -> html.Div:
    """The upload control, shown only while the form is a Mängelmeldung."""
    return html.Div(
        className="field",
        id="form-photos-field",
        hidden=True,
        children=[
            html.Span(T("photos.label"), className="label", id="form-photos-label"),
            dcc.Upload(
                id="form-photos",
                multiple=True,
                accept=ACCEPT,
                className="upload-box",
                children=html.Button(
                    T("photos.choose"),
                    type="button",
                    className="btn secondary small",
                    **{"aria-describedby": "form-photos-hint"},
                ),
            ),
            # with the configured size, in German first; the language switch fills it anew (photo_hint)
            html.Span(_photo_hint(DEFAULT_LANG), id="form-photos-hint", className="hint"),
            html.P(id="form-photos-list", className="hint", **{"aria-live": "polite"}),
            html.P(id="form-photos-feedback", role="status", className="msg"),
        ],
    )


def _photo_hint(lang: str) -> str:
    return t("photos.hint", lang, mb=PhotoSettings().max_file_bytes // 1_000_000)


def duplicate_hint() -> html.Div:
    return html.Div(id="form-duplicates", className="dup-hint", **{"aria-live": "polite"})


def honeypot_field() -> html.Div:
    """A field people never see (not displayed, so not focusable and not read out); form-filling bots fill it."""
    return html.Div(
        className="hp-field",
        hidden=True,
        children=[
            html.Label(T("honeypot.label"), htmlFor="form-website"),
            dcc.Input(id="form-website", type="text", value="", autoComplete="off"),
        ],
    )


# -- pure parts ------------------------------------------------------------------------------------------------------


def decode_uploads(contents: list[str] | str | None, names: list[str] | str | None) -> list[tuple[str, bytes, str]]:
    """dcc.Upload's data URLs as (file name, bytes, media type); unreadable entries are left out."""
    if not contents:
        return []
    contents = contents if isinstance(contents, list) else [contents]
    names = names if isinstance(names, list) else [names] * len(contents)
    files = []
    for content, name in zip(contents, names, strict=False):
        head, _, data = str(content).partition(",")
        media_type = head.removeprefix("data:").split(";")[0] or "application/octet-stream"
        try:
            files.append((str(name or "foto")[:120], base64.b64decode(data, validate=False), media_type))
        except (binascii.Error, ValueError):
            continue
    return files


def latest_report_without_photos(found: list[dict], now: datetime | None = None) -> dict | None:
    """The browser's newest Mängelmeldung, if it was made within :data:`PHOTO_WINDOW` and has no photos yet."""
    now = now or datetime.now(UTC)
    for row in found:  # newest first (GET /api/contributions/mine)
        if row.get("kind") != "maengelmeldung":
            continue
        try:
            made = datetime.fromisoformat(str(row.get("created_at")).replace("Z", "+00:00"))
        except ValueError:
            return None
        return row if now - made <= PHOTO_WINDOW and not row.get("media_urls") else None
    return None


def duplicates_view(found: dict, lang: str) -> list:
    reports, pending = found.get("reports") or [], int(found.get("pending_count") or 0)
    if not reports and not pending:
        return []
    children: list = [html.H3(t("dup.heading", lang))]
    if reports:
        children.append(html.P(t("dup.found", lang, n=len(reports))))
        items = []
        for report in reports[:5]:
            reference = report.get("reference") or str(report.get("id", ""))[:8]
            text = str(report.get("text") or "")
            items.append(
                html.Li(
                    [
                        html.Span(
                            t(
                                "dup.item",
                                lang,
                                reference=reference,
                                distance=round(report.get("distance_m") or 0),
                                status=value_label("status", report.get("status"), lang),
                                text=text[:120] + ("…" if len(text) > 120 else ""),
                            )
                        ),
                        " ",
                        html.Button(
                            t("dup.support", lang),
                            type="button",
                            n_clicks=0,
                            className="btn secondary small",
                            id={"type": "support-report", "id": report["id"]},
                            **{"aria-label": t("dup.support_of", lang, reference=reference)},
                        ),
                    ]
                )
            )
        children.append(html.Ul(items, className="plain-list"))
    if pending:
        children.append(html.P(t("dup.pending", lang, n=pending), className="hint"))
    children.append(html.P(id="form-support-feedback", role="status", className="msg"))
    return children


def photos_block(props: dict, api_url: str, lang: str) -> html.Div | None:
    """The moderation's view of a report's photos (own ones as images, an Open311 client's link as a link)."""
    urls = props.get("media_urls") or []
    if not urls:
        return None
    prefix = portal_path(api_url)
    figures = []
    for n, url in enumerate(urls, start=1):
        if "/api/media/" in url:
            name = url.rsplit("/", 1)[-1]
            figures.append(
                html.A(
                    html.Img(
                        src=f"{prefix}/api/media/{quote(name)}",
                        alt=t("photos.alt", lang, n=n),
                        className="report-photo",
                        loading="lazy",
                    ),
                    href=f"{prefix}/api/media/{quote(name)}",
                    target="_blank",
                    rel="noopener",
                )
            )
        else:  # never loaded by the page: a link the moderator may follow
            figures.append(html.P(t("photos.link", lang, url=url), className="hint"))
    return html.Div(
        [html.H5(t("photos.heading", lang)), html.Div(figures, className="photo-row")],
        className="photos-block",
        id="modq-photos",
    )


def bursts_line(found: dict | None, lang: str) -> list:
    if not found:
        return []
    minutes = int(found.get("window_s", 600)) // 60
    items, authors, clients = found.get("items") or [], found.get("authors") or [], found.get("clients") or []
    if not (items or authors or clients):
        return [html.P(t("bursts.none", lang, minutes=minutes), className="hint")]
    lines = [
        html.P(
            t("bursts.found", lang, minutes=minutes, items=len(items), authors=len(authors), clients=len(clients)),
            className="msg warn",
        )
    ]
    if items:
        lines.append(
            html.Ul(
                [
                    html.Li(t("bursts.item", lang, kind=i["kind"], id=str(i["id"])[:12], likes=i["likes"]))
                    for i in items[:10]
                ],
                className="plain-list tight",
            )
        )
    return lines


# -- callbacks -------------------------------------------------------------------------------------------------------


def register(app, client: ApiClient) -> None:
    # None of these runs when the page loads: the layout holds their first state (German, a comment, nothing
    # chosen or drawn yet), and every callback at start is a request plus a render before the page settles.
    @app.callback(Output("form-photos-field", "hidden"), Input("form-kind", "data"), prevent_initial_call=True)
    def photos_only_for_reports(kind):
        return kind != "maengelmeldung"

    @app.callback(Output("form-photos-hint", "children"), Input("lang", "data"), prevent_initial_call=True)
    def photo_hint(lang):
        return _photo_hint(lang)

    @app.callback(
        Output("form-photos-list", "children"),
        Input("form-photos", "filename"),
        Input("lang", "data"),
        prevent_initial_call=True,
    )
    def chosen(names, lang):
        names = names if isinstance(names, list) else [names] if names else []
        if not names:
            return ""
        if len(names) > MAX_PHOTOS:
            return t("photos.too_many", lang)
        return t("photos.chosen", lang, names=", ".join(str(n) for n in names))

    @app.callback(
        Output("form-duplicates", "children"),
        Input("form-kind", "data"),
        Input("form-category", "data"),
        Input("edit", "geojson"),
        Input("form-centre", "data"),
        Input("lang", "data"),
        prevent_initial_call=True,
    )
    def reported_already(kind, category, geojson, centre, lang):
        from ui.contribute import drawn_geometry

        if kind != "maengelmeldung":
            return []
        geometry = drawn_geometry(geojson) or centre
        if not geometry or geometry.get("type") != "Point":
            return []
        lon, lat = geometry["coordinates"][:2]
        try:
            found = client.get_site_json(
                "api/contributions/nearby", {"category": category or "sonstiges", "lon": lon, "lat": lat}
            )
        except ApiError:
            return []
        return duplicates_view(found if isinstance(found, dict) else {}, lang)

    @app.callback(
        Output("form-support-feedback", "children"),
        Input({"type": "support-report", "id": ALL}, "n_clicks"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def support(clicks, lang):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update
        try:  # a like, counted once per browser (api/voters.py)
            reply = client.post_site_json(f"api/contributions/{quote(str(trigger['id']), safe='')}/like", {})
        except ApiError:
            return t("form.err.network", lang)
        if reply.status != 200:
            detail = str((reply.body or {}).get("description") or reply.status)
            return t("dup.support_failed", lang, detail=detail.split(" / ")[1 if lang == "en" else 0][:300])
        return t("dup.supported", lang, n=(reply.body or {}).get("like_count", 1))

    @app.callback(
        Output("form-photos-feedback", "children"),
        Output("form-photos", "contents"),
        Input("contributions-version", "data"),
        State("form-photos", "contents"),
        State("form-photos", "filename"),
        State("author-secret", "data"),
        State("form-kind", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def send_photos(_version, contents, names, secret, kind, lang):
        """After a report was sent (the version counter moved), its chosen photos follow it, with its secret."""
        files = decode_uploads(contents, names)
        if not files or not secret or kind != "maengelmeldung":
            return no_update, no_update
        try:
            mine = client.get_site_json("api/contributions/mine", headers={SECRET_HEADER: secret})
        except ApiError:
            return t("form.err.network", lang), no_update
        report = latest_report_without_photos((mine or {}).get("contributions") or [])
        if report is None:
            return no_update, no_update
        reply = client.post_site_files(
            f"api/contributions/{quote(report['id'], safe='')}/photos",
            [("photo", f) for f in files[:MAX_PHOTOS]],
            {SECRET_HEADER: secret},
        )
        if reply.status != 201:
            detail = str((reply.body or {}).get("description") or reply.status)
            return t(
                "photos.failed", lang, detail=detail.split(" / ")[1 if lang == "en" and " / " in detail else 0]
            ), None
        return t("photos.sent", lang, n=len((reply.body or {}).get("photos") or [])), None

    @app.callback(
        Output("modq-bursts", "children"),
        Input("modq-queue", "children"),
        State("admin-me", "data"),
        State("lang", "data"),
    )
    def bursts(_queue, me, lang):
        if (me or {}).get("role") not in ("moderator", "planner", "admin"):
            return []
        try:
            found = client.get_site_json("api/moderation/bursts")
        except ApiError:
            return []
        return bursts_line(found if isinstance(found, dict) else None, lang)
