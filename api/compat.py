"""Small, documented fixes to third-party behaviour, applied once at start-up.

Each is a few lines with the reason beside it; remove one when upstream fixes it.

pygeofilter 0.4's CQL2-text grammar accepts property names of two or more
characters only, so ``z <= 3`` (XPlanung's Z, the number of full storeys) is a
syntax error. :func:`allow_one_letter_properties` rebuilds its parser with the
one-character case allowed; everything else in the grammar is unchanged.

pygeoapi 0.24's item page (``collections/items/item.html``) shows any property
value ending in ``.png``/``.jpg``/... as ``<a href=VALUE><img src=VALUE>``: a
contribution whose text is ``javascript:…//.png`` became a script link on
``/items/<id>?f=html``. :func:`item_page_links_only_for_web_urls` serves that
template with the image branch limited to http(s) URLs; other values stay text.
"""

from __future__ import annotations

import os
from pathlib import Path

_ORIGINAL = "attribute: /[a-zA-Z][a-zA-Z_:0-9.]+/"
_FIXED = "attribute: /[a-zA-Z][a-zA-Z_:0-9.]*/"


def allow_one_letter_properties() -> None:
    from lark import Lark
    from pygeofilter.parsers.cql2_text import parser as cql2_text

    grammar = Path(cql2_text.__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    if _ORIGINAL not in grammar:  # a newer pygeofilter changed the rule: nothing to fix, or check by hand
        return
    cql2_text.parser = Lark(
        grammar.replace(_ORIGINAL, _FIXED),
        parser="lalr",
        maybe_placeholders=False,
        transformer=cql2_text.CQLTransformer(),
        import_paths=[os.path.dirname(os.path.dirname(cql2_text.__file__))],
    )


#: What our providers implement beyond pygeoapi 0.24's default list (tests/api/test_cql2.py shows each).
EXTRA_FEATURES_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
]


def declare_filter_conformance() -> None:
    """pygeoapi builds /conformance from this list at request time; add the filter classes once."""
    from pygeoapi.api import itemtypes

    for uri in EXTRA_FEATURES_CONFORMANCE:
        if uri not in itemtypes.CONFORMANCE_CLASSES_FEATURES:
            itemtypes.CONFORMANCE_CLASSES_FEATURES.append(uri)


def invalid_data_is_a_client_error() -> None:
    """pygeoapi 0.24 answers ProviderInvalidDataError (a bad feature in a POST/PUT) with 500; it is a 400."""
    from http import HTTPStatus

    from pygeoapi.provider.base import ProviderInvalidDataError

    ProviderInvalidDataError.http_status_code = HTTPStatus.BAD_REQUEST
    ProviderInvalidDataError.ogc_exception_code = "InvalidParameterValue"


def install_request_checks(server) -> None:
    """pygeoapi 0.24's coverage route answers an invalid ``bbox`` (e.g. miny > maxy) with 500; check it first.

    The message is pygeoapi's own; only the status becomes the 400 a client error deserves.
    """
    from flask import jsonify, request
    from pygeoapi.api import validate_bbox

    @server.before_request
    def coverage_bbox_is_a_client_error():
        if not (request.path.startswith("/oapi/collections/") and request.path.endswith("/coverage")):
            return None
        bbox = request.args.get("bbox")
        if bbox is None:
            return None
        try:
            validate_bbox(bbox)
        except ValueError as err:
            return jsonify({"code": "InvalidParameterValue", "type": "InvalidParameterValue",
                            "description": str(err)}), 400
        return None


_IMAGE_TEST = "{% if val|length and val.lower().endswith(('.jpg', '.jpeg', '.png', '.gif', '.bmp')) %}"
_WEB_IMAGE_TEST = ("{% if val|length and val.lower().startswith(('http://', 'https://')) "
                   "and val.lower().endswith(('.jpg', '.jpeg', '.png', '.gif', '.bmp')) %}")


def item_page_links_only_for_web_urls(directory: Path) -> None:
    """Serve pygeoapi's item page with links and images for http(s) values only (``javascript:…//.png`` is text).

    The fixed copy of ``collections/items/item.html`` is written to ``directory``, which is put in front of
    pygeoapi's own templates for collection pages (every other template is still pygeoapi's).
    """
    from pygeoapi.api import API
    from pygeoapi.util import TEMPLATESDIR

    source = (Path(TEMPLATESDIR) / "collections" / "items" / "item.html").read_text(encoding="utf-8")
    if _IMAGE_TEST not in source:  # a newer pygeoapi changed the template: check it by hand
        return
    target = Path(directory) / "collections" / "items" / "item.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace(_IMAGE_TEST, _WEB_IMAGE_TEST), encoding="utf-8")
    original = getattr(API.get_dataset_templates, "_bgis_original", API.get_dataset_templates)

    def get_dataset_templates(self, dataset: str) -> dict:
        templates = original(self, dataset)
        if templates.get("path") not in (None, TEMPLATESDIR):  # a collection with its own templates
            return templates
        return {**templates, "path": str(directory)}

    get_dataset_templates._bgis_original = original
    API.get_dataset_templates = get_dataset_templates


def apply() -> None:
    allow_one_letter_properties()
    declare_filter_conformance()
    invalid_data_is_a_client_error()
    data_dir = Path(os.environ.get("BUERGERGIS_DATA_DIR") or Path(__file__).resolve().parents[1] / "var")
    item_page_links_only_for_web_urls(data_dir / "pygeoapi-templates")
