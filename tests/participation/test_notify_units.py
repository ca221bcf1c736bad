"""The pure parts of e-mail updates: address checks, the mails' words, the portal's field and "Meine Beiträge"."""

from __future__ import annotations

import json

import pytest

from participation import mail_texts
from participation.mail_settings import MailSettings, mail_settings
from participation.notify import NotifyError, check_address, masked
from participation.outbox import message

CONTRIBUTION = {
    "id": "c1",
    "kind": "kommentar",
    "status": "abgelehnt",
    "reference": "LGH-2026-0007",
    "status_note": "Enthält <b>Namen</b> & Adressen",
    "created_at": "2026-03-02T10:00:00.000Z",
    "text": "Bitte <script>x</script> prüfen",
}


@pytest.mark.parametrize(
    "given, stored",
    [
        ("anna@example.org", "anna@example.org"),
        (" Anna.B+tag@Example.ORG ", "Anna.B+tag@example.org"),
        ("anna@bücher.example", "anna@xn--bcher-kva.example"),
    ],
)
def test_good_addresses(given, stored):
    assert check_address(given) == stored


@pytest.mark.parametrize(
    "given",
    [
        "",
        "anna",
        "anna@",
        "@example.org",
        "anna@example",
        "a@b@example.org",
        "a b@example.org",
        "a@exa mple.org",
        "a@example.org\nBcc: x@example.org",
        "Anna <a@example.org>",
        "a@example.c0m1",
        "a@1.2.3.4",
        None,
        7,
    ],
)
def test_bad_addresses_name_the_field_in_both_languages(given):
    with pytest.raises(NotifyError) as caught:
        check_address(given)
    assert "'notify_email'" in str(caught.value) and " / " in str(caught.value) and caught.value.status == 400


def test_masked_address_shows_only_enough_to_recognise_it():
    assert masked("anna.beispiel@example.org") == "a…@example.org"


def test_every_mail_is_german_first_then_english_with_an_unsubscribe_link_and_escaped_html():
    mails = [
        mail_texts.confirmation(CONTRIBUTION, "https://p/confirm?token=t", "https://p/unsub?token=u", 72),
        mail_texts.receipt(CONTRIBUTION, "https://p/?reference=LGH-2026-0007", "https://p/unsub?token=u"),
        mail_texts.status_changed(CONTRIBUTION, "https://p/?reference=LGH-2026-0007", "https://p/unsub?token=u"),
        mail_texts.answer_published(
            CONTRIBUTION,
            [{"section_no": None, "result": "zur_kenntnis", "proposal": "Wir <prüfen> das."}],
            "https://p/?reference=LGH-2026-0007",
            "https://p/unsub?token=u",
        ),
    ]
    for mail in mails:
        assert mail.text.index("Guten Tag") < mail.text.index("Hello")
        assert "Keine E-Mails mehr zu diesem Beitrag: https://p/unsub?token=u" in mail.text
        assert "No more e-mails about this contribution" in mail.text
        assert "<script>" not in mail.html and "<b>Namen" not in mail.html and "<prüfen>" not in mail.html
        assert 'href="https://p/unsub?token=u"' in mail.html
    assert "LGH-2026-0007" in mails[1].subject and "Eingangsnummer: LGH-2026-0007" in mails[1].text
    assert "Hinweis der Moderation: Enthält <b>Namen</b> & Adressen" in mails[2].text
    assert "Enthält &lt;b&gt;Namen&lt;/b&gt; &amp; Adressen" in mails[2].html
    assert "zur Kenntnis genommen" in mails[3].text and "Result: noted" in mails[3].text


def test_a_defect_report_without_reference_is_named_by_kind_and_day():
    mail = mail_texts.status_changed(
        {**CONTRIBUTION, "kind": "maengelmeldung", "reference": None, "status": "in_bearbeitung", "status_note": None},
        "",
        "https://p/u",
    )
    assert "der Stand von Ihrer Mängelmeldung vom 2026-03-02 hat sich geändert: in Bearbeitung" in mail.text
    assert "the state of your defect report of 2026-03-02 has changed: being dealt with" in mail.text
    assert "in Bearbeitung" in mail.subject and "being dealt with" in mail.subject


def test_the_message_carries_one_click_unsubscribe_and_both_parts():
    settings = MailSettings(host="localhost", sender="Stadt <beteiligung@stadt.example>")
    mail = mail_texts.receipt(CONTRIBUTION, "https://p/", "https://p/unsub?token=u")
    built = message(
        {
            "recipient": "anna@example.org",
            "subject": mail.subject,
            "body_text": mail.text,
            "body_html": mail.html,
            "unsubscribe_url": "https://p/unsub?token=u",
        },
        settings,
    )
    assert built["List-Unsubscribe"] == "<https://p/unsub?token=u>"
    assert built["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert built["Auto-Submitted"] == "auto-generated" and built["Message-ID"].endswith("@stadt.example>")
    assert [p.get_content_type() for p in built.iter_parts()] == ["text/plain", "text/html"]


def test_mail_is_off_without_host_and_sender(monkeypatch):
    for name in ("BUERGERGIS_SMTP_HOST", "BUERGERGIS_SMTP_SENDER"):
        monkeypatch.delenv(name, raising=False)
    assert not MailSettings().enabled
    monkeypatch.setenv("BUERGERGIS_SMTP_HOST", "smtp.example.org")
    assert not MailSettings().enabled  # a server without a sender is not enough
    monkeypatch.setenv("BUERGERGIS_SMTP_SENDER", "beteiligung@example.org")
    monkeypatch.setenv("BUERGERGIS_PUBLIC_URL", "https://beteiligung.example.org/")
    settings = MailSettings()
    assert settings.enabled and settings.base_url == "https://beteiligung.example.org" and settings.port == 587


# -- the portal -------------------------------------------------------------------------------------------------


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("configured", [False, True])
def test_the_form_offers_the_address_field_only_when_mail_is_set_up(monkeypatch, configured):
    from ui import contribute

    monkeypatch.delenv("BUERGERGIS_SMTP_HOST", raising=False)
    monkeypatch.delenv("BUERGERGIS_SMTP_SENDER", raising=False)
    if configured:
        monkeypatch.setenv("BUERGERGIS_SMTP_HOST", "smtp.example.org")
        monkeypatch.setenv("BUERGERGIS_SMTP_SENDER", "beteiligung@example.org")
    mail_settings.cache_clear()
    try:
        field = _find(contribute.layout(), "form-notify-field")
    finally:
        mail_settings.cache_clear()
    assert field is not None and field.hidden is (not configured)
    assert "Über Neuigkeiten per E-Mail informieren (freiwillig)" in json.dumps(
        field.to_plotly_json(), ensure_ascii=False, default=str
    )


def test_the_feature_carries_the_address_only_when_one_was_typed():
    from ui.contribute import build_feature

    point = {"type": "Point", "coordinates": [10.0, 53.67]}
    given = build_feature(
        text="Ein Test",
        kind="kommentar",
        category=None,
        pseudonym=None,
        geometry=point,
        notify_email=" anna@example.org ",
    )
    assert given["properties"]["notify_email"] == "anna@example.org"
    blank = build_feature(
        text="Ein Test", kind="kommentar", category=None, pseudonym=None, geometry=point, notify_email="  "
    )
    assert "notify_email" not in blank["properties"]


def test_my_contributions_say_whether_updates_are_on():
    from ui.contribute import own_contributions

    rows = [
        {**CONTRIBUTION, "id": "c1", "notify": {"state": "pending", "email": "a…@example.org"}},
        {**CONTRIBUTION, "id": "c2", "notify": {"state": "confirmed", "email": "b…@example.org"}},
        {**CONTRIBUTION, "id": "c3", "notify": None},
    ]
    german = json.dumps(own_contributions(rows, "de").to_plotly_json(), ensure_ascii=False, default=str)
    assert (
        "warten auf Ihre Bestätigung (a…@example.org)" in german
        and "Neuigkeiten per E-Mail: an (b…@example.org)" in german
        and german.count("Neuigkeiten per E-Mail") == 2
    )
    english = json.dumps(own_contributions(rows, "en").to_plotly_json(), ensure_ascii=False, default=str)
    assert "E-mail updates: on (b…@example.org)" in english
