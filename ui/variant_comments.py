"""Citizens comment on a planning variant from the 3D view's A/B choice (a contribution with ``scenario_id``).

The comment goes to the OGC API like every other contribution (``POST /collections/contributions/items``
through :func:`ui.contribute.submit`), so the same rules hold: a comment is taken while a participation
procedure for that variant is open (issue 10), the author keeps one secret for their contributions, and the
moderators see it in their queue. Its position is a point inside the variant's area (the ``scenarios``
collection's row), so it also shows on the map. Texts come back escaped by Dash.
"""

from __future__ import annotations

import logging

import shapely.geometry
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ui import variants
from ui.api import ApiError
from ui.i18n import T, t

LOG = logging.getLogger(__name__)

#: As the contribution form's limits (providers/contributions.py caps them again).
MAX_TEXT, MAX_PSEUDONYM = 5000, 80


def layout() -> html.Div:
    return html.Div(
        id="variant-comment",
        className="variant-comment",
        children=[
            html.H3(id="variant-comment-heading"),
            html.P(T("variants.comment.hint"), className="hint"),
            html.Div(
                className="field",
                children=[
                    html.Label(T("variants.comment.text"), htmlFor="variant-comment-text"),
                    dcc.Textarea(id="variant-comment-text", maxLength=MAX_TEXT, value="", rows=4),
                ],
            ),
            html.Div(
                className="field",
                children=[
                    html.Label(T("variants.comment.pseudonym"), htmlFor="variant-comment-pseudonym"),
                    dcc.Input(
                        id="variant-comment-pseudonym",
                        type="text",
                        maxLength=MAX_PSEUDONYM,
                        value="",
                        autoComplete="nickname",
                    ),
                ],
            ),
            html.Button(
                T("variants.comment.submit"), id="variant-comment-submit", className="btn", type="button", n_clicks=0
            ),
            html.P(id="variant-comment-reply", role="status", **{"aria-live": "polite"}),
        ],
    )


def variant_point(client, variant_id: str) -> dict | None:
    """A point inside the variant's area (its row in ``scenarios``) as GeoJSON, or None when it has none."""
    try:
        item = client.get_json(f"collections/scenarios/items/{variant_id}", cache=False)
    except ApiError:
        return None
    geometry = (item or {}).get("geometry")
    if not geometry:
        return None
    point = shapely.geometry.shape(geometry).representative_point()
    return {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]}


def register(app, client, settings) -> None:
    @app.callback(Output("variant-comment-heading", "children"), Input("variant-b", "data"), Input("lang", "data"))
    def heading(b, lang):
        return t("variants.comment.heading", lang, name=variants.variant_title(b, lang))

    @app.callback(
        Output("variant-comment-reply", "children"),
        Output("variant-comment-text", "value"),
        Output("author-secret", "data", allow_duplicate=True),
        Output("contributions-version", "data", allow_duplicate=True),  # "Meine Beiträge" reads anew
        Input("variant-comment-submit", "n_clicks"),
        State("variant-b", "data"),
        State("variant-comment-text", "value"),
        State("variant-comment-pseudonym", "value"),
        State("author-secret", "data"),
        State("contributions-version", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def send(clicks, b, text, pseudonym, secret, version, lang):
        from ui.contribute import submit

        if not clicks:
            raise PreventUpdate
        if not (text or "").strip():
            return (
                html.Span(t("variants.comment.empty", lang), className="msg error", role="alert"),
                no_update,
                no_update,
                no_update,
            )
        point = variant_point(client, b) if b else None
        if point is None:
            return (
                html.Span(t("variants.comment.not_published", lang), className="msg error", role="alert"),
                no_update,
                no_update,
                no_update,
            )
        feature = {
            "type": "Feature",
            "geometry": point,
            "properties": {
                "kind": "kommentar",
                "category": "allgemein",
                "text": text.strip(),
                "pseudonym": (pseudonym or "").strip(),
                "scenario_id": b,
            },
        }
        kind, message, accepted, secret = submit(client, feature, lang, secret)
        return (
            html.Span(message, className=f"msg {kind}", role="status" if accepted else "alert"),
            "" if accepted else no_update,
            secret,
            (version or 0) + 1 if accepted else no_update,
        )
