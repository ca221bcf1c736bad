"""The German/English messages of the importers and exporters (``layers/``) a person reads when one fails.

A catalogue of the form :mod:`schema.bilingual` describes: ``key -> (Deutsch, English)`` with the same fields.
The importers' command-line errors name file and reason in English (``file: reason``) and are not here.
"""

from __future__ import annotations

from schema.bilingual import Catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    # -- XPlanGML import (layers/importing.py) ----------------------------------------------------------------------
    "import_strict_invalid": (
        "nichts importiert (--strict), ungültige Pläne",
        "nothing imported (--strict), invalid plans",
    ),
    # -- XPlanGML 6.0 export (layers/xplanung/export.py) ---------------------------------------------------------
    "export_no_plan": ("kein Plan übergeben", "no plan row given"),
    "export_version_unknown": ("Plan {plan}: XPlanung-Version unbekannt", "plan {plan}: XPlanung version unknown"),
    "export_version_unsupported": (
        "XPlanung {version} wird nicht unterstützt",
        "XPlanung {version} is not supported",
    ),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
