"""Which component bundles the portal's first page loads.

deck.gl (deckgl-dash, 3.2 MB, 0.84 MB compressed) is only needed by the 3D views; the 2D start page
of a citizen on a phone should not carry it. :func:`defer_3d_bundle` keeps the bundle registered
(Dash still serves it under ``/_dash-component-suites/deckgl_dash/``) but out of the page's script
tags; ``assets/deck_lazy.js`` stands in for the component and loads the bundle the first time a 3D
view is shown. ``benchmarks/page_weight.py`` measures the effect.
"""

from __future__ import annotations


def defer_3d_bundle() -> None:
    """Mark deckgl-dash's main bundle as a dynamic resource (served on request, not in the page)."""
    import deckgl_dash

    for resource in deckgl_dash._js_dist:
        if resource.get("relative_package_path") == "deckgl_dash.min.js" and "async" not in resource:
            resource["dynamic"] = True
