"""Accessible choice controls: groups of toggle buttons (``aria-pressed``) backed by a ``dcc.Store``.

Why not ``dcc.Checklist``/``RadioItems``/``Dropdown``: in Dash 4 they render
``role="option"`` items that contain focusable inputs and listboxes without
an accessible name, which axe-core reports as serious violations. Native
buttons are keyboard reachable, announce their state, and Dash sees their
clicks. The chosen value(s) live in ``dcc.Store(id=group_id)``.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback_context, dcc, html
from dash.exceptions import PreventUpdate

from ui.i18n import T


def option_id(group_id: str, value: str) -> dict:
    return {"type": f"choice-{group_id}", "value": value}


def choice_buttons(group_id: str, options: list[tuple[str, object]], selected, *, multi: bool = False) -> list:
    """The toggle buttons of a group; ``options`` are (value, label) with label a string or component."""
    chosen = set(selected if multi else [selected])
    return [
        html.Button(
            label,
            id=option_id(group_id, value),
            type="button",
            n_clicks=0,
            className="choice",
            **{"aria-pressed": "true" if value in chosen else "false"},
        )
        for value, label in options
    ]


def choice_group(
    group_id: str,
    options: list[tuple[str, object]],
    selected,
    *,
    multi: bool = False,
    label_key: str | None = None,
    className: str = "choice-group",
    label_tag=html.Span,
):
    """A labelled group of toggle buttons with its store.

    ``options``: (value, label) pairs, label usually a translated span (``T(key)``). ``selected``: a value
    (single choice) or a list (``multi``).
    """
    label_id = f"{group_id}-label"
    children = []
    if label_key:
        children.append(T(label_key, label_tag, id=label_id, className="label"))
    children.append(
        html.Div(
            choice_buttons(group_id, options, selected, multi=multi),
            role="group",
            className=className,
            id=f"{group_id}-buttons",
            **({"aria-labelledby": label_id} if label_key else {}),
        )
    )
    children.append(dcc.Store(id=group_id, data=list(selected) if multi else selected))
    return html.Div(children, className="field")


def register_choice_group(app, group_id: str, *, multi: bool = False, allow_none: bool = False) -> None:
    """One callback: a click toggles (multi) or selects (single) and updates ``aria-pressed``."""
    pattern = {"type": f"choice-{group_id}", "value": ALL}

    @app.callback(
        Output(group_id, "data"),
        Output(pattern, "aria-pressed"),
        Input(pattern, "n_clicks"),
        State(group_id, "data"),
        prevent_initial_call=True,
    )
    def choose(_clicks, current):
        trigger = callback_context.triggered_id
        if not isinstance(trigger, dict) or not any(item.get("value") for item in callback_context.triggered):
            raise PreventUpdate  # buttons re-rendered with n_clicks 0, not a click
        value = trigger["value"]
        if multi:
            chosen = list(current or [])
            chosen = [v for v in chosen if v != value] if value in chosen else chosen + [value]
        else:
            chosen = None if (allow_none and current == value) else value
        values = [item["id"]["value"] for item in callback_context.outputs_list[1]]
        active = set(chosen if multi else [chosen])
        return chosen, ["true" if v in active else "false" for v in values]
