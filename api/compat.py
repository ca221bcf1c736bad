"""Small, documented fixes to third-party behaviour, applied once at start-up.

Each is a few lines with the reason beside it; remove one when upstream fixes it.

pygeofilter 0.4's CQL2-text grammar accepts property names of two or more
characters only, so ``z <= 3`` (XPlanung's Z, the number of full storeys) is a
syntax error, and it ignores spaces and tabs but not line breaks, so a filter
written over several lines (as the CQL2 standard's examples are) is one too.
:func:`allow_one_letter_properties` rebuilds its parser with the one-character
case allowed and line breaks read as spaces (at the first filter parsed); everything else is unchanged.

pygeoapi 0.24 reads ``?filter=`` as CQL2 text only (``filter-lang=cql2-json`` on a
GET is "Bad CQL text"), its CQL2-JSON reader is pygeofilter's draft form (the 1.0
``between``, functions as ``{"op": name}`` and ``{"bbox": …}`` fail or mean
something else), and every filter that does not parse is "Bad CQL text" without
saying why. :func:`cql2_filters_as_standard` puts ``providers/cql.py``'s parsers in
its place; :func:`install_request_checks` answers a filter that does not parse with
400 and the parser's reason.

pygeoapi 0.24's item page (``collections/items/item.html``) shows any property
value ending in ``.png``/``.jpg``/... as ``<a href=VALUE><img src=VALUE>``: a
contribution whose text is ``javascript:…//.png`` became a script link on
``/items/<id>?f=html``. :func:`item_page_links_only_for_web_urls` serves that
template with the image branch limited to http(s) URLs; other values stay text.

pygeoapi 0.24 answers some request bodies with 500 (found by schemathesis, see
``tests/hard/test_fuzz.py``): a CQL2-JSON query body (``POST …/items``) or an execute
request that is not UTF-8, an execute request that is JSON but no object, and a
``subscriber`` whose callback URL it cannot reach. :func:`install_request_checks`
answers those with 400 before pygeoapi sees them. Callbacks are not offered at all
(:func:`no_process_callbacks`): the server would POST to any address a client names.

pygeoapi 0.24 logs every 4xx at ERROR with a traceback; :func:`client_errors_logged_briefly` makes it one INFO
line (5xx unchanged).

pygeoapi 0.24 reads its config and its OpenAPI document (400 kB) with PyYAML's pure-Python
``SafeLoader`` (``pygeoapi.util.yaml_load``): 0.7 s of every start. :func:`yaml_with_libyaml`
lets that same function use libyaml's ``CSafeLoader``; its ``${VAR:-default}`` resolver and
constructor are unchanged (they are Python either way), so it reads the same values 8× faster.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path

from api.messages import message

_ORIGINAL = "attribute: /[a-zA-Z][a-zA-Z_:0-9.]+/"
_FIXED = "attribute: /[a-zA-Z][a-zA-Z_:0-9.]*/"
_INLINE_SPACE = "%import common.WS_INLINE\n%ignore WS_INLINE"
_ANY_SPACE = "%import common.WS\n%ignore WS"


class _BuiltOnFirstUse:
    """A Lark parser made at its first use: building the grammar's tables costs 0.2 s of CPU, and most server
    processes (test servers, gunicorn workers) start without ever parsing a CQL2-text filter."""

    def __init__(self, build):
        self._build = build
        self._parser = None
        self._lock = threading.Lock()

    def _get(self):
        if self._parser is None:
            with self._lock:
                if self._parser is None:
                    self._parser = self._build()
        return self._parser

    def parse(self, text, *args, **kwargs):
        return self._get().parse(text, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._get(), name)


def allow_one_letter_properties() -> None:
    from pygeofilter.parsers.cql2_text import parser as cql2_text

    grammar = Path(cql2_text.__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    if _ORIGINAL not in grammar:  # a newer pygeofilter changed the rule: nothing to fix, or check by hand
        return

    def build():
        from lark import Lark

        return Lark(
            grammar.replace(_ORIGINAL, _FIXED).replace(_INLINE_SPACE, _ANY_SPACE),
            parser="lalr",
            maybe_placeholders=False,
            transformer=cql2_text.CQLTransformer(),
            import_paths=[os.path.dirname(os.path.dirname(cql2_text.__file__))],
        )

    cql2_text.parser = _BuiltOnFirstUse(build)


def cql2_filters_as_standard() -> None:
    """pygeoapi's items route parses filters with ``providers/cql.py`` (CQL2-JSON on GET, the 1.0 forms)."""
    from pygeoapi.api import itemtypes

    from providers import cql

    itemtypes.parse_cql2_text = cql.parse_cql2_text
    itemtypes.parse_cql2_json = cql.parse_cql2_json


def filter_problem(args, body: bytes | None, content_type: str) -> str | None:
    """Why pygeoapi would answer this items request's filter with "Bad CQL" (None: it parses).

    ``args``: the query parameters; ``body``: a POSTed CQL2-JSON query (not a GeoJSON feature).
    """
    from providers import cql

    text = args.get("filter")
    language = (args.get("filter-lang") or "").lower()
    try:
        if text is not None:
            if language in ("cql2-json", "cql-json") and not text.lstrip().startswith("{"):
                raise cql.FilterSyntaxError("filter-lang=cql2-json needs a JSON object")
            cql.parse_cql2_text(text)
        elif body and body.strip() and "geo+json" not in content_type:
            cql.parse_cql2_json(body)
    except cql.FilterSyntaxError as err:
        shown = "CQL2-JSON" if language in ("cql2-json", "cql-json") or text is None else "CQL2-Text"
        return message("filter_invalid", language=shown, error=err)
    return None


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


PROCESS_CALLBACK_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback"

_ITEMS_QUERY = re.compile(r"^/oapi/collections/[^/]+/items/?$")
_EXECUTION = re.compile(r"^/oapi/processes/[^/]+/execution/?$")


def no_process_callbacks() -> None:
    """/conformance stops claiming OGC API Processes callbacks; an execute request's ``subscriber`` is a 400."""
    from pygeoapi.api import processes

    if PROCESS_CALLBACK_CONFORMANCE in processes.CONFORMANCE_CLASSES:
        processes.CONFORMANCE_CLASSES.remove(PROCESS_CALLBACK_CONFORMANCE)


def execute_request_problem(raw: bytes) -> str | None:
    """Why pygeoapi 0.24 would answer this execute request body with 500 (None: it will not).

    An empty or malformed body pygeoapi itself answers with 400, so those pass.
    """
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return message("execute_not_utf8")
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return message("execute_not_object")
    if "inputs" in body and not isinstance(body["inputs"], dict):
        return message("execute_inputs_object")
    if "subscriber" in body:
        return message("execute_no_callbacks")
    return None


def install_request_checks(server) -> None:
    """Requests pygeoapi 0.24 answers with 500 are answered with 400 first.

    * the coverage route: an invalid ``bbox`` (e.g. miny > maxy); the message is pygeoapi's own;
    * ``POST …/items`` read as a CQL2-JSON query: a body that is not UTF-8;
    * ``POST /processes/*/execution``: see :func:`execute_request_problem`.
    """
    from flask import jsonify, request
    from pygeoapi.api import validate_bbox

    def refuse(text: str):
        return jsonify({"code": "InvalidParameterValue", "type": "InvalidParameterValue", "description": text}), 400

    @server.before_request
    def request_bodies_pygeoapi_cannot_read_are_client_errors():
        if request.method != "POST":
            return None
        if _EXECUTION.match(request.path):
            problem = execute_request_problem(request.get_data(cache=True))
            return refuse(problem) if problem else None
        if _ITEMS_QUERY.match(request.path):  # a feature (geo+json) has been checked by api/access.py already
            try:
                request.get_data(cache=True).decode("utf-8")
            except UnicodeDecodeError:
                return refuse(message("query_not_utf8"))
        return None

    @server.before_request
    def filters_that_do_not_parse_say_why():
        if not _ITEMS_QUERY.match(request.path) or request.method not in ("GET", "POST"):
            return None
        body = request.get_data(cache=True) if request.method == "POST" else None
        if (
            request.method == "POST"
            and request.args.get("filter") is None
            and "geo+json" in (request.content_type or "")
        ):
            return None  # a new feature, not a query
        problem = filter_problem(request.args, body, request.content_type or "")
        return refuse(problem) if problem else None

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
            return jsonify(
                {"code": "InvalidParameterValue", "type": "InvalidParameterValue", "description": str(err)}
            ), 400
        return None


_IMAGE_TEST = "{% if val|length and val.lower().endswith(('.jpg', '.jpeg', '.png', '.gif', '.bmp')) %}"
_WEB_IMAGE_TEST = (
    "{% if val|length and val.lower().startswith(('http://', 'https://')) "
    "and val.lower().endswith(('.jpg', '.jpeg', '.png', '.gif', '.bmp')) %}"
)


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


class _YAMLWithCSafeLoader:
    """The ``yaml`` module as ``pygeoapi.util`` sees it, whose ``SafeLoader`` is libyaml's ``CSafeLoader``."""

    def __init__(self, module):
        self._module = module
        self.SafeLoader = module.CSafeLoader

    def __getattr__(self, name: str):
        return getattr(self._module, name)


def yaml_with_libyaml() -> None:
    """``pygeoapi.util.yaml_load`` parses with libyaml (a no-op without it, or when done already).

    ``yaml_load`` subclasses ``yaml.SafeLoader`` on each call and adds its environment resolver to the
    subclass; only the class it starts from changes.
    """
    import yaml
    from pygeoapi import util

    if not getattr(yaml, "__with_libyaml__", False) or isinstance(util.yaml, _YAMLWithCSafeLoader):
        return
    if "class EnvVarLoader(yaml.SafeLoader)" not in Path(util.__file__).read_text(encoding="utf-8"):
        return  # a newer pygeoapi loads YAML otherwise: check by hand
    util.yaml = _YAMLWithCSafeLoader(util.yaml)


_ANSWERING = threading.local()


class _ClientErrorsAsNotes:
    """A filter on pygeoapi's ``pygeoapi.api`` logger: what :func:`client_errors_logged_briefly` marks as a
    client's error is one INFO line, without its traceback."""

    def filter(self, record) -> bool:
        status = getattr(_ANSWERING, "status", None)
        if record.funcName == "get_exception" and status is not None and status < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = f"{status}: %s", (record.getMessage(),)
            record.exc_info = record.exc_text = None
        return True


def client_errors_logged_briefly() -> None:
    """pygeoapi 0.24 logs every answer it makes with ``get_exception`` at ERROR with the traceback of the exception
    being handled, a 400 for a mistyped filter as much as a 500: a public portal's log filled with tracebacks of
    other people's typos (and formatting them cost ~15 ms each). A 4xx is now one INFO line; 5xx stay as they were.
    """
    from pygeoapi.api import API

    original = API.get_exception
    if getattr(original, "_bgis_brief", False):
        return

    def get_exception(self, *args, **kwargs):
        _ANSWERING.status = int(args[0] if args else kwargs["status"])
        try:
            return original(self, *args, **kwargs)
        finally:
            _ANSWERING.status = None

    get_exception._bgis_brief = True  # type: ignore[attr-defined]
    API.get_exception = get_exception  # type: ignore[method-assign]
    logging.getLogger("pygeoapi.api").addFilter(_ClientErrorsAsNotes())


def apply() -> None:
    client_errors_logged_briefly()
    allow_one_letter_properties()
    cql2_filters_as_standard()
    declare_filter_conformance()
    no_process_callbacks()
    invalid_data_is_a_client_error()
    data_dir = Path(os.environ.get("BUERGERGIS_DATA_DIR") or Path(__file__).resolve().parents[1] / "var")
    item_page_links_only_for_web_urls(data_dir / "pygeoapi-templates")
