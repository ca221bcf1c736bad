"""Every UI string in German (default) and English, in one table.

Components show translated text through :func:`T` (a span or any tag whose
children follow the language switch) or by calling :func:`t` inside callbacks.
One pattern-matching callback (``ui.layout``) re-renders every ``T`` when the
language changes, so panels keep their state (the map is never re-created).

The plain-language explanations of Festsetzungen live in ``ui.festsetzungen``;
this table holds the interface texts only.
"""

from __future__ import annotations

import itertools

from dash import html

from participation.model import CATEGORIES, RESULTS, STATUSES

LANGS = ("de", "en")
DEFAULT_LANG = "de"

#: key -> (German, English). Keep keys grouped by the panel that uses them.
TEXTS: dict[str, tuple[str, str]] = {
    # --- page frame ---------------------------------------------------------
    "app.title": ("Bürger-GIS", "Bürger-GIS"),
    "app.subtitle": ("Bebauungspläne verstehen und mitreden", "Understand zoning plans and have your say"),
    "app.skip": ("Zum Inhalt springen", "Skip to content"),
    "app.lang_label": ("Sprache", "Language"),
    "app.lang_de": ("Deutsch", "German"),
    "app.lang_en": ("Englisch", "English"),
    "app.nav_label": ("Ansichten", "Views"),
    "app.footer_api": ("Offene Schnittstelle (OGC API)", "Open interface (OGC API)"),
    "app.footer_data": (
        "Daten: Bebauungspläne Hamburg-Langenhorn (XPlanung, Testkopien), Gebäude teils synthetisch.",
        "Data: zoning plans Hamburg-Langenhorn (XPlanung, test copies), buildings partly synthetic.",
    ),
    "app.footer_licence": ("Freie Software (AGPL-3.0)", "Free software (AGPL-3.0)"),
    # --- legal and plain-language pages (ui/legal.py) ---------------------------------------------
    "app.footer_legal": ("Rechtliches und Hilfe", "Legal and help"),
    "map.skip_to_list": (
        "Karte überspringen: Pläne, Flächen und Beiträge als Liste",
        "Skip the map: plans, areas and contributions as a list",
    ),
    "legal.impressum": ("Impressum", "Legal notice"),
    "legal.datenschutz": ("Datenschutz", "Privacy"),
    "legal.barrierefreiheit": ("Barrierefreiheit", "Accessibility"),
    "legal.leichte-sprache": ("Leichte Sprache", "Easy language"),
    # --- tabs ----------------------------------------------------------------
    "tab.map": ("Karte", "Map"),
    "tab.3d": ("3D", "3D"),
    "tab.list": ("Liste", "List"),
    "tab.dashboard": ("Planer-Dashboard", "Planner dashboard"),
    # --- map -----------------------------------------------------------------
    "map.region": ("Karte der Bebauungspläne", "Map of the zoning plans"),
    "map.search_label": ("Ort oder Plan suchen", "Find a place or plan"),
    "map.search_placeholder": ("Adresse, Straße, Plan oder z. B. WA", "Address, street, plan or e.g. WA"),
    "map.search_nothing": (
        "Nichts gefunden. Versuchen Sie eine andere Schreibweise oder nur den Straßennamen.",
        "Nothing found. Try another spelling or the street name alone.",
    ),
    "map.search_found": ("{n} Treffer, mit Pfeil nach unten zur Liste", "{n} results, arrow down to the list"),
    "map.search_failed": (
        "Die Suche ist gerade nicht erreichbar; Pläne werden weiter gefunden.",
        "The search is not reachable right now; plans are still found.",
    ),
    "map.showing": ("Die Karte zeigt: {name}", "The map shows: {name}"),
    "search.kind.address": ("Adresse", "Address"),
    "search.kind.street": ("Straße", "Street"),
    "search.kind.place": ("Ort", "Place"),
    "search.kind.plan": ("Plan", "Plan"),
    "search.kind.zone": ("Baugebiet", "Building zone"),
    "search.kind.geocoder": ("Online-Suche", "Online search"),
    "map.locate": ("Standort verwenden", "Use my location"),
    "map.locate_hint": (
        "Erst nach dem Klick fragt Ihr Browser um Erlaubnis; der Standort wird nicht gespeichert.",
        "Only after the click does your browser ask for permission; the location is not stored.",
    ),
    "map.locate_wait": ("Standort wird ermittelt …", "Finding your location …"),
    "map.locate_done": (
        "Die Karte zeigt Ihren Standort (auf etwa {m} m genau).",
        "The map shows your location (to about {m} m).",
    ),
    "map.locate_failed": (
        "Standort nicht verfügbar (nicht erlaubt oder nicht ermittelbar). Die Karte funktioniert "
        "auch ohne: suchen Sie eine Adresse.",
        "Location not available (not allowed or not found). The map works without it: search for an address.",
    ),
    "map.layers": ("Ebenen", "Layers"),
    "map.zoom_in_for": (
        "Erst ab Zoomstufe {zoom} sichtbar (zu viele für die ganze Stadt), bitte hineinzoomen: {layers}",
        "Shown from zoom level {zoom} on (too many for the whole city), please zoom in: {layers}",
    ),
    "map.details_from": (
        "{layers}: ab Zoomstufe {zoom} oder nach Auswahl eines Plans.",
        "{layers}: shown from zoom level {zoom} on or once you choose a plan.",
    ),
    "map.legend": ("Legende", "Legend"),
    "map.help": (
        "Tipp: Klicken Sie auf eine farbige Fläche, um ihre Festsetzungen in einfacher Sprache zu lesen. "
        "Ohne Maus: Plan oben auswählen oder die Ansicht „Liste“ nutzen.",
        "Tip: click a coloured area to read its provisions in plain language. "
        "Without a mouse: choose a plan above or use the “List” view.",
    ),
    "layer.bp_plan": ("Geltungsbereiche", "Plan boundaries"),
    "layer.bp_baugebiet": ("Baugebiete (Art der Nutzung)", "Building zones (type of use)"),
    "layer.bp_baugrenze": ("Baugrenzen und Baulinien", "Building limits and lines"),
    "layer.xplan_objekt": ("Weitere Planinhalte (Planzeichen)", "Further plan contents (plan symbols)"),
    "layer.bp_gruenflaeche": ("Grünflächen", "Green spaces"),
    "layer.bp_verkehrsflaeche": ("Verkehrsflächen", "Traffic areas"),
    "layer.bp_planraster": ("Planzeichnung (Bild)", "Plan drawing (image)"),
    "layer.buildings": ("Gebäude (Bestand)", "Buildings (existing)"),
    "layer.streets": ("Straßen", "Streets"),
    "layer.parcels": ("Flurstücke", "Parcels"),
    "layer.contributions": ("Beiträge", "Contributions"),
    "layer.osm": ("Stadtplan online (OpenStreetMap)", "Online street map (OpenStreetMap)"),
    "layer.basemap": ("Hintergrundkarte", "Background map"),
    "layer.background": (
        "Hintergrund aus eigenen Daten (Straßen, Wasser, Grün)",
        "Background from own data (streets, water, green)",
    ),
    "layer.raster_opacity": ("Deckkraft der Planzeichnung", "Opacity of the plan drawing"),
    "legend.baugrenze": ("Baugrenze (gestrichelt)", "Building limit (dashed)"),
    "legend.baulinie": ("Baulinie", "Building line"),
    "legend.plan": ("Geltungsbereich", "Plan boundary"),
    "legend.building": ("Gebäude", "Building"),
    "legend.building_synthetic": ("Gebäude, synthetisch", "Building, synthetic"),
    "legend.gruen": ("Grünfläche", "Green space"),
    "legend.verkehr": ("Verkehrsfläche", "Traffic area"),
    "legend.contribution": ("Beitrag", "Contribution"),
    # --- plan panel ----------------------------------------------------------
    "panel.title": ("Details", "Details"),
    "panel.empty": (
        "Wählen Sie einen Plan oder klicken Sie in der Karte auf eine Fläche.",
        "Choose a plan or click an area on the map.",
    ),
    "panel.close": ("Auswahl aufheben", "Clear selection"),
    "panel.plan": ("Bebauungsplan", "Zoning plan"),
    "panel.zone": ("Baugebietsteilfläche", "Building zone"),
    "panel.line": ("Baugrenze / Baulinie", "Building limit / line"),
    "panel.festsetzungen": ("Was hier gilt (einfach erklärt)", "What applies here (plain language)"),
    "panel.overview": ("Festsetzungen im Überblick", "Provisions at a glance"),
    "panel.zone_count": ("{n} Flächen", "{n} areas"),
    "panel.no_festsetzungen": ("Für diese Fläche sind keine Maße festgesetzt.", "No measures are fixed for this area."),
    "panel.status": ("Stand des Verfahrens", "Status of the procedure"),
    "panel.participation": ("Beteiligung", "Participation"),
    "panel.texts": ("Textliche Festsetzungen", "Textual provisions"),
    "panel.no_texts": ("Keine textlichen Festsetzungen hinterlegt.", "No textual provisions recorded."),
    "panel.contributions": ("Beiträge zu diesem Plan", "Contributions on this plan"),
    "panel.no_contributions": ("Noch keine freigegebenen Beiträge.", "No approved contributions yet."),
    "panel.contributions_unavailable": (
        "Beiträge sind noch nicht verfügbar (Sammlung „contributions“ fehlt).",
        "Contributions are not available yet (collection “contributions” missing).",
    ),
    "panel.of_plan": ("Teil des Plans", "Part of plan"),
    "panel.zoom": ("In der Karte zeigen", "Show on map"),
    "panel.load_error": ("Die Daten konnten nicht geladen werden.", "The data could not be loaded."),
    "panel.likes": ("Zustimmungen", "likes"),
    "panel.like_count": ("{n} Zustimmungen", "{n} likes"),
    "panel.like_withdraw": ("Zustimmung zurücknehmen", "Withdraw your like"),
    "panel.pending_actions": (
        "Zustimmen und Antworten sind möglich, sobald die Verwaltung den Beitrag geprüft und freigegeben hat.",
        "Liking and replying are possible once the administration has checked and approved the contribution.",
    ),
    "panel.like_failed": ("Die Zustimmung wurde nicht gespeichert ({detail}).", "The like was not stored ({detail})."),
    "panel.replies": ("Antworten", "replies"),
    "panel.like": ("Zustimmen", "Like"),
    "panel.reply": ("Antworten", "Reply"),
    "panel.anonymous": ("anonym", "anonymous"),
    # --- contribution form ---------------------------------------------------
    "form.title": ("Beitrag schreiben", "Write a contribution"),
    "form.intro": (
        "Zeichnen Sie in der Karte einen Punkt, eine Linie oder eine Fläche (Werkzeuge links oben in der Karte) – "
        "oder beziehen Sie sich auf die ausgewählte Fläche.",
        "Draw a point, line or area on the map (tools at the top left of the map) – or refer to the selected area.",
    ),
    "form.kind": ("Art des Beitrags", "Kind of contribution"),
    "form.kind.kommentar": ("Hinweis / Kommentar zum Plan", "Comment on the plan"),
    "form.kind.vorschlag": ("Vorschlag", "Proposal"),
    "form.kind.maengelmeldung": ("Mängelmeldung", "Defect report"),
    "form.category": ("Thema", "Topic"),
    "form.reply_to": ("Antwort auf: „{text}“", "Reply to: “{text}”"),
    "form.reply_cancel": ("Keine Antwort, neuer Beitrag", "Not a reply, new contribution"),
    "form.text": ("Ihr Text", "Your text"),
    "form.text_hint": (
        "Höchstens 2.000 Zeichen. Bitte keine persönlichen Daten.",
        "At most 2,000 characters. Please no personal data.",
    ),
    "form.pseudonym_hint": (
        "Höchstens 40 Zeichen; wird öffentlich angezeigt.",
        "At most 40 characters; shown publicly.",
    ),
    "form.pseudonym": ("Name oder Pseudonym (freiwillig)", "Name or pseudonym (optional)"),
    "form.link": ("Bezug zur ausgewählten Fläche herstellen", "Link to the selected area"),
    "form.linked_to": ("Bezug", "Linked to"),
    "form.no_link": ("Keine Fläche ausgewählt.", "No area selected."),
    "form.geometry": ("Ort", "Location"),
    "form.geometry_none": ("Noch nichts gezeichnet.", "Nothing drawn yet."),
    "form.geometry_drawn": (
        "Gezeichnet: {n} Objekte, verwendet wird das zuletzt gezeichnete ({kind}).",
        "Drawn: {n} objects; the last one drawn is used ({kind}).",
    ),
    "form.geometry_selected": (
        "Ohne Zeichnung wird die Mitte der ausgewählten Fläche verwendet (wenn der Bezug gesetzt ist).",
        "Without a drawing the centre of the selected area is used (when linked).",
    ),
    "form.use_centre": ("Kartenmitte als Ort verwenden", "Use the map centre as location"),
    "form.geometry_centre": ("Ort: Kartenmitte ({lat}, {lon}).", "Location: map centre ({lat}, {lon})."),
    "form.submit": ("Beitrag absenden", "Submit contribution"),
    "form.sent": (
        "Danke! Ihr Beitrag ist eingegangen. Er erscheint nach der Prüfung (Moderation) für alle.",
        "Thank you! Your contribution was received. It will appear for everyone after moderation.",
    ),
    "form.sent_reference": (
        "Danke! Ihre Stellungnahme ist eingegangen. Ihre Eingangsnummer: {reference}. Bitte notieren Sie sie: "
        "unter dieser Nummer sehen Sie den Stand und später das Ergebnis der Abwägung. Sie erscheint nach der "
        "Prüfung (Moderation) für alle.",
        "Thank you! Your statement was received. Your reference number: {reference}. Please note it: with this "
        "number you can follow its state and, later, the result of the Abwägung (how it was weighed). It will "
        "appear for everyone after moderation.",
    ),
    "form.err.text": (
        "Bitte schreiben Sie einen Text (mindestens 3 Zeichen).",
        "Please write a text (at least 3 characters).",
    ),
    "form.err.text_long": (
        "Der Text ist zu lang (höchstens 2.000 Zeichen).",
        "The text is too long (at most 2,000 characters).",
    ),
    "form.err.geometry": (
        "Bitte zeichnen Sie einen Ort in der Karte oder wählen Sie eine Fläche aus.",
        "Please draw a location on the map or select an area.",
    ),
    "form.err.401": (
        "Sie sind nicht angemeldet oder das Schreiben ist hier nicht erlaubt (401). Bitte melden Sie sich an.",
        "You are not signed in or writing is not allowed here (401). Please sign in.",
    ),
    "form.err.403": (
        "Das ist gerade nicht erlaubt (403).",
        "This is not allowed right now (403).",
    ),
    "form.err.404": (
        "Beiträge können noch nicht angenommen werden: die Sammlung „contributions“ gibt es auf diesem Server noch nicht (404).",
        "Contributions cannot be accepted yet: this server has no “contributions” collection (404).",
    ),
    "form.err.413": ("Der Beitrag ist zu groß (413).", "The contribution is too large (413)."),
    "form.err.4xx": (
        "Der Beitrag wurde nicht angenommen ({status}): {detail}",
        "The contribution was not accepted ({status}): {detail}",
    ),
    "form.err.5xx": (
        "Der Server hat einen Fehler gemeldet ({status}). Bitte versuchen Sie es später erneut.",
        "The server reported an error ({status}). Please try again later.",
    ),
    "form.err.network": (
        "Der Server ist nicht erreichbar. Bitte prüfen Sie die Verbindung.",
        "The server cannot be reached. Please check the connection.",
    ),
    "procedures.open_now": ("Beteiligung läuft", "Participation open now"),
    "procedures.plans_n": ("Pläne des Verfahrens ({n})", "Plans of the procedure ({n})"),
    "mine.title": ("Meine Beiträge", "My contributions"),
    "mine.none": (
        "Von diesem Gerät wurde noch nichts eingereicht.",
        "Nothing has been submitted from this device yet.",
    ),
    "mine.count": (
        "{n} von diesem Gerät eingereicht (auch die noch nicht geprüften).",
        "{n} submitted from this device (including those not yet reviewed).",
    ),
    "mine.delete": ("Löschen", "Delete"),
    "mine.delete_of": ("{what} löschen", "Delete {what}"),
    "mine.deleted": (
        "Gelöscht. Der Beitrag ist mit allem, was an ihm hing, entfernt.",
        "Deleted. The contribution and everything attached to it are gone.",
    ),
    "mine.delete_failed": ("Löschen nicht möglich ({status}).", "Could not delete ({status})."),
    "mine.notify_confirmed": ("Neuigkeiten per E-Mail: an ({email})", "E-mail updates: on ({email})"),
    "mine.notify_pending": (
        "Neuigkeiten per E-Mail: warten auf Ihre Bestätigung ({email})",
        "E-mail updates: waiting for your confirmation ({email})",
    ),
    "form.notify_email": (
        "Über Neuigkeiten per E-Mail informieren (freiwillig)",
        "Tell me about news by e-mail (optional)",
    ),
    "form.notify_hint": (
        "Wir schreiben Ihnen nur zu diesem Beitrag: Eingang, Prüfung, Antwort. Erst nach Bestätigung über einen "
        "Link; die Adresse wird nie veröffentlicht und mit dem Beitrag oder beim Abbestellen gelöscht.",
        "We write only about this contribution: receipt, review, answer. Only after you confirm by a link; the "
        "address is never published and is deleted with the contribution or when you unsubscribe.",
    ),
    "form.notify_sent": (
        "Bitte bestätigen Sie Ihre E-Mail-Adresse über den Link, den wir Ihnen geschickt haben.",
        "Please confirm your e-mail address with the link we sent you.",
    ),
    "feeds.contributions": (
        "Neue Beiträge zu diesem Plan als Feed (Atom)",
        "New contributions on this plan as a feed (Atom)",
    ),
    "feeds.procedures": (
        "Beteiligungsverfahren dieses Plans als Feed (Atom)",
        "Participation procedures of this plan as a feed (Atom)",
    ),
    "lookup.title": ("Stand einer Stellungnahme abfragen", "Follow a statement"),
    "lookup.label": ("Eingangsnummer", "Reference number"),
    "lookup.submit": ("Abfragen", "Look up"),
    "lookup.unknown": (
        "Zu „{reference}“ gibt es keine Stellungnahme. Bitte prüfen Sie die Nummer.",
        "There is no statement “{reference}”. Please check the number.",
    ),
    "lookup.status": ("Stand: {status}", "State: {status}"),
    "lookup.late": (
        "Nach dem Ende des Verfahrens eingegangen und von der Verwaltung zugelassen.",
        "Received after the procedure ended and admitted by the administration.",
    ),
    "lookup.note": ("Hinweis der Moderation: {note}", "Note from moderation: {note}"),
    "lookup.pending": (
        "Das Ergebnis der Abwägung ist noch nicht veröffentlicht.",
        "The result of the Abwägung (weighing) is not published yet.",
    ),
    "lookup.result": ("Ergebnis der Abwägung", "Result of the Abwägung"),
    "lookup.section": ("Abschnitt {n}", "Section {n}"),
    "lookup.decision": ("Beschluss: {decision}", "Decision: {decision}"),
    "form.general_closed": (
        "Hinweise und Vorschläge gehören zu einem Plan im Beteiligungsverfahren: wählen Sie den Plan in der Karte "
        "oder Liste und lassen Sie „Bezug zur ausgewählten Fläche herstellen“ an. Mängelmeldungen sind jederzeit möglich.",
        "Comments and proposals belong to a plan in a participation procedure: select the plan on the map or in "
        "the list and keep “Link to the selected area” on. Defect reports are possible at any time.",
    ),
    # --- 3D ------------------------------------------------------------------
    "3d.region": ("3D-Ansicht: Gebäude und zulässige Bebauung", "3D view: buildings and permitted building volume"),
    "3d.camera": ("Blickwinkel", "Camera"),
    "3d.cam.overview": ("Übersicht", "Overview"),
    "3d.cam.oblique": ("Schräg von Süden", "Oblique from the south"),
    "3d.cam.top": ("Von oben", "From above"),
    "3d.cam.street": ("Straßenperspektive", "Street level"),
    "3d.layers": ("Im 3D-Modell zeigen", "Show in the 3D model"),
    "3d.buildings": ("Gebäude (Bestand, LoD1)", "Buildings (existing, LoD1)"),
    "3d.envelope": ("Zulässiges Bauvolumen laut Plan", "Building volume permitted by the plan"),
    "3d.contributions": ("Beiträge (Stecknadeln)", "Contributions (pins)"),
    "3d.explain": (
        "Graue Körper: vorhandene Gebäude, nach Höhe hochgezogen (synthetische Gebäude sind heller). "
        "Durchscheinend orange: was der Plan höchstens erlaubt – Baufläche × Zahl der Vollgeschosse × 3 m.",
        "Grey blocks: existing buildings extruded by height (synthetic buildings are lighter). "
        "Translucent orange: the most the plan permits – buildable area × number of full storeys × 3 m.",
    ),
    "3d.synthetic_note": (
        "Hinweis: Die Gebäude in Langenhorn sind synthetisch (erzeugt, keine Vermessung).",
        "Note: the buildings in Langenhorn are synthetic (generated, not surveyed).",
    ),
    "3d.envelope_note": (
        "Zulässiges Bauvolumen: {n} Bauflächen – {plans}.",
        "Permitted volume: {n} building areas – {plans}.",
    ),
    "3d.all_plans": ("alle Pläne", "all plans"),
    "3d.choose_plan": (
        "Wählen Sie einen Plan (Karte, Liste oder Suche), um sein zulässiges Bauvolumen zu sehen.",
        "Choose a plan (map, list or search) to see its permitted volume.",
    ),
    "variants.not_here": (
        "Die Planungsvarianten betreffen Pläne, die hier nicht geladen sind; gezeigt wird der Gebäudebestand.",
        "The planning variants concern plans not loaded here; the stored buildings are shown.",
    ),
    # --- scenario variants (3D view) ------------------------------------------
    "variants.heading": ("Varianten vergleichen", "Compare variants"),
    "variants.a": ("Variante A", "Variant A"),
    "variants.b": ("Variante B", "Variant B"),
    "variants.mode": ("Darstellung", "Display"),
    "variants.mode.a": ("Nur A", "A only"),
    "variants.mode.b": ("Nur B", "B only"),
    "variants.mode.side": ("Nebeneinander", "Side by side"),
    "variants.explain": (
        "Die Gebäude der Varianten rechnet der Dienst „Planungsszenario rechnen“ (OGC API Processes). "
        "Nebeneinander: links A, rechts B.",
        "The variants' buildings are computed by the “Run a planning scenario” service (OGC API Processes). "
        "Side by side: A on the left, B on the right.",
    ),
    "variants.region_b": ("3D-Ansicht der Variante B", "3D view of variant B"),
    "variants.loading": ("Varianten werden gerechnet …", "Computing the variants …"),
    "variants.unavailable": (
        "Die Varianten konnten gerade nicht gerechnet werden; gezeigt wird der Bestand.",
        "The variants could not be computed just now; the existing buildings are shown.",
    ),
    "variants.none": ("Keine Szenarien vorhanden.", "No scenarios available."),
    "variants.compare": ("Kennzahlen im Vergleich", "Indicators compared"),
    "variants.caption": ("Kennzahlen von A ({a}) nach B ({b})", "Indicators from A ({a}) to B ({b})"),
    "variants.same": (
        "A und B sind dieselbe Variante; alle Differenzen sind null.",
        "A and B are the same variant; all differences are zero.",
    ),
    "variants.col.indicator": ("Kennzahl", "Indicator"),
    "variants.col.delta": ("Differenz B − A", "Difference B − A"),
    "variants.col.relative": ("relativ", "relative"),
    "variants.ind.floor_area": ("Geschossfläche", "Floor area"),
    "variants.ind.grz": ("GRZ (Grundflächenzahl)", "GRZ (site coverage ratio)"),
    "variants.ind.gfz": ("GFZ (Geschossflächenzahl)", "GFZ (floor area ratio)"),
    "variants.ind.dwellings": ("Wohneinheiten (geschätzt)", "Dwellings (estimated)"),
    "variants.ind.residents": ("Einwohner (geschätzt)", "Residents (estimated)"),
    "variants.ind.sealed_share": ("Versiegelter Anteil", "Sealed share"),
    "variants.ind.violations": ("Verstöße gegen Festsetzungen", "Violations of the provisions"),
    # --- the comparison neighbours understand (ui/variants.py, ui/sun_compare.py) -------------------------
    "variants.whole_area": ("Im ganzen Gebiet", "In the whole area"),
    "variants.by_zone": ("Je betroffene Fläche", "Per affected area"),
    "variants.zone_count": ("{n} Flächen geändert", "{n} areas changed"),
    "variants.no_zone_change": ("Keine Fläche ändert sich zwischen A und B.", "No area changes between A and B."),
    "variants.summary": (
        "Von A nach B: {floor} Geschossfläche, etwa {dwellings} Wohnungen und {residents} "
        "Einwohnerinnen und Einwohner.",
        "From A to B: {floor} floor area, about {dwellings} dwellings and {residents} residents.",
    ),
    "variants.buildings_changed": (
        "Gebäude: {added} neu, {changed} verändert, {removed} abgerissen.",
        "Buildings: {added} new, {changed} changed, {removed} demolished.",
    ),
    "variants.assumptions": (
        "So ist geschätzt: eine Wohnung je {m2} m² Geschossfläche (Wohnfläche plus Wände, "
        "Flure, Keller), {persons} Personen je Wohnung.",
        "How this is estimated: one dwelling per {m2} m² of floor area (living space plus "
        "walls, corridors, cellars), {persons} persons per dwelling.",
    ),
    "variants.assumptions_ab": (
        "So ist geschätzt: in A eine Wohnung je {m2_a} m² Geschossfläche und {persons_a} "
        "Personen je Wohnung, in B je {m2_b} m² und {persons_b} Personen.",
        "How this is estimated: in A one dwelling per {m2_a} m² of floor area and "
        "{persons_a} persons per dwelling, in B per {m2_b} m² and {persons_b} persons.",
    ),
    "variants.points": ("Prozentpunkte", "percentage points"),
    "variants.col.zone": ("Fläche", "Area"),
    "variants.col.grz": ("GRZ A → B (zulässig)", "GRZ A → B (permitted)"),
    "variants.col.floor": ("Geschossfläche B − A", "Floor area B − A"),
    "variants.col.dwellings": ("Wohnungen B − A", "Dwellings B − A"),
    "variants.col.residents": ("Einwohner B − A", "Residents B − A"),
    "variants.zones_caption": (
        "Was sich je Fläche ändert, von A ({a}) nach B ({b})",
        "What changes per area, from A ({a}) to B ({b})",
    ),
    "variants.grz_explain": (
        "GRZ: welcher Teil des Grundstücks überbaut ist (0,4 = 40 %).",
        "GRZ: the part of the plot built on (0.4 = 40 %).",
    ),
    "sun.heading": ("Sonne an einem Ort", "Sun at one place"),
    "sun.explain": (
        "Wie viele Stunden Sonne ein Ort am 21. März und am 21. Dezember bekommt, in A und in B. "
        "Wählen Sie eine Fläche oder klicken Sie in die 3D-Ansicht.",
        "How many hours of sun a place gets on 21 March and 21 December, in A and in B. "
        "Choose an area or click into the 3D view.",
    ),
    "sun.place_north_of": ("nördlich von {name}", "north of {name}"),
    "sun.place_clicked": ("der angeklickte Ort", "the place clicked"),
    "sun.caption": ("Sonnenstunden {place} ({lat}, {lon})", "Hours of sun {place} ({lat}, {lon})"),
    "sun.col.day": ("Tag", "Day"),
    "sun.col.lost": ("Unterschied B − A", "Difference B − A"),
    "sun.day.march": ("21. März", "21 March"),
    "sun.day.december": ("21. Dezember", "21 December"),
    "sun.hours": ("{h} Std.", "{h} h"),
    "sun.choose": ("Ort für die Sonnenstunden", "Place for the hours of sun"),
    "sun.failed": ("Die Sonnenstunden konnten nicht gerechnet werden.", "The hours of sun could not be computed."),
    "sun.note": (
        "Gerechnet mit den Gebäudehöhen im Umkreis von 250 m, ohne Bäume und Gelände; alle 10 Minuten "
        "zählt, ob der Ort in der Sonne liegt.",
        "Computed from the building heights within 250 m, without trees or terrain; every 10 minutes "
        "counts whether the place is in the sun.",
    ),
    "3d.legend": ("Farben der Gebäude", "Colours of the buildings"),
    "3d.legend.new": ("neu gegenüber heute", "new compared with today"),
    "3d.legend.changed": (
        "verändert (höher, niedriger, anderer Grundriss)",
        "changed (taller, lower, other footprint)",
    ),
    "3d.legend.existing": ("bestehend", "existing"),
    "3d.legend.synthetic": ("bestehend, Höhe geschätzt (synthetisch)", "existing, height estimated (synthetic)"),
    "3d.legend.envelope": ("zulässiges Bauvolumen nach Bebauungsplan", "volume the zoning plan permits"),
    "3d.legend.pin": ("Beitrag von Bürgerinnen und Bürgern", "citizens' contribution"),
    # --- list ----------------------------------------------------------------
    "list.region": ("Listenansicht", "List view"),
    "list.search": ("Suchen", "Search"),
    "list.search_placeholder": ("Suchbegriff, z. B. WA oder Langenhorn", "Search term, e.g. WA or Langenhorn"),
    "list.what": ("Inhalt", "Content"),
    "list.what.plans": ("Bebauungspläne", "Zoning plans"),
    "list.what.objects": ("Alle Planinhalte", "All plan contents"),
    "list.objects_choose_plan": (
        "Bitte unten einen Plan wählen: Dann stehen hier alle seine Inhalte, nach Themen geordnet und erklärt.",
        "Please choose a plan below: all its contents are then listed here, grouped by topic and explained.",
    ),
    "col.object": ("Inhalt", "Content"),
    "col.label": ("Beschriftung", "Label"),
    "col.values": ("Festgesetzte Werte", "Values set"),
    "list.what.zones": ("Festsetzungen (Baugebiete)", "Provisions (building zones)"),
    "list.what.texts": ("Textliche Festsetzungen", "Textual provisions"),
    "list.what.contributions": ("Beiträge", "Contributions"),
    "list.what.variants": ("Planungsvarianten", "Planning variants"),
    "col.variant": ("Variante", "Variant"),
    "col.floor_area": ("Geschossfläche", "Floor area"),
    "col.grz": ("GRZ", "GRZ"),
    "col.gfz": ("GFZ", "GFZ"),
    "col.dwellings": ("Wohneinheiten (geschätzt)", "Dwellings (estimated)"),
    "col.violations": ("Verstöße", "Violations"),
    "col.likes": ("Bevorzugt von", "Preferred by"),
    "variants.prefer": ("Bevorzugen", "Prefer"),
    "variants.prefer_of": ("Variante „{name}“ bevorzugen, bisher {n}", "Prefer the variant “{name}”, so far {n}"),
    "variants.synthetic_note": ("(gerechnet auf synthetischem Gebäudebestand)", "(computed on synthetic buildings)"),
    "variants.none_stored": (
        "Noch keine gerechneten Varianten gespeichert (buergergis run-scenarios).",
        "No computed variants stored yet (buergergis run-scenarios).",
    ),
    "list.plan_filter": ("Plan", "Plan"),
    "list.all_plans": ("Alle Pläne", "All plans"),
    "list.count": ("{n} Einträge", "{n} entries"),
    "list.details": ("Details", "Details"),
    "list.details_of": ("Details zu {name}", "Details of {name}"),
    "list.empty": ("Keine Einträge gefunden.", "No entries found."),
    "list.caption": ("{what}: {n} Einträge", "{what}: {n} entries"),
    "list.caption_part": (
        "{what}: die ersten {shown} von {n} Einträgen (Suche und Planfilter grenzen ein)",
        "{what}: the first {shown} of {n} entries (search and the plan filter narrow it down)",
    ),
    "list.many_plans": (
        "{n} Pläne: geben Sie Nummer oder Name des Plans in die Suche ein.",
        "{n} plans: type the plan's number or name into the search.",
    ),
    "list.more": ("Weitere {k} anzeigen", "Show {k} more"),
    "list.contributions_newest": (
        "Durchsucht werden die neuesten {n} von {total} Beiträgen; der Planfilter holt die Beiträge eines Plans.",
        "Searching the newest {n} of {total} contributions; the plan filter fetches the contributions of one plan.",
    ),
    "col.name": ("Name", "Name"),
    "col.nummer": ("Nummer", "Number"),
    "col.rechtsstand": ("Rechtsstand", "Legal status"),
    "col.participation": ("Beteiligung", "Participation"),
    "col.plan": ("Plan", "Plan"),
    "col.art": ("Art der Nutzung", "Type of use"),
    "col.measures": ("Maß der Nutzung", "Intensity of use"),
    "col.explanation": ("Einfach erklärt", "Plain language"),
    "col.key": ("Nr.", "No."),
    "col.text": ("Text", "Text"),
    "col.kind": ("Art", "Kind"),
    "col.status": ("Status", "Status"),
    "col.date": ("Datum", "Date"),
    "col.action": ("Aktion", "Action"),
    # --- dashboard -----------------------------------------------------------
    "dash.region": ("Planer-Dashboard", "Planner dashboard"),
    "dash.intro": (
        "Überblick über die Beteiligung; nach der Anmeldung als Moderation oder Planung auch die Warteschlange "
        "zum Freigeben und Ablehnen.",
        "Overview of participation; signed in as a moderator or planner also the queue to approve and reject.",
    ),
    "dash.refresh": ("Aktualisieren", "Refresh"),
    "dash.login": ("Anmelden", "Sign in"),
    "dash.logout": ("Abmelden", "Sign out"),
    "dash.signed_in_as": ("Angemeldet als {name} ({role})", "Signed in as {name} ({role})"),
    "dash.session_expired": (
        "Ihre Anmeldung ist abgelaufen oder beendet. Bitte melden Sie sich erneut an; "
        "bis dahin sehen Sie nur öffentliche Beiträge.",
        "Your session has expired or ended. Please sign in again; until then you see only public contributions.",
    ),
    "dash.sign_in_unavailable": (
        "Die Anmeldung für Mitarbeitende ist in dieser Installation nicht eingerichtet.",
        "Staff sign-in is not set up for this installation.",
    ),
    "dash.no_staff_role": (
        "Ihr Konto hat keine Rolle für Moderation oder Planung; gezeigt werden nur öffentliche Beiträge.",
        "Your account has no moderator or planner role; only public contributions are shown.",
    ),
    "role.citizen": ("ohne Rolle", "no staff role"),
    "role.moderator": ("Moderation", "moderator"),
    "role.planner": ("Planung", "planner"),
    "role.admin": ("Administration", "admin"),
    "dash.signed_in": (
        "Angemeldet: Zahlen und Warteschlange enthalten alle Beiträge.",
        "Signed in: counts and queue include all contributions.",
    ),
    "dash.public_only": (
        "Ohne Anmeldung zählen nur öffentliche (freigegebene) Beiträge.",
        "Without signing in only public (approved) contributions are counted.",
    ),
    "dash.bad_token": (
        "Das Token wurde nicht akzeptiert; gezeigt werden nur öffentliche Beiträge.",
        "The token was not accepted; only public contributions are shown.",
    ),
    "dash.queue": ("Moderation: wartende Beiträge", "Moderation: waiting contributions"),
    "dash.queue_caption": ("{n} Beiträge warten auf Prüfung", "{n} contributions waiting for review"),
    "dash.queue_empty": ("Keine Beiträge warten auf Prüfung.", "No contributions are waiting for review."),
    "dash.approve": ("Freigeben", "Approve"),
    "dash.reject": ("Ablehnen", "Reject"),
    "dash.moderated": ("Erledigt: Beitrag ist jetzt „{status}“.", "Done: the contribution is now “{status}”."),
    "col.author": ("Verfasst von", "Written by"),
    "dash.total": ("Beiträge gesamt", "Contributions in total"),
    "dash.plans": ("Bebauungspläne", "Zoning plans"),
    "dash.zones": ("Baugebietsteilflächen", "Building zones"),
    "dash.buildings": ("Gebäude", "Buildings"),
    "dash.by_status": ("nach Status", "by status"),
    "dash.by_kind": ("nach Art", "by kind"),
    "dash.by_plan": ("nach Plan", "by plan"),
    "dash.by_week": ("nach Woche", "by week"),
    "dash.none": ("Keine Daten.", "No data."),
    "dash.unavailable": (
        "Die Sammlung „contributions“ ist noch nicht verfügbar; Zahlen erscheinen, sobald sie existiert.",
        "The “contributions” collection is not available yet; counts appear once it exists.",
    ),
    # --- Verwaltung / Administration (ui/admin.py, procedures.py, moderation.py, abwaegung.py) ----
    "tab.admin": ("Verwaltung", "Administration"),
    "admin.region": ("Verwaltung: Beteiligungsverfahren", "Administration: participation procedures"),
    "admin.intro": (
        "Für Mitarbeitende: Verfahren eröffnen, Beiträge moderieren, Stellungnahmen abwägen.",
        "For staff: open procedures, moderate contributions, weigh statements.",
    ),
    "admin.citizen_note": (
        "Dieser Bereich ist für Mitarbeitende der Verwaltung (Planung und Moderation). Alles "
        "Öffentliche finden Sie in Karte und Liste.",
        "This area is for the administration's staff (planning and moderation). Everything "
        "public is in the map and the list.",
    ),
    "admin.no_role": (
        "Ihr Konto hat keine Rolle für Moderation oder Planung.",
        "Your account has no moderator or planner role.",
    ),
    "admin.screens": ("Bereiche der Verwaltung", "Administration areas"),
    "admin.screen.procedures": ("Verfahren", "Procedures"),
    "admin.screen.moderation": ("Moderation", "Moderation"),
    "admin.screen.abwaegung": ("Abwägung", "Abwägung (weighing)"),
    "admin.err.401": (
        "Ihre Anmeldung ist abgelaufen (401). Bitte melden Sie sich erneut an.",
        "Your session has expired (401). Please sign in again.",
    ),
    "admin.err.403": ("Dafür fehlt Ihrer Rolle die Berechtigung (403).", "Your role may not do this (403)."),
    "admin.err.4xx": ("Nicht angenommen ({status}): {detail}", "Not accepted ({status}): {detail}"),
    "admin.err.read": (
        "Die Daten konnten nicht geladen werden ({status}).",
        "The data could not be loaded ({status}).",
    ),
    "common.cancel": ("Abbrechen", "Cancel"),
    "common.late": ("verspätet", "late"),
    "col.title": ("Titel", "Title"),
    "col.plans": ("Pläne", "Plans"),
    "col.period": ("Zeitraum", "Period"),
    "col.state": ("Stand", "State"),
    "col.statements": ("Stellungnahmen", "Statements"),
    "col.pick": ("Auswahl", "Select"),
    "col.reference": ("Nummer", "Reference"),
    "col.contribution": ("Beitrag", "Contribution"),
    "col.received": ("Eingang", "Received"),
    "col.plan_object": ("Plan / Bezug", "Plan / object"),
    "col.abwaegung": ("Abwägung", "Abwägung"),
    "col.when": ("Zeitpunkt", "When"),
    "col.who": ("Wer", "Who"),
    "col.role": ("Rolle", "Role"),
    "col.what": ("Handlung", "Action"),
    "col.target": ("Betrifft", "Concerns"),
    # procedures
    "proc.heading": ("Beteiligungsverfahren", "Participation procedures"),
    "proc.caption": ("Verfahren, neueste zuerst: {n}", "Procedures, newest first: {n}"),
    "proc.none": ("Noch keine Verfahren.", "No procedures yet."),
    "proc.kind.fruehzeitig": ("Frühzeitige Beteiligung (§ 3 Abs. 1 BauGB)", "Early participation (§ 3 (1) BauGB)"),
    "proc.kind.veroeffentlichung": ("Veröffentlichung (§ 3 Abs. 2 BauGB)", "Publication (§ 3 (2) BauGB)"),
    "proc.kind.behoerden": ("Behördenbeteiligung (§ 4 BauGB)", "Authorities (§ 4 BauGB)"),
    "proc.kind.informell": ("Informelle Beteiligung", "Informal participation"),
    "proc.open_days": ("läuft, noch {n} Tage", "open, {n} days left"),
    "proc.open_day": ("läuft, noch 1 Tag", "open, 1 day left"),
    "proc.upcoming": ("beginnt am {date}", "starts on {date}"),
    "proc.ended": ("beendet am {date}", "ended on {date}"),
    "proc.closed_early": ("vorzeitig beendet am {date}", "closed early on {date}"),
    "proc.prefix_short": ("Eingangsnummern {prefix}-…", "References {prefix}-…"),
    "proc.edit": ("Bearbeiten", "Edit"),
    "proc.edit_aria": ("Verfahren „{title}“ bearbeiten", "Edit the procedure “{title}”"),
    "proc.close": ("Beenden", "Close"),
    "proc.close_aria": ("Verfahren „{title}“ jetzt beenden", "Close the procedure “{title}” now"),
    "proc.close_confirm": (
        "Verfahren „{title}“ jetzt beenden? Danach nimmt es keine Stellungnahmen mehr an.",
        "Close the procedure “{title}” now? It then accepts no more statements.",
    ),
    "proc.close_yes": ("Ja, jetzt beenden", "Yes, close it now"),
    "proc.closed_ok": ("Das Verfahren „{title}“ ist beendet.", "The procedure “{title}” is closed."),
    "proc.form_new": ("Verfahren eröffnen", "Open a procedure"),
    "proc.form_edit": ("Verfahren ändern: {title}", "Change the procedure: {title}"),
    "proc.kind": ("Art des Verfahrens", "Kind of procedure"),
    "proc.title_de": ("Titel (deutsch, Pflicht)", "Title (German, required)"),
    "proc.title_en": ("Titel (englisch)", "Title (English)"),
    "proc.description_de": ("Beschreibung (deutsch)", "Description (German)"),
    "proc.description_en": ("Beschreibung (englisch)", "Description (English)"),
    "proc.plans": ("Pläne des Verfahrens", "Plans of the procedure"),
    "proc.plan_filter": ("Pläne filtern", "Filter the plans"),
    "proc.plan_filter_placeholder": ("Name oder Nummer", "Name or number"),
    "proc.plans_chosen": ("Ausgewählt: {plans}", "Chosen: {plans}"),
    "proc.plans_none": ("Noch kein Plan ausgewählt.", "No plan chosen yet."),
    "proc.plans_more": (
        "{n} weitere Pläne passen; bitte genauer filtern.",
        "{n} more plans match; please narrow the filter.",
    ),
    "proc.opens": ("Beginn (erster Tag)", "Start (first day)"),
    "proc.closes": ("Ende (letzter Tag)", "End (last day)"),
    "proc.closes_hint": (
        "Stellungnahmen werden bis zum Ende dieses Tages angenommen.",
        "Statements are accepted until the end of this day.",
    ),
    "proc.allowed": ("Erlaubte Beitragsarten", "Kinds of contribution accepted"),
    "proc.prefix": ("Kürzel der Eingangsnummern", "Prefix of the reference numbers"),
    "proc.prefix_hint": (
        "1–12 Buchstaben oder Ziffern, z. B. LA22; leer: aus dem Namen des ersten Plans.",
        "1–12 letters or digits, e.g. LA22; empty: from the first plan's name.",
    ),
    "proc.save_new": ("Verfahren eröffnen", "Open the procedure"),
    "proc.save_edit": ("Änderungen speichern", "Save the changes"),
    "proc.new": ("Neues Verfahren (Formular leeren)", "New procedure (clear the form)"),
    "proc.saved": ("Gespeichert: „{title}“ ({period}).", "Saved: “{title}” ({period})."),
    "proc.warnings": ("Bitte beachten:", "Please note:"),
    "proc.err.title": ("Bitte einen deutschen Titel angeben.", "Please enter a German title."),
    "proc.err.dates": ("Bitte Beginn und Ende angeben.", "Please enter the start and the end."),
    "proc.err.kinds": ("Bitte mindestens eine Beitragsart wählen.", "Please choose at least one kind of contribution."),
    # moderation
    "modq.heading": ("Moderation: Beiträge prüfen", "Moderation: review contributions"),
    "modq.all": ("Alle", "All"),
    "modq.procedure": ("Verfahren", "Procedure"),
    "modq.no_procedure": ("ohne Verfahren", "outside procedures"),
    "modq.from": ("Eingang ab", "Received from"),
    "modq.to": ("Eingang bis", "Received until"),
    "modq.bulk": ("Mehrere auf einmal", "Several at once"),
    "modq.selected": ("{n} ausgewählt", "{n} selected"),
    "modq.pick": ("Auswählen", "Select"),
    "modq.pick_aria": ("{ref} auswählen", "Select {ref}"),
    "modq.pick_all": ("Alle angezeigten auswählen", "Select all shown"),
    "modq.pick_none": ("Auswahl aufheben", "Clear the selection"),
    "modq.bulk_approve": ("Ausgewählte freigeben", "Approve the selected"),
    "modq.bulk_reject": ("Ausgewählte ablehnen", "Reject the selected"),
    "modq.bulk_done": ("Jetzt „{status}“: {n}", "Now “{status}”: {n}"),
    "modq.bulk_failed": ("{n} nicht geändert: {details}", "{n} not changed: {details}"),
    "modq.nothing_selected": ("Bitte zuerst Beiträge auswählen.", "Please select contributions first."),
    "modq.caption": ("Beiträge, älteste zuerst: {n}", "Contributions, oldest first: {n}"),
    "modq.caption_part": (
        "Die ältesten {shown} von {n} Beiträgen (Filter grenzen ein)",
        "The oldest {shown} of {n} contributions (filters narrow it down)",
    ),
    "modq.empty": ("Keine Beiträge zu diesen Filtern.", "No contributions match these filters."),
    "modq.open": ("Prüfen", "Review"),
    "modq.open_aria": ("Beitrag {ref} prüfen", "Review contribution {ref}"),
    "modq.detail": ("Beitrag {ref}", "Contribution {ref}"),
    "modq.detail_none": (
        "Wählen Sie „Prüfen“ bei einem Beitrag: Hier erscheinen dann Ort, mögliche Dubletten und die Aktionen.",
        "Choose “Review” for a contribution: its location, possible duplicates and the actions appear here.",
    ),
    "modq.received": ("Eingang: {when}", "Received: {when}"),
    "modq.current_status": ("Status: {status}", "Status: {status}"),
    "modq.late_note": (
        "Nach dem Ende des Verfahrens eingegangen (verspätet).",
        "Received after the procedure ended (late).",
    ),
    "modq.public_note": ("Öffentlicher Hinweis: {note}", "Public note: {note}"),
    "modq.plan_link": ("Plan „{plan}“ in der Karte zeigen", "Show the plan “{plan}” on the map"),
    "modq.location": ("Ort des Beitrags", "Location of the contribution"),
    "modq.no_location": ("Kein Ort angegeben.", "No location given."),
    "modq.duplicates": (
        "Mögliche Dubletten (gleiche Art und Thema, bis 50 m, 30 Tage)",
        "Possible duplicates (same kind and topic, within 50 m, 30 days)",
    ),
    "modq.no_duplicates": ("Keine ähnlichen Beiträge in der Nähe.", "No similar contributions nearby."),
    "modq.distance": ("{m} m entfernt", "{m} m away"),
    "modq.history": ("Verlauf", "History"),
    "modq.templates": ("Begründung aus Vorlage", "Reason from a template"),
    "modq.tpl.beleidigend": ("Beleidigung", "Insult"),
    "modq.tpl.personenbezogen": ("Daten Dritter", "Third-party data"),
    "modq.tpl.werbung": ("Werbung / ohne Bezug", "Advertising / unrelated"),
    "modq.tpl.doppelt": ("Doppelt", "Duplicate"),
    "modq.tpl.unverstaendlich": ("Unverständlich", "Unclear"),
    "modq.reason": ("Begründung oder Hinweis (öffentlich)", "Reason or note (public)"),
    "modq.reason_hint": (
        "Die Verfasserin oder der Verfasser und alle anderen lesen diesen Text.",
        "The author and everyone else read this text.",
    ),
    "modq.set.freigegeben": ("Freigeben", "Approve"),
    "modq.set.abgelehnt": ("Ablehnen", "Reject"),
    "modq.set.in_bearbeitung": ("In Bearbeitung", "In progress"),
    "modq.set.erledigt": ("Erledigt", "Done"),
    "modq.done": ("Beitrag {ref} ist jetzt „{status}“.", "Contribution {ref} is now “{status}”."),
    # Abwägung
    "abw.heading": ("Abwägung der Stellungnahmen", "Weighing the statements (Abwägung)"),
    "abw.procedure": ("Verfahren", "Procedure"),
    "abw.no_procedures": ("Noch keine Verfahren.", "No procedures yet."),
    "abw.no_statements": (
        "Zu diesem Verfahren gibt es noch keine Stellungnahmen.",
        "This procedure has no statements yet.",
    ),
    "abw.counts": (
        "Stellungnahmen: {n}, davon noch nicht (ganz) abgewogen: {open}",
        "Statements: {n}, not (fully) weighed yet: {open}",
    ),
    "abw.caption": ("Stellungnahmen nach Eingangsnummer: {n}", "Statements by reference: {n}"),
    "abw.result": ("Ergebnis", "Result"),
    "abw.result.none": ("noch offen", "not decided yet"),
    "abw.sections_summary": ("{n} Abschnitte: {results}", "{n} sections: {results}"),
    "abw.downloads": ("Abwägungstabelle herunterladen", "Download the Abwägung table"),
    "abw.dl.xlsx": ("Excel (.xlsx)", "Excel (.xlsx)"),
    "abw.dl.docx": ("Word (.docx)", "Word (.docx)"),
    "abw.dl.csv": ("CSV (.csv)", "CSV (.csv)"),
    "abw.dl.gpkg": ("GeoPackage (.gpkg)", "GeoPackage (.gpkg)"),
    "abw.dl_full": ("mit Namen", "with names"),
    "abw.dl_anon": ("anonymisiert", "anonymised"),
    "abw.dl_aria": ("Abwägungstabelle als {fmt}, {variant}", "Abwägung table as {fmt}, {variant}"),
    "abw.publish": ("Ergebnisse veröffentlichen", "Publish the results"),
    "abw.publish_hint": (
        "Veröffentlicht werden Vorschlag, Ergebnis und Beschlussvorschlag jeder entschiedenen "
        "Stellungnahme, abrufbar über die Eingangsnummer; der Text nur bei freigegebenen, nie Namen.",
        "Published are the proposal, result and proposed resolution of every decided statement, "
        "found by its reference; the text only of approved ones, never names.",
    ),
    "abw.publish_confirm": (
        "Alle entschiedenen Abwägungen dieses Verfahrens jetzt veröffentlichen?",
        "Publish every decided Abwägung of this procedure now?",
    ),
    "abw.publish_yes": ("Ja, veröffentlichen", "Yes, publish"),
    "abw.published": (
        "{n} Ergebnisse neu veröffentlicht, insgesamt {total}.",
        "{n} results newly published, {total} in total.",
    ),
    "abw.open": ("Abwägen", "Weigh"),
    "abw.open_aria": ("Stellungnahme {ref} abwägen", "Weigh statement {ref}"),
    "abw.choose": ("Wählen Sie „Abwägen“ bei einer Stellungnahme.", "Choose “Weigh” for a statement."),
    "abw.editor": ("Abwägung zu {ref}", "Abwägung of {ref}"),
    "abw.statement_text": ("Text der Stellungnahme", "Text of the statement"),
    "abw.mode": ("Abwägen als", "Weigh as"),
    "abw.whole": ("Ganze Stellungnahme", "Whole statement"),
    "abw.split": ("In Abschnitte geteilt", "Split into sections"),
    "abw.whole_answer": ("Abwägung der ganzen Stellungnahme", "Abwägung of the whole statement"),
    "abw.section": ("Abschnitt {n}", "Section {n}"),
    "abw.section_text": ("Text des Abschnitts", "Text of the section"),
    "abw.add_section": ("Abschnitt hinzufügen", "Add a section"),
    "abw.remove_section": ("Abschnitt {n} entfernen", "Remove section {n}"),
    "abw.use_template": ("Textbaustein einsetzen", "Insert an answer template"),
    "abw.proposal": ("Abwägungsvorschlag", "Proposed answer (Abwägungsvorschlag)"),
    "abw.decision": ("Beschlussvorschlag", "Proposed resolution (Beschlussvorschlag)"),
    "abw.tags": ("Schlagworte, durch Komma getrennt", "Tags, separated by commas"),
    "abw.group": ("Gruppe (gleichlautende Stellungnahmen)", "Group (statements of the same content)"),
    "abw.save": ("Abwägung speichern", "Save the Abwägung"),
    "abw.saved": ("Abwägung zu {ref} gespeichert.", "Abwägung of {ref} saved."),
    "abw.err.section_text": ("Jeder Abschnitt braucht seinen Text.", "Every section needs its text."),
    "abw.templates": ("Textbausteine", "Answer templates"),
    "abw.templates_none": ("Noch keine Textbausteine.", "No answer templates yet."),
    "abw.template_title": ("Titel des Textbausteins", "Title of the template"),
    "abw.template_text": ("Text des Textbausteins", "Text of the template"),
    "abw.template_result": ("Ergebnis (freiwillig)", "Result (optional)"),
    "abw.template_save": ("Textbaustein speichern", "Save the template"),
    "abw.template_saved": ("Textbaustein „{title}“ gespeichert.", "Template “{title}” saved."),
    "abw.err.template": ("Bitte Titel und Text angeben.", "Please enter a title and a text."),
    "abw.audit": ("Protokoll: wer hat wann was geändert", "Audit trail: who changed what, when"),
    "abw.audit_csv": ("Ganzes Protokoll als CSV herunterladen", "Download the whole audit trail as CSV"),
    "abw.audit_caption": ("Die letzten {shown} von {n} Einträgen", "The latest {shown} of {n} entries"),
    "abw.audit_none": ("Noch keine Einträge.", "No entries yet."),
    "audit.procedure.create": ("Verfahren eröffnet", "Procedure opened"),
    "audit.procedure.change": ("Verfahren geändert", "Procedure changed"),
    "audit.procedure.close": ("Verfahren beendet", "Procedure closed"),
    "audit.procedure.delete": ("Verfahren gelöscht", "Procedure deleted"),
    "audit.contribution.status": ("Status eines Beitrags gesetzt", "Status of a contribution set"),
    "audit.abwaegung.save": ("Abwägung gespeichert", "Abwägung saved"),
    "audit.abwaegung.export": ("Abwägungstabelle heruntergeladen", "Abwägung table downloaded"),
    "audit.abwaegung.publish": ("Ergebnisse veröffentlicht", "Results published"),
    "audit.template.create": ("Textbaustein angelegt", "Template created"),
    "audit.template.delete": ("Textbaustein gelöscht", "Template deleted"),
    # --- participation phase / general ----------------------------------------
    "phase.open": ("Beteiligung läuft: bis {end}", "Participation open: until {end}"),
    "phase.open_since": ("Beteiligung läuft seit {start}", "Participation open since {start}"),
    "phase.upcoming": ("Beteiligung ab {start}", "Participation from {start}"),
    "phase.closed": ("Beteiligung beendet am {end}", "Participation closed on {end}"),
    "phase.none": ("Zurzeit keine Beteiligungsphase", "No participation phase at the moment"),
    "common.loading": ("Lädt …", "Loading …"),
    "common.synthetic": ("synthetisch", "synthetic"),
    "common.unknown": ("nicht angegeben", "not stated"),
    "common.height": ("Höhe", "Height"),
    "common.storeys": ("Geschosse", "Storeys"),
}

# Labels of the participation vocabulary come from its one table (participation/model.py), so the portal,
# the e-mails and the Abwägung exports name a status, topic or result alike. A citizen's own pending post says
# that it is being reviewed.
TEXTS.update({f"status.{code}": label for code, label in STATUSES.items()})
TEXTS["status.eingereicht"] = ("eingereicht (wird geprüft)", "submitted (being reviewed)")
TEXTS.update({f"form.category.{code}": label for code, label in CATEGORIES.items()})
TEXTS.update({f"abw.result.{code}": label for code, label in RESULTS.items()})

from ui.studio_texts import STUDIO_TEXTS  # noqa: E402 - the scenario studio's texts, kept beside its module

TEXTS.update(STUDIO_TEXTS)
from ui.report_texts import REPORT_TEXTS  # noqa: E402 - the Mängelmelder's photos, duplicate hint, bursts

TEXTS.update(REPORT_TEXTS)

#: Singular forms of counted texts: used by :func:`t` when ``n`` is 1 ("1 Fläche", not "1 Flächen").
PLURAL_ONE: dict[str, tuple[str, str]] = {
    "map.search_found": ("1 Treffer, mit Pfeil nach unten zur Liste", "1 result, arrow down to the list"),
    "panel.zone_count": ("1 Fläche", "1 area"),
    "panel.like_count": ("1 Zustimmung", "1 like"),
    "form.geometry_drawn": ("Gezeichnet: 1 Objekt ({kind}).", "Drawn: 1 object ({kind})."),
    "3d.envelope_note": (
        "Zulässiges Bauvolumen: 1 Baufläche – {plans}.",
        "Permitted volume: 1 building area – {plans}.",
    ),
    "list.count": ("1 Eintrag", "1 entry"),
    "list.caption": ("{what}: 1 Eintrag", "{what}: 1 entry"),
    "dash.queue_caption": ("1 Beitrag wartet auf Prüfung", "1 contribution waiting for review"),
    "proc.open_days": ("läuft, noch 1 Tag", "open, 1 day left"),
    "proc.plans_more": (
        "1 weiterer Plan passt; bitte genauer filtern.",
        "1 more plan matches; please narrow the filter.",
    ),
    "abw.sections_summary": ("1 Abschnitt: {results}", "1 section: {results}"),
    "abw.published": (
        "1 Ergebnis neu veröffentlicht, insgesamt {total}.",
        "1 result newly published, {total} in total.",
    ),
    "studio.versions": ("1 gespeicherte Version", "1 saved version"),
    "studio.building_count": ("1 Gebäude gewählt", "1 building chosen"),
    "variants.zone_count": ("1 Fläche geändert", "1 area changed"),
}

_counter = itertools.count()


def t(key: str, lang: str | None = None, **values) -> str:
    """The text for ``key`` in ``lang`` (German when unknown), with ``{name}`` values filled in.

    A count ``n`` of exactly 1 takes the singular form of :data:`PLURAL_ONE` where the text has one.
    """
    try:
        de, en = PLURAL_ONE[key] if values.get("n") == 1 and key in PLURAL_ONE else TEXTS[key]
    except KeyError:
        raise KeyError(f"no UI text {key!r} in ui/i18n.py") from None
    text = en if lang == "en" else de
    return text.format(**values) if values else text


def value_label(prefix: str, value, lang: str | None = None) -> str:
    """The translated label of a stored code (``value_label("status", "freigegeben", "en")`` -> ``approved``).

    Unknown codes are shown as they are, so new values from the API never break a page.
    """
    key = f"{prefix}.{value}"
    return t(key, lang) if key in TEXTS else str(value if value not in (None, "") else "–")


def normalize_lang(lang: str | None) -> str:
    """``de`` or ``en`` from anything a URL or a browser may send (``en-GB``, ``EN``, None)."""
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGS else DEFAULT_LANG


def text_id(key: str) -> dict:
    """A unique pattern-matching id whose ``key`` tells the language callback what to show."""
    return {"type": "i18n", "key": key, "n": next(_counter)}


def T(key: str, tag=html.Span, lang: str = DEFAULT_LANG, **props):
    """A component (span by default) whose text follows the language switch.

    With an ``id`` of its own (e.g. for ``aria-labelledby``) the text goes into an inner span.
    """
    if "id" in props:
        return tag(html.Span(t(key, lang), id=text_id(key)), **props)
    return tag(t(key, lang), id=text_id(key), **props)
