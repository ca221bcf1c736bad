"""The contribution model and the access rules (access/rules.py) as pure functions (no server)."""

from datetime import UTC, datetime, timedelta

import pytest

from access import rules
from access.viewer import role_for
from providers.contributions import (
    InvalidContribution,
    clean_properties,
    is_public,
    visibility_filter,
    visible_to,
)

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_clean_properties_normalises_and_keeps_only_citizen_fields():
    clean, status = clean_properties(
        {
            "text": "  Hallo  ",
            "kind": "Proposal",
            "category": "Green",
            "like_count": 5,
            "created_at": "x",
            "status": "eingereicht",
            "pseudonym": "",
        }
    )
    assert clean["text"] == "Hallo" and clean["kind"] == "vorschlag" and clean["category"] == "gruen"
    assert clean["pseudonym"] is None and "like_count" not in clean and status == "eingereicht"


def test_defect_category_defaults_and_limits():
    assert clean_properties({"text": "x", "kind": "maengelmeldung"})[0]["category"] == "sonstiges"
    assert clean_properties({"text": "x", "kind": "defect", "category": "general"})[0]["category"] == "sonstiges"
    with pytest.raises(InvalidContribution):
        clean_properties({"text": "x", "kind": "maengelmeldung", "category": "soziales"})


@pytest.mark.parametrize(
    "kind,status,public",
    [
        ("kommentar", "freigegeben", True),
        ("kommentar", "eingereicht", False),
        ("kommentar", "abgelehnt", False),
        ("kommentar", "erledigt", False),
        ("maengelmeldung", "in_bearbeitung", True),
        ("maengelmeldung", "erledigt", True),
        ("maengelmeldung", "abgelehnt", False),
    ],
)
def test_public_statuses(kind, status, public):
    assert is_public(kind, status) is public


def test_visibility_by_role_and_secret():
    row = {"kind": "kommentar", "status": "eingereicht", "author_secret_hash": rules.hash_secret("s" * 30)}
    assert not visible_to(rules.Viewer(), row)
    assert visible_to(rules.Viewer(secret_hashes=(rules.hash_secret("s" * 30),)), row)
    assert visible_to(rules.Viewer(role=rules.MODERATOR), row)
    assert visibility_filter(rules.Viewer(role=rules.PLANNER)) is None
    assert "author_secret_hash" in repr(visibility_filter(rules.Viewer(secret_hashes=("h",))))


def test_role_tokens_compared(monkeypatch):
    monkeypatch.setenv("BUERGERGIS_PLANNER_TOKEN", "p-token")
    monkeypatch.setenv("BUERGERGIS_MODERATOR_TOKEN", "m-token")
    assert role_for("Bearer p-token") == (rules.PLANNER, False)
    assert role_for("Bearer m-token") == (rules.MODERATOR, False)
    assert role_for("Bearer other") == (rules.CITIZEN, True)
    assert role_for(None) == (rules.CITIZEN, False)


def test_write_refusals_say_whether_signing_in_would_help():
    assert rules.write_refusal(rules.Viewer(role=rules.ADMIN), rules.PLANNER) is None
    assert rules.write_refusal(rules.Viewer(role=rules.PLANNER), rules.MODERATOR) is None
    expired = rules.write_refusal(rules.Viewer(session_expired=True), rules.PLANNER)
    assert (expired.http_status_code, expired.ogc_exception_code) == (401, "SessionExpired")
    moderator = rules.Viewer(role=rules.MODERATOR, via="oidc")
    assert rules.write_refusal(moderator, rules.PLANNER).http_status_code == 403  # signing in again would not help
    assert rules.write_refusal(moderator, rules.ADMIN).http_status_code == 403
    assert rules.write_refusal(rules.Viewer(), rules.MODERATOR).http_status_code == 401


def test_phase_rules():
    phases = [{"opens_at": (NOW - timedelta(days=2)).isoformat(), "closes_at": (NOW - timedelta(days=1)).isoformat()}]
    with pytest.raises(rules.Forbidden) as err:
        rules.require_open_phase(rules.Viewer(), "kommentar", ("plan", "P1"), phases, NOW)
    assert "Plan P1" in err.value.message and "plan P1 is closed" in err.value.message
    rules.require_open_phase(rules.Viewer(), "maengelmeldung", ("plan", "P1"), phases, NOW)
    rules.require_open_phase(rules.Viewer(role=rules.MODERATOR), "kommentar", ("plan", "P1"), phases, NOW)
    rules.require_open_phase(rules.Viewer(), "kommentar", ("general", None), [{"opens_at": None}], NOW)
    with pytest.raises(rules.Forbidden):
        rules.require_open_phase(rules.Viewer(), "kommentar", ("general", None), [], NOW)


def test_category_codes_are_one_list_for_the_api_the_portal_and_open311():
    """The portal's form offers exactly what the API accepts; every Open311 service is a defect category."""
    from participation.model import CATEGORIES, DEFECTS, TOPICS
    from providers.contributions import DEFECT_CATEGORIES
    from ui.contribute import categories_for

    assert tuple(DEFECT_CATEGORIES) == DEFECTS == categories_for("maengelmeldung")
    assert set(TOPICS) | set(DEFECTS) == set(CATEGORIES)
    for code in CATEGORIES:  # a comment may take any topic, a defect report only a service code
        assert clean_properties({"text": "Hallo Welt", "kind": "kommentar", "category": code})[0]["category"] == code
    with pytest.raises(InvalidContribution):
        clean_properties({"text": "Hallo Welt", "kind": "maengelmeldung", "category": "wohnen"})
