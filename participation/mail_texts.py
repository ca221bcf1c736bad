"""The words of the e-mails a citizen asked for: German first, English second, plain text plus simple HTML.

Pure functions: each returns a :class:`Mail` (subject, text, HTML) from the facts it is given. Everything a
person typed (their text, the moderator's note, the planners' answer) is only ever escaped into the HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from participation.model import RESULTS

#: Status of a contribution -> (German, English) as a citizen reads it.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "eingereicht": ("eingegangen, wird geprüft", "received, being reviewed"),
    "freigegeben": ("veröffentlicht", "published"),
    "abgelehnt": ("nicht veröffentlicht", "not published"),
    "in_bearbeitung": ("in Bearbeitung", "being dealt with"),
    "erledigt": ("erledigt", "done"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "kommentar": ("Kommentar", "comment"),
    "vorschlag": ("Vorschlag", "proposal"),
    "maengelmeldung": ("Mängelmeldung", "defect report"),
}
EXCERPT = 200


def _your(kind: str | None) -> str:
    """ "Ihr Kommentar", "Ihr Vorschlag", but "Ihre Mängelmeldung"."""
    return "Ihre" if kind == "maengelmeldung" else "Ihr"


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def _label(table: dict[str, tuple[str, str]], key: str | None) -> tuple[str, str]:
    return table.get(key or "", (key or "–", key or "–"))


def _excerpt(text: str | None) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _name(contribution: dict) -> tuple[str, str]:
    """How a mail names the contribution after "mit", "von", "zu" (dative): by its number, else kind and day."""
    if contribution.get("reference"):
        return f"Ihrem Beitrag {contribution['reference']}", f"your contribution {contribution['reference']}"
    kind_de, kind_en = _label(KIND_LABELS, contribution.get("kind"))
    day = str(contribution.get("created_at") or "")[:10]
    article = "Ihrer" if contribution.get("kind") == "maengelmeldung" else "Ihrem"
    return f"{article} {kind_de} vom {day}", f"your {kind_en} of {day}"


def _compose(
    subject: str, german: list[str], english: list[str], links: list[tuple[str, str, str]], unsubscribe_url: str
) -> Mail:
    """One mail: the German paragraphs, the English ones, the links ((de, en, url)) and the unsubscribe line."""
    german, english = [line for line in german if line], [line for line in english if line]
    footer_de = f"Keine E-Mails mehr zu diesem Beitrag: {unsubscribe_url}"
    footer_en = f"No more e-mails about this contribution: {unsubscribe_url}"
    link_lines_de = [f"{de}: {url}" for de, _, url in links]
    link_lines_en = [f"{en}: {url}" for _, en, url in links]
    text = (
        "\n\n".join(
            [
                *german,
                *link_lines_de,
                "— English below —",
                *english,
                *link_lines_en,
                "-- ",
                footer_de + "\n" + footer_en,
            ]
        )
        + "\n"
    )

    def paragraphs(lines: list[str]) -> str:
        return "".join(f"<p>{html.escape(line).replace(chr(10), '<br>')}</p>" for line in lines)

    def anchors(pairs: list[tuple[str, str]]) -> str:
        return "".join(
            f'<p><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></p>' for label, url in pairs
        )

    body = (
        f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{html.escape(subject)}</title>'
        f"</head><body>{paragraphs(german)}{anchors([(de, url) for de, _, url in links])}"
        f'<hr><div lang="en">{paragraphs(english)}{anchors([(en, url) for _, en, url in links])}</div><hr>'
        f'<p><small><a href="{html.escape(unsubscribe_url, quote=True)}">Keine E-Mails mehr zu diesem '
        f'Beitrag</a> · <a lang="en" href="{html.escape(unsubscribe_url, quote=True)}">No more e-mails '
        "about this contribution</a></small></p></body></html>"
    )
    return Mail(subject=subject, text=text, html=body)


def confirmation(contribution: dict, confirm_url: str, unsubscribe_url: str, valid_hours: int) -> Mail:
    """The double opt-in: nothing else is sent until the link is followed."""
    name_de, name_en = _name(contribution)
    return _compose(
        "Bitte bestätigen Sie Ihre E-Mail-Adresse / Please confirm your e-mail address",
        [
            "Guten Tag,",
            f"Sie möchten per E-Mail erfahren, wie es mit {name_de} weitergeht. Bitte bestätigen Sie das mit dem "
            f"folgenden Link (gültig {valid_hours} Stunden). Ohne Bestätigung schicken wir Ihnen nichts weiter und "
            "löschen die Adresse mit dem Beitrag.",
            "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail einfach.",
        ],
        [
            "Hello,",
            f"You asked to be told by e-mail how {name_en} goes on. Please confirm with the link below (valid for "
            f"{valid_hours} hours). Without confirmation we send nothing more and delete the address with the "
            "contribution.",
            "If this was not you, simply ignore this e-mail.",
        ],
        [("E-Mail-Adresse bestätigen", "Confirm the e-mail address", confirm_url)],
        unsubscribe_url,
    )


def receipt(contribution: dict, status_url: str, unsubscribe_url: str) -> Mail:
    """Eingangsbestätigung: the reference number and what happens next."""
    name_de, name_en = _name(contribution)
    kind_de, kind_en = _label(KIND_LABELS, contribution.get("kind"))
    status_de, status_en = _label(STATUS_LABELS, contribution.get("status"))
    reference = contribution.get("reference")
    number_de = (
        f"Eingangsnummer: {reference}" if reference else "Ihr Beitrag hat keine Eingangsnummer (kein Verfahren)."
    )
    number_en = (
        f"Reference number: {reference}" if reference else "Your contribution has no reference number (no procedure)."
    )
    excerpt = _excerpt(contribution.get("text"))
    return _compose(
        f"Eingangsbestätigung {reference or ''} / Receipt".replace("  ", " "),
        [
            "Guten Tag,",
            f"vielen Dank. {_your(contribution.get('kind'))} {kind_de} ist am {str(contribution.get('created_at') or '')[:10]} eingegangen.",
            number_de,
            f"Stand: {status_de}",
            f"„{excerpt}“" if excerpt else "",
            f"Wir schreiben Ihnen, wenn sich der Stand von {name_de} ändert und wenn die Antwort veröffentlicht ist.",
        ],
        [
            "Hello,",
            f"thank you. Your {kind_en} was received on {str(contribution.get('created_at') or '')[:10]}.",
            number_en,
            f"State: {status_en}",
            f"We will write to you when the state of {name_en} changes and when the answer is published.",
        ],
        [("Stand ansehen", "See its state", status_url)] if status_url else [],
        unsubscribe_url,
    )


def status_changed(contribution: dict, status_url: str, unsubscribe_url: str) -> Mail:
    """Published, rejected (with the moderator's public note), being dealt with, done."""
    name_de, name_en = _name(contribution)
    status_de, status_en = _label(STATUS_LABELS, contribution.get("status"))
    note = (contribution.get("status_note") or "").strip()
    german = ["Guten Tag,", f"der Stand von {name_de} hat sich geändert: {status_de}."]
    english = ["Hello,", f"the state of {name_en} has changed: {status_en}."]
    if note:
        german.append(f"Hinweis der Moderation: {note}")
        english.append(f"Note from the moderators (in German): {note}")
    return _compose(
        f"{contribution.get('reference') or 'Ihr Beitrag'}: {status_de} / "
        f"{contribution.get('reference') or 'your contribution'}: {status_en}",
        german,
        english,
        [("Stand ansehen", "See its state", status_url)] if status_url else [],
        unsubscribe_url,
    )


def answer_published(contribution: dict, entries: list[dict], status_url: str, unsubscribe_url: str) -> Mail:
    """The planners' published Abwägung of a statement (whole or by sections)."""
    name_de, name_en = _name(contribution)
    german = ["Guten Tag,", f"zu {name_de} ist die Abwägung veröffentlicht:"]
    english = ["Hello,", f"the answer (Abwägung) to {name_en} is published:"]
    for entry in sorted(entries, key=lambda e: e.get("section_no") or 0):
        result_de, result_en = RESULTS.get(entry.get("result") or "", (entry.get("result") or "–",) * 2)
        section = f"Abschnitt {entry['section_no']}: " if entry.get("section_no") else ""
        section_en = f"Section {entry['section_no']}: " if entry.get("section_no") else ""
        german.append(f"{section}Ergebnis: {result_de}" + (f"\n{entry['proposal']}" if entry.get("proposal") else ""))
        english.append(
            f"{section_en}Result: {result_en}" + (" (answer in German above)" if entry.get("proposal") else "")
        )
    return _compose(
        f"{contribution.get('reference') or 'Ihr Beitrag'}: Antwort veröffentlicht / answer published",
        german,
        english,
        [("Antwort ansehen", "See the answer", status_url)] if status_url else [],
        unsubscribe_url,
    )
