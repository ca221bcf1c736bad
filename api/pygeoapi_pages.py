"""pygeoapi's HTML pages without third-party requests, with a nonce on their inline scripts, images as links.

pygeoapi 0.24's templates load Bootstrap, Leaflet (and plugins), Swagger UI, c3/d3 and more from
unpkg.com, cdnjs.cloudflare.com and cdn.jsdelivr.net (unpinned, no integrity), and its maps draw
OpenStreetMap's tiles: every visitor's address reaches third parties without consent (DSGVO).
:func:`install` writes a copy of pygeoapi's templates (``<data dir>/pygeoapi-pages``) in which

* every such ``<script src>``/``<link href>`` names the portal's own copy (``vendor/pygeoapi-html``,
  served at ``/oapi/vendor/…``, see its SOURCE.txt) with its Subresource Integrity hash; a reference to a
  library that is not copied is left out (the IE 8 shim, ReDoc: ``?ui=redoc`` shows the Swagger UI page);
* every inline ``<script>`` carries the answer's nonce (``nonce="{{ bgis_csp_nonce() }}"``, a fresh one per
  request, :func:`render_with_nonce`), which
  ``api/headers.py`` names in the page's Content-Security-Policy; the few inline event handlers are allowed
  by their hashes (:attr:`LocalPages.handler_hashes`);
* a property value that ends like an image (``.png``) is a link on the item page, never an ``<img>``
  (an image URL in a contribution's text would be a tracking pixel);
* Swagger UI does not ask validator.swagger.io for a badge.

The maps' basemap is the configured one (``BUERGERGIS_BASEMAP``, an XYZ template) or none (a
transparent tile, no request). pygeoapi then renders every page from this copy (``server.templates``);
``api/compat.py``'s fixed item page is its source for that template. The copy's directory is named by a
hash of its content and written under a temporary name first, so workers starting side by side (gunicorn
without ``--preload``) never see a half-written tree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

from flask import Flask, abort, send_from_directory
from jinja2.bccache import BytecodeCache

from api.headers import sha256_source
from settings import ROOT
from settings.basemap import BasemapError, basemap_from

LOGGER = logging.getLogger(__name__)

VENDOR = ROOT / "vendor" / "pygeoapi-html"
#: Where the copies are served, below pygeoapi's own address (``server.url``).
VENDOR_ROUTE = "/vendor"

#: Third-party address in pygeoapi 0.24's templates -> the portal's copy (below VENDOR).
LOCAL_COPIES = {
    "https://unpkg.com/bootstrap@5.1.3/dist/css/bootstrap.min.css": "bootstrap-5.1.3/bootstrap.min.css",
    "https://unpkg.com/leaflet@1.3.1/dist/leaflet.css": "leaflet-1.9.4/leaflet.css",
    "https://unpkg.com/leaflet@1.3.1/dist/leaflet.js": "leaflet-1.9.4/leaflet.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet/1.3.1/leaflet.js": "leaflet-1.9.4/leaflet.js",
    "https://unpkg.com/leaflet.markercluster/dist/MarkerCluster.css": "leaflet.markercluster-1.5.3/MarkerCluster.css",
    "https://unpkg.com/leaflet.markercluster/dist/MarkerCluster.Default.css": "leaflet.markercluster-1.5.3/MarkerCluster.Default.css",
    "https://unpkg.com/leaflet.markercluster/dist/leaflet.markercluster-src.js": "leaflet.markercluster-1.5.3/leaflet.markercluster.js",
    "https://unpkg.com/leaflet-draw@1.0.4/dist/leaflet.draw.css": "leaflet-draw-1.0.4/leaflet.draw.css",
    "https://unpkg.com/leaflet-draw@1.0.4/dist/leaflet.draw.js": "leaflet-draw-1.0.4/leaflet.draw.js",
    "https://unpkg.com/leaflet.vectorgrid@latest/dist/Leaflet.VectorGrid.bundled.js": "leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js",
    "https://unpkg.com/swagger-ui-dist/swagger-ui.css": "swagger-ui-dist-5.32.0/swagger-ui.css",
    "https://unpkg.com/swagger-ui-dist/favicon-32x32.png": "swagger-ui-dist-5.32.0/favicon-32x32.png",
    "https://unpkg.com/swagger-ui-dist/favicon-16x16.png": "swagger-ui-dist-5.32.0/favicon-16x16.png",
    "https://unpkg.com/swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui-dist-5.32.0/swagger-ui-bundle.js",
    "https://unpkg.com/swagger-ui-dist/swagger-ui-standalone-preset.js": "swagger-ui-dist-5.32.0/swagger-ui-standalone-preset.js",
    "https://cdn.jsdelivr.net/npm/c3@0.7.20/c3.css": "c3-0.7.20/c3.min.css",
    "https://cdn.jsdelivr.net/npm/c3@0.7.20/c3.js": "c3-0.7.20/c3.min.js",
    "https://cdn.jsdelivr.net/npm/d3@5.16.0/dist/d3.js": "d3-5.16.0/d3.min.js",
    "https://unpkg.com/covutils@0.6/covutils.min.js": "covutils-0.6.1/covutils.min.js",
    "https://unpkg.com/covjson-reader@0.16/covjson-reader.src.js": "covjson-reader-0.16.3/covjson-reader.min.js",
    "https://unpkg.com/leaflet-coverage@0.7/leaflet-coverage.css": "leaflet-coverage-0.7.2/leaflet-coverage.css",
    "https://unpkg.com/leaflet-coverage@0.7/leaflet-coverage.min.js": "leaflet-coverage-0.7.2/leaflet-coverage.min.js",
}

#: A transparent 1×1 PNG: the maps' tile layer where no basemap is configured (no request at all).
BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

_OFFSITE_TAG = re.compile(
    r"""<script\b[^>]*\bsrc=["'](?P<script>https?://[^"']+)["'][^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref=["'](?P<link>https?://[^"']+)["'][^>]*>""",
    re.I,
)
_IE_SHIM = re.compile(r"<!--\[if lt IE 9\]>.*?<!\[endif\]-->", re.S)
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)", re.I)
_HANDLER = re.compile(r"""\son[a-z]+=(?P<q>["'])(?P<code>.*?)(?P=q)""", re.I | re.S)
#: pygeoapi's item page: a value ending in an image extension becomes <a><img src=value></a>.
_IMAGE_ANCHOR = re.compile(r'<a href="\{\{ val \}\}"><img src="\{\{ val \}\}"[^>]*/></a>')
_LINK_ANCHOR = '<a href="{{ val }}" rel="nofollow noopener noreferrer">{{ val }}</a>'
_SWAGGER_CALL = "ui = SwaggerUIBundle({"


def manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))


NONCE_KEY = "bgis_csp_nonce"
_NONCE_ATTRIBUTE = f'nonce="{{{{ {NONCE_KEY}() }}}}"'


class LocalPages:
    """The rewritten template tree and the hashes of its inline event handlers."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.directory: Path | None = None
        self.handler_hashes: list[str] = []
        self.dropped: list[str] = []  # third-party references without a local copy (left out)

    def build(self, pygeoapi_templates: Path, fixed_templates: Path | None = None) -> dict[str, bytes]:
        """Every template file, rewritten where it is HTML: relative path -> content."""
        integrity = {path: entry["sha384"] for path, entry in manifest()["files"].items()}
        files: dict[str, bytes] = {}
        handlers: set[str] = set()
        for source in sorted(pygeoapi_templates.rglob("*")):
            if source.is_dir() or "__pycache__" in source.parts:
                continue
            relative = source.relative_to(pygeoapi_templates).as_posix()
            if relative == "openapi/redoc.html":  # ReDoc is not copied: the Swagger UI page instead
                source = pygeoapi_templates / "openapi" / "swagger.html"
            if fixed_templates is not None and (fixed_templates / relative).is_file():
                source = fixed_templates / relative  # api/compat.py's fixed copy
            if source.suffix != ".html":
                files[relative] = source.read_bytes()
                continue
            text = self.rewrite(source.read_text(encoding="utf-8"), integrity, relative)
            handlers.update(m["code"] for m in _HANDLER.finditer(text) if "{{" not in m["code"])
            files[relative] = text.encode("utf-8")
        self.handler_hashes = sorted(sha256_source(code) for code in handlers)
        return files

    def write(self, pygeoapi_templates: Path, fixed_templates: Path | None = None) -> Path:
        """Write the tree once per content (``pygeoapi-pages-<hash>``), atomically; return its directory."""
        files = self.build(pygeoapi_templates, fixed_templates)
        digest = hashlib.sha256()
        for relative, content in sorted(files.items()):
            digest.update(relative.encode() + b"\0" + hashlib.sha256(content).digest())
        final = self.data_dir / f"pygeoapi-pages-{digest.hexdigest()[:16]}"
        if not (final / ".complete").is_file():
            draft = Path(tempfile.mkdtemp(prefix=".pygeoapi-pages-", dir=self.data_dir))
            for relative, content in files.items():
                target = draft / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            (draft / ".complete").write_text("", encoding="utf-8")
            try:
                os.rename(draft, final)
            except OSError:  # another worker was first (or a stale, incomplete copy is in the way)
                if not (final / ".complete").is_file():
                    shutil.rmtree(final, ignore_errors=True)
                    os.rename(draft, final)
                else:
                    shutil.rmtree(draft, ignore_errors=True)
        for old in self.data_dir.glob("pygeoapi-pages-*"):  # earlier versions' copies
            if old != final:
                shutil.rmtree(old, ignore_errors=True)
        self.directory = final
        return final

    def rewrite(self, text: str, integrity: dict[str, str], name: str = "") -> str:
        text = _IE_SHIM.sub("", text)

        def local(match: re.Match) -> str:
            url = match["script"] or match["link"]
            path = LOCAL_COPIES.get(url)
            if path is None:
                self.dropped.append(f"{name}: {url}")
                return ""
            tag = match.group(0).replace(url, "{{ config['server']['url'] }}" + f"{VENDOR_ROUTE}/{path}")
            if match["script"] or re.search(r"""rel=["']stylesheet["']""", tag):
                tag = re.sub(r"^<(script|link)\b", lambda m: f'<{m[1]} integrity="{integrity[path]}"', tag)
            return tag

        text = _OFFSITE_TAG.sub(local, text)
        text = _INLINE_SCRIPT.sub(f"<script {_NONCE_ATTRIBUTE}", text)
        text = _IMAGE_ANCHOR.sub(_LINK_ANCHOR, text)
        if _SWAGGER_CALL in text:
            text = text.replace(_SWAGGER_CALL, _SWAGGER_CALL + "\n        validatorUrl: null,", 1)
        return text


def request_nonce() -> str:
    """This request's CSP nonce for pygeoapi's inline scripts (made on first use)."""
    from flask import g, has_request_context

    if not has_request_context():
        return ""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


class _CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache in memory, shared by every environment of the process (see :func:`render_with_nonce`).

    A bucket's key is the template's name and file; Jinja checks the source's checksum on every load, so an
    edited template is compiled again."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def render_with_nonce() -> None:
    """pygeoapi's templates get ``bgis_csp_nonce()``: the Jinja environment pygeoapi makes for every page
    (``pygeoapi.util.render_j2_template``) has it as a global. (Not through ``config``: pygeoapi caches the
    translated config per language.)

    pygeoapi 0.24 makes that environment anew for every page, so Jinja compiled each template (the item page and
    its base) on every request: about 40 ms of CPU per HTML page. The environments share one compiled-template
    cache, so a template is compiled once per process."""
    from jinja2 import Environment
    from pygeoapi import util

    if getattr(util.Environment, "_bgis_nonce", False):
        return
    compiled = _CompiledTemplates()

    class NonceEnvironment(Environment):
        _bgis_nonce = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("bytecode_cache", compiled)
            super().__init__(*args, **kwargs)
            self.globals[NONCE_KEY] = request_nonce

    util.Environment = NonceEnvironment


def _basemap() -> dict:
    """pygeoapi's ``server.map``: the configured XYZ basemap, else a transparent tile (no request)."""
    try:
        basemap = basemap_from()
    except BasemapError:
        basemap = None
    if basemap is not None and basemap.kind == "xyz" and basemap.url.startswith(("https://", "http://")):
        return {"url": basemap.url, "attribution": basemap.attribution.replace("'", "&#39;")}
    return {"url": BLANK_TILE, "attribution": ""}


def install(server: Flask, data_dir: Path) -> LocalPages:
    """Write the local templates, point pygeoapi at them, serve the copies at ``/oapi/vendor/``."""
    from pygeoapi.flask_app import api_
    from pygeoapi.util import TEMPLATESDIR

    pages = LocalPages(Path(data_dir))
    configured = api_.config["server"].get("templates") or {}
    own = configured.get("path")
    if own and Path(own).resolve() != Path(TEMPLATESDIR).resolve():
        LOGGER.warning("server.templates.path is set (%s): pygeoapi's pages keep those templates", own)
        return pages
    directory = pages.write(Path(TEMPLATESDIR), Path(data_dir) / "pygeoapi-templates")
    for config in (api_.config, api_.tpl_config):
        templates = config["server"].setdefault("templates", {})
        templates["path"] = str(directory)
    # pygeoapi 0.24's TileMatrixSets pages pass the whole config as their templates setting
    # (``render_j2_template(api.tpl_config, api.tpl_config, ...)``): its "path" must be there, too.
    api_.tpl_config["path"] = str(directory)
    render_with_nonce()
    api_.tpl_config["server"]["map"] = _basemap()
    if pages.dropped:
        LOGGER.info("pygeoapi pages: left out (no local copy): %s", "; ".join(pages.dropped))
    files = set(manifest()["files"])

    @server.route(f"/oapi{VENDOR_ROUTE}/<path:name>")
    def pygeoapi_vendor(name: str):
        if name not in files:
            abort(404)
        return send_from_directory(VENDOR, name, max_age=7 * 24 * 3600)

    server.extensions["buergergis_headers"].pages = pages
    return pages
