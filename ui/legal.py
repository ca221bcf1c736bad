"""Legal and plain-language pages: Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit, Leichte Sprache.

Served by Flask at stable addresses (``/impressum``, ``/datenschutz``, ``/barrierefreiheit``,
``/leichte-sprache``; ``?lang=en`` for English) as plain server-rendered HTML: they load no script, so
they work where the portal's JavaScript does not, and a screen reader meets ordinary headings and lists.

The texts are Markdown files, one per page and language (``<page>.de.md``, ``<page>.en.md``). The bundled
ones (``ui/legal_texts/``) say what is true of the software and mark what only the Kommune can say with
``[[AUSFÜLLEN: …]]`` / ``[[FILL IN: …]]``; such marks are shown highlighted and the page says that it is
incomplete. A Kommune puts its own files into the folder named by ``BUERGERGIS_LEGAL_DIR``; a file there
replaces the bundled one of the same name. Markdown is rendered by markdown-it-py with raw HTML off, so
whatever the files hold is shown as text.

The Erklärung zur Barrierefreiheit carries the feedback form BITV 2.0 asks for: a POST to
``/barrierefreiheit`` stores the message in the support table ``accessibility_feedback``
(:mod:`participation.feedback`); admins read (and delete) them at ``/barrierefreiheit/rueckmeldungen``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from flask import Flask, Response, abort, g, redirect, request
from markdown_it import MarkdownIt

from ui.i18n import normalize_lang

LOG = logging.getLogger(__name__)

#: The setting naming the Kommune's folder of texts.
LEGAL_DIR_ENV = "BUERGERGIS_LEGAL_DIR"
BUNDLED_DIR = Path(__file__).with_name("legal_texts")


@dataclass(frozen=True)
class LegalPage:
    slug: str  # the address (``/<slug>``) and the file name's stem
    title_de: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_de


#: The pages in footer order.
PAGES = (
    LegalPage("impressum", "Impressum", "Legal notice"),
    LegalPage("datenschutz", "Datenschutz", "Privacy"),
    LegalPage("barrierefreiheit", "Barrierefreiheit", "Accessibility"),
    LegalPage("leichte-sprache", "Leichte Sprache", "Easy language"),
)
BY_SLUG = {page.slug: page for page in PAGES}

#: ``[[AUSFÜLLEN: …]]`` / ``[[FILL IN: …]]``: what the Kommune must still write (after escaping: plain text).
_PLACEHOLDER = re.compile(r"\[\[(.+?)\]\]")

_TEXTS = {
    "back": ("Zurück zum Beteiligungsportal", "Back to the participation portal"),
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "lang_group": ("Sprache / Language", "Sprache / Language"),
    "legal_nav": ("Rechtliches und Hilfe", "Legal and help"),
    "incomplete": (
        "Diese Seite ist noch nicht vollständig: Die markierten Stellen muss die Kommune ausfüllen.",
        "This page is not complete yet: the municipality must fill in the marked parts.",
    ),
    "form_title": ("Barriere melden", "Report a barrier"),
    "form_message": ("Was ist die Barriere? (Pflichtfeld)", "What is the barrier? (required)"),
    "form_message_hint": (
        "Zum Beispiel: „Den Knopf ‚Absenden‘ erreiche ich nicht mit der Tastatur.“",
        "For example: “I cannot reach the ‘Submit’ button with the keyboard.”",
    ),
    "form_page": ("Wo? Seite oder Funktion (freiwillig)", "Where? Page or function (optional)"),
    "form_contact": (
        "Wie erreichen wir Sie? E-Mail oder Telefon (freiwillig)",
        "How can we reach you? E-mail or phone (optional)",
    ),
    "form_contact_hint": (
        "Nur nötig, wenn Sie eine Antwort möchten. Gespeichert, bis Ihre Meldung beantwortet ist.",
        "Only needed if you want an answer. Kept until your report has been answered.",
    ),
    "form_submit": ("Meldung senden", "Send report"),
    "form_sent": (
        "Danke! Ihre Meldung ist gespeichert. Die zuständige Stelle liest sie.",
        "Thank you! Your report has been stored. The responsible office will read it.",
    ),
    "form_error": ("Bitte korrigieren Sie: {message}", "Please correct: {message}"),
    "form_unavailable": (
        "Die Meldung konnte gerade nicht gespeichert werden. Bitte schreiben Sie uns auf einem der "
        "oben genannten Wege.",
        "The report could not be stored just now. Please write to us in one of the ways above.",
    ),
    "admin_title": ("Rückmeldungen zur Barrierefreiheit", "Feedback on accessibility"),
    "admin_none": ("Keine Rückmeldungen.", "No feedback."),
    "admin_delete": ("Erledigt, löschen", "Done, delete"),
    "admin_forbidden": (
        "Nur für die Administration: bitte im Portal als Administrator/in anmelden. / "
        "Admins only: please sign in to the portal as an admin.",
    )
    * 2,
    "admin_when": ("Eingegangen", "Received"),
    "admin_where": ("Wo", "Where"),
    "admin_message": ("Meldung", "Report"),
    "admin_contact": ("Kontakt", "Contact"),
}


def _t(key: str, lang: str, **values) -> str:
    de, en = _TEXTS[key]
    text = en if lang == "en" else de
    return text.format(**values) if values else text


def texts_dir() -> Path | None:
    """The Kommune's folder of texts (``BUERGERGIS_LEGAL_DIR``), if set; a missing folder is logged once."""
    configured = os.environ.get(LEGAL_DIR_ENV, "").strip()
    if not configured:
        return None
    folder = Path(configured)
    if not folder.is_dir():
        _warn_once(f"{LEGAL_DIR_ENV}={configured} is no folder; the bundled texts are shown")
        return None
    return folder


@lru_cache(maxsize=16)
def _warn_once(message: str) -> None:
    LOG.warning(message)


def text_file(slug: str, lang: str) -> Path:
    """The Markdown file of a page: the Kommune's where it has one, else the bundled one."""
    name = f"{slug}.{lang}.md"
    folder = texts_dir()
    if folder is not None and (folder / name).is_file():
        return folder / name
    return BUNDLED_DIR / name


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable("table")


def render(markdown: str) -> tuple[str, bool]:
    """(HTML of the Markdown, whether it still holds placeholders); raw HTML in it is shown as text."""
    body = _MARKDOWN.render(markdown)
    body, count = _PLACEHOLDER.subn(lambda m: f'<mark class="fill-in">{m.group(1)}</mark>', body)
    # the first heading is the page's title: an h1 with an id the skip link and the feedback anchor can use
    return body, count > 0


def footer_links(lang: str) -> list[tuple[str, str]]:
    """(address, title) of every legal page, for the portal's footer and the pages' own."""
    suffix = "?lang=en" if lang == "en" else ""
    return [(f"/{page.slug}{suffix}", page.title(lang)) for page in PAGES]


def _document(lang: str, title: str, main: str, prefix: str, slug: str | None = None) -> str:
    """A whole page: skip link, header with the way back and the language switch, main, footer."""
    other = "en" if lang == "de" else "de"
    here = f"{prefix}/{slug}" if slug else request.path
    switch = (
        f'<a href="{escape(here)}?lang={other}" lang="{other}" hreflang="{other}">'
        f'{"Deutsch" if other == "de" else "English"}</a>'
    )
    links = "".join(
        f'<li><a href="{escape(prefix + href)}"{" aria-current=\"page\"" if slug and href.split("?")[0] == "/" + slug else ""}>'
        f"{escape(name)}</a></li>"
        for href, name in footer_links(lang)
    )
    home = f"{prefix}/" + ("?lang=en" if lang == "en" else "")
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – Bürger-GIS</title>
<link rel="stylesheet" href="{prefix}/assets/legal.css">
</head>
<body class="legal-page">
<a class="skip-link" href="#main">{_t("skip", lang)}</a>
<header class="legal-header">
<a class="legal-home" href="{escape(home)}">{_t("back", lang)}</a>
<nav aria-label="{_t("lang_group", lang)}">{switch}</nav>
</header>
<main id="main" tabindex="-1">
{main}
</main>
<footer class="legal-footer">
<nav aria-label="{_t("legal_nav", lang)}"><ul>{links}</ul></nav>
</footer>
</body>
</html>"""


def page_html(slug: str, lang: str, prefix: str = "", form: str = "") -> str:
    """The page ``slug`` in ``lang`` (its Markdown rendered), ``form`` appended inside main."""
    page = BY_SLUG[slug]
    try:
        markdown = text_file(slug, lang).read_text(encoding="utf-8")
    except OSError as err:  # a Kommune's file that cannot be read: the bundled one, and a note in the log
        LOG.error("legal text %s.%s not readable (%s); the bundled one is shown", slug, lang, err)
        markdown = (BUNDLED_DIR / f"{slug}.{lang}.md").read_text(encoding="utf-8")
    body, incomplete = render(markdown)
    notice = f'<p class="legal-incomplete" role="note">{_t("incomplete", lang)}</p>' if incomplete else ""
    return _document(lang, page.title(lang), notice + body + form, prefix, slug)


def feedback_form(
    lang: str, values: dict | None = None, error: tuple[str, str] | None = None, sent: bool = False
) -> str:
    """The BITV feedback form; ``error`` is (field, message) and keeps what was typed."""
    from participation.feedback import MAX_CONTACT, MAX_MESSAGE, MAX_PAGE

    values = values or {}
    status = ""
    if sent:
        status = f'<p class="legal-msg ok" role="status">{_t("form_sent", lang)}</p>'
    elif error:
        status = (
            f'<p class="legal-msg error" role="alert" id="feedback-error">'
            f'{escape(_t("form_error", lang, message=error[1]))}</p>'
        )

    def invalid(field: str) -> str:
        return ' aria-invalid="true" aria-describedby="feedback-error"' if error and error[0] == field else ""

    action = escape(request.path) + ("?lang=en" if lang == "en" else "") + "#feedback"
    return f"""<section id="feedback" aria-labelledby="feedback-title" class="legal-form">
<h2 id="feedback-title">{_t("form_title", lang)}</h2>
{status}
<form method="post" action="{action}">
<input type="hidden" name="lang" value="{lang}">
<p><label for="feedback-message">{_t("form_message", lang)}</label>
<span class="hint" id="feedback-message-hint">{_t("form_message_hint", lang)}</span>
<textarea id="feedback-message" name="message" rows="6" maxlength="{MAX_MESSAGE}" required
 aria-describedby="feedback-message-hint"{invalid("message")}>{escape(values.get("message") or "")}</textarea></p>
<p><label for="feedback-page">{_t("form_page", lang)}</label>
<input id="feedback-page" name="page" type="text" maxlength="{MAX_PAGE}" value="{escape(values.get("page") or "")}"{invalid("page")}></p>
<p><label for="feedback-contact">{_t("form_contact", lang)}</label>
<span class="hint" id="feedback-contact-hint">{_t("form_contact_hint", lang)}</span>
<input id="feedback-contact" name="contact" type="text" maxlength="{MAX_CONTACT}" autocomplete="email"
 aria-describedby="feedback-contact-hint" value="{escape(values.get("contact") or "")}"{invalid("contact")}></p>
<p><button type="submit">{_t("form_submit", lang)}</button></p>
</form>
</section>"""


def _lang() -> str:
    return normalize_lang(request.values.get("lang") or "de")


def register(server: Flask, settings) -> None:
    """The routes of the legal pages and of the accessibility feedback on the portal's Flask server."""
    from ui.api import portal_path

    prefix = portal_path(settings.api_url)

    def html_response(body: str, status: int = 200) -> Response:
        return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-cache"})

    def feedback_store():
        from participation.feedback import FeedbackStore

        return FeedbackStore(settings.store, getattr(settings, "storage_epsg", None))

    def show(slug: str):
        lang = _lang()
        form = feedback_form(lang, sent=request.args.get("sent") == "1") if slug == "barrierefreiheit" else ""
        return html_response(page_html(slug, lang, prefix, form))

    for page in PAGES:
        server.add_url_rule(f"/{page.slug}", f"legal_{page.slug}", lambda slug=page.slug: show(slug))

    @server.post("/barrierefreiheit")
    def accessibility_feedback():
        from participation.feedback import FeedbackError
        from schema.bilingual import split

        lang = _lang()
        values = {key: request.form.get(key, "") for key in ("message", "page", "contact")}
        try:
            feedback_store().add(values["message"], values["page"], values["contact"], lang)
        except FeedbackError as err:
            message = split(str(err))[1 if lang == "en" else 0]
            form = feedback_form(lang, values, (err.field, message))
            return html_response(page_html("barrierefreiheit", lang, prefix, form), 400)
        except Exception:  # storage down: say so, keep the text in the form
            LOG.exception("accessibility feedback not stored")
            form = (
                feedback_form(lang, values)
                + f'<p class="legal-msg error" role="alert">{_t("form_unavailable", lang)}</p>'
            )
            return html_response(page_html("barrierefreiheit", lang, prefix, form), 503)
        # after a POST, a GET (reloading the page does not send the report twice)
        return redirect(
            f"{prefix}/barrierefreiheit?sent=1" + ("&lang=en" if lang == "en" else "") + "#feedback", code=303
        )

    def admin_or_refuse(lang: str):
        from access.rules import ADMIN
        from access.viewer import current_viewer

        viewer = current_viewer()
        if viewer.role != ADMIN:
            status = 403 if viewer.via or viewer.token_sent else 401
            body = _document(
                lang,
                _t("admin_title", lang),
                f'<h1>{_t("admin_title", lang)}</h1><p class="legal-msg error">{_t("admin_forbidden", lang)}</p>',
                prefix,
            )
            return html_response(body, status)
        return None

    @server.get("/barrierefreiheit/rueckmeldungen")
    def feedback_list():
        lang = _lang()
        refusal = admin_or_refuse(lang)
        if refusal is not None:
            return refusal
        rows = feedback_store().recent()
        if request.args.get("f") == "json":
            return {"feedback": rows}
        csrf = escape((g.get("staff_session") or {}).get("csrf_token") or "")
        items = "".join(
            f"<tr><td>{escape((row['created_at'] or '')[:16].replace('T', ' '))}</td>"
            f"<td>{escape(row.get('page') or '–')}</td><td class=\"pre\">{escape(row['message'] or '')}</td>"
            f"<td>{escape(row.get('contact') or '–')}</td><td>"
            f'<form method="post" action="{prefix}/barrierefreiheit/rueckmeldungen/{escape(row["id"])}/loeschen">'
            f'<input type="hidden" name="csrf_token" value="{csrf}">'
            f'<button type="submit">{_t("admin_delete", lang)}</button></form></td></tr>'
            for row in rows
        )
        table = (
            (
                f'<table><caption>{_t("admin_title", lang)}: {len(rows)}</caption><thead><tr>'
                f'<th scope="col">{_t("admin_when", lang)}</th><th scope="col">{_t("admin_where", lang)}</th>'
                f'<th scope="col">{_t("admin_message", lang)}</th><th scope="col">{_t("admin_contact", lang)}</th>'
                f'<th scope="col"><span class="visually-hidden">{_t("admin_delete", lang)}</span></th></tr></thead>'
                f"<tbody>{items}</tbody></table>"
            )
            if rows
            else f'<p>{_t("admin_none", lang)}</p>'
        )
        return html_response(
            _document(lang, _t("admin_title", lang), f'<h1>{_t("admin_title", lang)}</h1>{table}', prefix)
        )

    @server.post("/barrierefreiheit/rueckmeldungen/<feedback_id>/loeschen")
    def feedback_delete(feedback_id: str):
        from access.sessions import csrf_ok

        lang = _lang()
        refusal = admin_or_refuse(lang)
        if refusal is not None:
            return refusal
        if not csrf_ok(g.get("staff_session"), request.form.get("csrf_token")):
            abort(403)
        if not feedback_store().delete(feedback_id):
            abort(404)
        return redirect(f"{prefix}/barrierefreiheit/rueckmeldungen", code=303)
