"""The German/English messages of staff sign-in and of who may do what (:mod:`access.rules`, :mod:`access.web`,
:mod:`access.tokens`), and of the guard in front of the write routes that uses those rules.

A catalogue of the form :mod:`schema.bilingual` describes: ``key -> (Deutsch, English)`` with the same fields.
"""

from __future__ import annotations

from schema.bilingual import Catalogue

MESSAGES: dict[str, tuple[str, str]] = {
    # -- who is asking -------------------------------------------------------------------------------------
    "session_expired": (
        "Ihre Anmeldung ist abgelaufen oder beendet; bitte melden Sie sich erneut an",
        "your session has expired or ended; please sign in again",
    ),
    "token_unknown": ("Unbekanntes Token", "unknown token"),
    "secret_malformed": (
        "{header} muss 22-128 Zeichen A-Z a-z 0-9 _ - lang sein (oder weglassen, dann vergibt der Server eines)",
        "{header} must be 22-128 characters of A-Z a-z 0-9 _ - (or leave it out and the server makes one)",
    ),
    # -- the rules of the roles ----------------------------------------------------------------------------
    "secret_or_moderator": (
        "Nur mit dem Geheimnis des Beitrags ({header}) oder als Moderation",
        "changing a contribution needs its secret ({header} header) or a moderator token",
    ),
    "not_your_contribution": (
        "Dies ist nicht Ihr Beitrag",
        "this is not your contribution: only its author (with its secret) or a moderator may change it",
    ),
    "moderators_only": ("Nur Moderation oder Planung", "only moderators or planners may do this"),
    "moderator_sign_in": (
        "Anmeldung als Moderation nötig",
        "a moderator token is required (Authorization: Bearer …)",
    ),
    "planners_only": ("Nur die Planung", "only planners may do this"),
    "planner_sign_in": (
        "Anmeldung als Planung nötig",
        "sign in as a planner (or send a planner token: Authorization: Bearer …)",
    ),
    "admins_only": ("Nur für die Administration", "only admins may do this"),
    "write_needs_planner_role": ("Schreiben nur mit Planungs-Berechtigung", "writing here needs the planner role"),
    "write_needs_planner_token": (
        "Schreiben nur mit Berechtigung",
        "writing needs a planner token (Authorization: Bearer …)",
    ),
    # -- participation phases: "… is closed" + what + when --------------------------------------------------
    "phase_closed": (
        "Die Beteiligung für {what_de} ist nicht geöffnet; Beiträge werden nicht angenommen.{when_de}",
        "Participation for {what} is closed; contributions are not accepted.{when}",
    ),
    "phase_of_plan": ("den Plan {id}", "plan {id}"),
    "phase_of_scenario": ("das Szenario {id}", "scenario {id}"),
    "phase_of_general": ("allgemeine Beiträge", "general contributions"),
    "phase_opens": (" Sie beginnt am {moment:%d.%m.%Y %H:%M} UTC.", " It opens on {moment:%Y-%m-%d %H:%M} UTC."),
    "phase_ended": (" Sie endete am {moment:%d.%m.%Y %H:%M} UTC.", " It closed on {moment:%Y-%m-%d %H:%M} UTC."),
    "phase_none": (" Es ist keine Beteiligungsphase eingerichtet.", " No participation phase is set up."),
    # -- staff sign-in (access/web.py): pages, a title and a text each ----------------------------------------
    "signin_not_set_up_title": ("Anmeldung nicht eingerichtet", "Sign-in is not set up"),
    "signin_not_set_up": (
        "Die Anmeldung für Mitarbeitende (OpenID Connect) ist in dieser Installation nicht eingerichtet. "
        "Die Verwaltung stellt sie mit BUERGERGIS_OIDC_ISSUER und BUERGERGIS_OIDC_CLIENT_ID ein. "
        "Alle öffentlichen Inhalte sind ohne Anmeldung zugänglich.",
        "Staff sign-in (OpenID Connect) is not set up for this installation. The administrators set it up "
        "with BUERGERGIS_OIDC_ISSUER and BUERGERGIS_OIDC_CLIENT_ID. Everything public is open without "
        "signing in.",
    ),
    "signin_unreachable_title": ("Anmeldedienst nicht erreichbar", "Sign-in service unreachable"),
    "signin_unreachable": (
        "Der Anmeldedienst der Verwaltung antwortet gerade nicht. Bitte versuchen Sie es später erneut.",
        "The administration's sign-in service is not answering. Please try again later.",
    ),
    "signin_not_confirmed_title": ("Anmeldung nicht erfolgt", "Not signed in"),
    "signin_not_confirmed": (
        "Der Anmeldedienst hat die Anmeldung nicht bestätigt ({error}). "
        "Sie können es über „Anmelden“ erneut versuchen.",
        "The sign-in service did not confirm the sign-in ({error}). You may try again with “Sign in”.",
    ),
    "signin_expired_title": ("Anmeldung abgelaufen", "Sign-in expired"),
    "signin_expired": (
        "Diese Anmeldung ist unbekannt oder älter als 10 Minuten (oder der Browser hat das Cookie der "
        "Anmeldung nicht gesendet). Bitte melden Sie sich erneut an.",
        "This sign-in is unknown or older than 10 minutes (or the browser did not send the sign-in "
        "cookie). Please sign in again.",
    ),
    "signin_failed_title": ("Anmeldung fehlgeschlagen", "Sign-in failed"),
    "signin_failed": (
        "Die Antwort des Anmeldedienstes konnte nicht bestätigt werden. Bitte erneut versuchen.",
        "The sign-in service's answer could not be verified. Please try again.",
    ),
    "signout_refused_title": ("Abmelden nicht möglich", "Cannot sign out"),
    "signout_refused": (
        "Die Anfrage trug nicht das Sicherheitsmerkmal dieser Sitzung. Bitte laden Sie die "
        "Seite neu und melden Sie sich dort ab.",
        "The request did not carry this session's security token. Please reload the page and sign out there.",
    ),
    "back_to_portal": ("Zurück zum Portal", "back to the portal"),
    "csrf": (
        "Sicherheitsmerkmal fehlt oder ist falsch: Schreibzugriffe mit der Anmelde-Sitzung brauchen den "
        "Header {header} (aus /api/me)",
        "missing or wrong CSRF token: writes authenticated by the session cookie need the {header} header "
        "(csrf_token from /api/me)",
    ),
    # -- service tokens (access/web.py, access/tokens.py) -----------------------------------------------------
    "tokens_admins_only": ("Nur für die Administration", "only admins may manage service tokens"),
    "admin_sign_in": (
        "Anmeldung als Administration nötig",
        "sign in as an admin (or send an admin token: Authorization: Bearer …)",
    ),
    "token_body": (
        'Erwartet: {{"name": …, "role": "planner"}} als JSON',
        'expected a JSON object {{"name": …, "role": "planner"}}',
    ),
    "token_shown_once": ("Das Token wird nur jetzt gezeigt", "the token is shown only this once"),
    "token_name": (
        "Name: 1-64 Zeichen A-Z a-z 0-9 . _ -, am Anfang ein Buchstabe oder eine Ziffer",
        "name: 1-64 characters A-Z a-z 0-9 . _ - starting with a letter or digit",
    ),
    "token_role": ("Rolle muss eine von {roles} sein", "role must be one of {roles}"),
    "token_exists": (
        "Es gibt schon ein gültiges Token „{name}“; erst widerrufen",
        "an active token named {name!r} exists; revoke it first",
    ),
    "token_not_found": ("Kein gültiges Token „{name}“", "no active token named {name!r}"),
    # -- environment tokens at start-up (access/tokens.py) --------------------------------------------------
    "start_refused": ("Bürger-GIS startet nicht", "will not start"),
    "env_token_short": (
        "{variable} ist zu kurz ({length} Zeichen, mindestens {min})",
        "{variable} is too short ({length} characters, at least {min})",
    ),
    "env_token_regular": (
        "{variable} ist zu regelmäßig (zu wenige verschiedene Zeichen)",
        "{variable} is too regular (too few different characters) to withstand guessing",
    ),
    "env_token_how": ("Ein starkes Token erzeugen", "make a strong token"),
}

CATALOGUE = Catalogue(MESSAGES)
message = CATALOGUE.message
pair = CATALOGUE.pair
