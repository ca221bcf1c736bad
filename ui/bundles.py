"""Which component bundles the portal's first page loads.

deck.gl (deckgl-dash, 3.2 MB, 0.84 MB compressed) is only needed by the 3D views; the 2D start page
of a citizen on a phone should not carry it. :func:`defer_3d_bundle` keeps the bundle registered
(Dash still serves it under ``/_dash-component-suites/deckgl_dash/``) but out of the page's script
tags; ``assets/deck_lazy.js`` stands in for the component and loads the bundle the first time a 3D
view is shown. ``benchmarks/page_weight.py`` measures the effect.

Dash's DataTable (``dash_table``) comes with every Dash app, but no view of the portal uses it:
:func:`leave_out_unused_bundles` keeps its loader (34 kB, parsed and run on every page) out of the
page too. A view that starts using ``dash_table`` must take it out of :data:`UNUSED_BUNDLES`
(``tests/ui/test_ui_units.py`` says so when one does). So goes Babel's polyfill (core-js 2 and
regenerator, 99 kB, a long task on a phone): every browser since 2017 has what core-js 2 adds, and
the one thing Dash's bundles take from it, ``regeneratorRuntime``, comes with ``assets/dash_runtime.js``.
"""

from __future__ import annotations

#: (module, bundle) pairs that no page of the portal uses: served on request, never a script tag.
UNUSED_BUNDLES = (("dash.dash_table", "dash_table/bundle.js"),)


def _serve_on_request(module: str, bundle: str) -> None:
    """Mark ``module``'s script ``bundle`` as a dynamic resource: served on request, no script tag in the page."""
    import importlib

    for resource in importlib.import_module(module)._js_dist:
        if resource.get("relative_package_path") == bundle and "async" not in resource:
            resource["dynamic"] = True


def defer_3d_bundle() -> None:
    """deckgl-dash's main bundle is served on request (assets/deck_lazy.js asks for it), not in the page."""
    _serve_on_request("deckgl_dash", "deckgl_dash.min.js")


#: Dash's own dependencies (React and friends) that the page goes without.
UNUSED_DEPENDENCIES = ("polyfill@",)


def leave_out_unused_bundles() -> None:
    """Mark the bundles of :data:`UNUSED_BUNDLES` as dynamic resources (served on request, not in the page),
    and take :data:`UNUSED_DEPENDENCIES` out of the renderer's dependencies."""
    from dash import _dash_renderer

    for module, bundle in UNUSED_BUNDLES:
        _serve_on_request(module, bundle)
    for dependency in _dash_renderer._js_dist_dependencies:
        for key in ("relative_package_path", "external_url"):
            for mode, paths in (dependency.get(key) or {}).items():
                dependency[key][mode] = [p for p in paths if not any(name in p for name in UNUSED_DEPENDENCIES)]
