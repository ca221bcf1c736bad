"""Texts of the Mängelmelder's photos, duplicate hint and the moderators' view of bursts (ui/reports.py)."""

REPORT_TEXTS: dict[str, tuple[str, str]] = {
    "photos.label": ("Fotos (bis zu 3, freiwillig)", "Photos (up to 3, optional)"),
    "photos.choose": ("Fotos auswählen oder hierher ziehen", "Choose photos or drop them here"),
    "photos.hint": (
        "JPEG, PNG, WebP oder HEIC, je höchstens {mb} MB. Ortsangaben (GPS) und andere Metadaten "
        "werden entfernt; sichtbar erst nach Prüfung.",
        "JPEG, PNG, WebP or HEIC, at most {mb} MB each. Location (GPS) and other metadata are "
        "removed; visible only once reviewed.",
    ),
    "photos.chosen": ("Ausgewählt: {names}", "Chosen: {names}"),
    "photos.too_many": ("Höchstens 3 Fotos – bitte weniger auswählen.", "At most 3 photos – please choose fewer."),
    "photos.sent": ("{n} Fotos hochgeladen.", "{n} photos uploaded."),
    "photos.failed": ("Fotos nicht übernommen: {detail}", "Photos not taken: {detail}"),
    "photos.heading": ("Fotos", "Photos"),
    "photos.alt": ("Foto {n} zur Meldung", "Photo {n} of the report"),
    "photos.remove": ("Foto {n} entfernen", "Remove photo {n}"),
    "photos.link": ("Verlinktes Foto (extern): {url}", "Linked photo (external): {url}"),
    "dup.heading": ("Schon gemeldet?", "Reported already?"),
    "dup.found": ("In der Nähe gibt es schon {n} Meldungen dieser Art:", "There are {n} reports of this kind nearby:"),
    "dup.pending": (
        "{n} weitere Meldungen dieser Art in der Nähe werden gerade geprüft.",
        "{n} more reports of this kind nearby are being reviewed.",
    ),
    "dup.item": (
        "{reference} · {distance} m entfernt · {status}: {text}",
        "{reference} · {distance} m away · {status}: {text}",
    ),
    "dup.support": ("Diese Meldung unterstützen", "Support this report"),
    "dup.support_of": ("Meldung {reference} unterstützen", "Support report {reference}"),
    "dup.supported": ("Danke – Ihre Unterstützung zählt ({n}).", "Thank you – your support counts ({n})."),
    "dup.support_failed": ("Unterstützen hat nicht geklappt: {detail}", "Supporting did not work: {detail}"),
    "honeypot.label": ("Webseite (bitte leer lassen)", "Website (please leave empty)"),
    "bursts.none": (
        "Keine auffälligen Häufungen in den letzten {minutes} Minuten.",
        "No suspicious bursts in the last {minutes} minutes.",
    ),
    "bursts.found": (
        "Auffällige Häufungen in den letzten {minutes} Minuten: {items} Beiträge/Varianten mit vielen "
        "Zustimmungen, {authors} Absender mit vielen Beiträgen, {clients} Adressen mit vielen Zugriffen.",
        "Suspicious bursts in the last {minutes} minutes: {items} contributions/variants with many likes, "
        "{authors} senders with many contributions, {clients} addresses with many requests.",
    ),
    "bursts.item": ("{kind} {id}: {likes} Zustimmungen", "{kind} {id}: {likes} likes"),
}
