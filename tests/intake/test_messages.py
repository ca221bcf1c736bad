"""The German/English message catalogues (``<package>/messages.py``, form: ``schema/bilingual.py``), and that no
refusal is written inline again in the packages whose messages live there (issue 15)."""

from __future__ import annotations

import ast
import doctest
import importlib
import re
import string
from pathlib import Path

import pytest

import intake.messages
import schema.bilingual

ROOT = Path(__file__).resolve().parents[2]

#: Every catalogue: one ``messages`` module per package that refuses something.
CATALOGUES = (
    "intake.messages",
    "access.messages",
    "layers.messages",
    "participation.messages",
    "scenarios.messages",
    "api.messages",
)
#: Fields for a library's own (English) words, e.g. a parser's error: the German may leave them out.
DETAIL_FIELDS = {"error", "detail", "reason"}


def _catalogues() -> dict[str, dict[str, tuple[str, str]]]:
    return {name: importlib.import_module(name).MESSAGES for name in CATALOGUES}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_catalogue_is_listed():
    found = {
        f"{path.parent.name}.messages"
        for path in ROOT.glob("*/messages.py")
        if (path.parent / "__init__.py").is_file() and path.parent.name != "tests"
    }
    assert found == set(CATALOGUES)


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_entries_are_german_and_english_with_the_same_fields(catalogue):
    """Both languages, different texts, and the same fields: a German-only field ends in ``_de`` and stands
    for the English field of the same name (``expected_de`` / ``expected``); only a library's English words
    (:data:`DETAIL_FIELDS`) may be left out of the German."""
    for key, entry in _catalogues()[catalogue].items():
        assert isinstance(entry, tuple) and len(entry) == 2, key
        german, english = entry
        assert german.strip() and english.strip() and german != english, key
        assert " / " not in german and " / " not in english, f"{key}: one language per template"
        de = {name.removesuffix("_de") for name in _fields(german)}
        en = _fields(english)
        assert not {n for n in en if n.endswith("_de")}, f"{key}: a _de field in the English"
        assert de <= en, f"{key}: fields only in the German: {sorted(de - en)}"
        assert en - de <= DETAIL_FIELDS, f"{key}: fields only in the English: {sorted(en - de - DETAIL_FIELDS)}"


def test_a_key_and_a_text_are_in_one_catalogue_once():
    """A key names one text in the whole application, and a text is written once (a package uses the entry of
    a lower package rather than repeating it)."""
    keys: dict[str, str] = {}
    texts: dict[tuple[str, str], str] = {}
    for catalogue, entries in _catalogues().items():
        for key, entry in entries.items():
            assert key not in keys, f"{key} in {keys.get(key)} and {catalogue}"
            assert entry not in texts, f"{catalogue}:{key} repeats {texts.get(entry)}"
            keys[key], texts[entry] = catalogue, f"{catalogue}:{key}"


def test_every_entry_is_used():
    """An entry no code names is a text nobody reads: remove it with the last refusal that used it."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for package in {name.split(".")[0] for name in CATALOGUES} | {"providers", "ui", "commands"}
        for path in (ROOT / package).rglob("*.py")
        if path.name != "messages.py"
    )
    for catalogue, entries in _catalogues().items():
        unused = [key for key in entries if f'"{key}"' not in source and f"'{key}'" not in source]
        assert not unused, f"{catalogue}: unused entries {unused}"


def test_message_pair_and_split():
    assert intake.messages.message("geometry_empty") == "Die Geometrie ist leer / the geometry is empty"
    assert intake.messages.pair("id_exists", id="b1", collection="x") == (
        "Ein Objekt mit der id 'b1' gibt es in x schon",
        "an item with id 'b1' exists already in x",
    )
    assert schema.bilingual.split(intake.messages.message("geometry_empty")) == (
        "Die Geometrie ist leer",
        "the geometry is empty",
    )
    assert doctest.testmod(schema.bilingual).failed == 0
    assert doctest.testmod(intake.messages).failed == 0


# -- no inline refusals -----------------------------------------------------------------------------------------

#: The packages (and modules of ``providers/``) whose refusals are in the catalogues.
CONVERTED = (
    "access",
    "api",
    "intake",
    "layers",
    "participation",
    "scenarios",
    "providers/contributions.py",
    "providers/contribution_rows.py",
    "providers/contribution_model.py",
)

#: Texts in both languages that are not refusals (titles, labels, notices, report lines): file -> their starts.
NOT_REFUSALS = {
    "api/feeds.py": (
        "Neue Beiträge",
        "Veröffentlichte Kommentare",
        "Beteiligungsverfahren",
        "Neue und laufende",
        "anonym / anonymous",
    ),
    "api/open311.py": (
        "Eingereicht, wird geprüft",
        "Angenommen",
        "In Bearbeitung",
        "Erledigt",
        "Abgelehnt",
        "Danke! Ihre Meldung",
    ),
    # links' titles and the OpenAPI document's security schemes
    "api/standards.py": (
        "JSON Schema eines Objekts",
        "Schema der Objekte",
        "GML-Anwendungsschema",
        "Token der Planung oder Moderation",
        "Sitzung nach der Anmeldung",
        "Geheimnis, das die Antwort",
    ),
    "participation/model.py": ("Hinweis / Kommentar",),  # the label of a kind of contribution
    "participation/mail_texts.py": ("Bitte bestätigen Sie", "{}: Antwort", "Eingangsbestätigung"),
    "layers/xplanung/export.py": ("{}: Zahl als Text", "{}: Zahl -> Maß", "{}.gehoertZuBereich", "{}.gehoertZuPlan"),
    "layers/xplanung/validation.py": (
        "gültig / valid",
        "ungültig / invalid",
        "Validierung / validation",
        "  Prüfungen",
        " Fehler",
        "keinen",
    ),
    # PyYAML's own error (context, problem), in English
    "scenarios/model.py": ("ConstructorError(",),
    # English with a "/" between command-line names, not two languages
    "layers/citygml.py": ("{}: cannot tell the CRS",),
    "layers/vector.py": ("{} has {} layers",),
}
#: Two languages joined inline: "… / …" between words (not a path, "km/h" or "1.0 / 2.0"), or German words and
#: a library's English error ("… / {err}").
_LETTER = "A-Za-zÄÖÜäöüß"
_JOINED = re.compile(rf"[{_LETTER}][^/]* / (\{{\}}|[^/]*[{_LETTER}])")


def _files():
    for entry in CONVERTED:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _inline_messages(source: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Inline "Deutsch / English" texts, and error classes called with a German and an English literal."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in inside_fstrings:
            continue
        text = _text(node)
        if text is not None and _JOINED.search(text) and not text.startswith(allowed):
            found.append((node.lineno, text[:80]))
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            literals = [t for t in map(_text, node.args) if t and re.search(rf"[{_LETTER}]{{3}}", t)]
            call = f"{name}({', '.join(repr(t[:40]) for t in literals[:2])})"
            refusal = name.endswith(("Error", "Refused", "Forbidden", "Required"))
            if refusal and len(literals) >= 2 and not call.startswith(allowed):
                found.append((node.lineno, call))
    return [f"{line}: {text}" for line, text in sorted(found)]


def test_no_inline_refusals_in_the_converted_packages():
    """A refusal's text belongs in its package's catalogue (``message("key", …)``), not inline."""
    inline = {}
    for path in _files():
        name = str(path.relative_to(ROOT))
        if path.name != "messages.py" and (
            found := _inline_messages(path.read_text("utf-8"), NOT_REFUSALS.get(name, ()))
        ):
            inline[name] = found
    assert not inline, f"move these texts into a catalogue (<package>/messages.py): {inline}"


def test_the_inline_check_finds_what_it_should():
    sample = (
        "def f(n):\n"
        '    raise ValueError(f"Zu viele: {n} / too many: {n}")\n'
        "def g():\n"
        '    raise StudioError("Leer", "empty", "field")\n'
        "def h():\n"
        '    """Docstrings may say "Deutsch / English"."""\n'
        '    return "1.0 / 2.0", "/api/x", "km/h", "Titel / title"\n'
        "def k(err):\n"
        '    return f"Nicht hier / {err}", f"{err} / {err}"\n'
    )
    assert [line.split(":")[0] for line in _inline_messages(sample)] == ["2", "4", "7", "9"]
    assert [line.split(":")[0] for line in _inline_messages(sample, ("Titel",))] == ["2", "4", "9"]
