"""The contribution model and access rules as pure functions (no server)."""

from datetime import UTC, datetime, timedelta

import pytest

from api import access
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
    row = {"kind": "kommentar", "status": "eingereicht", "author_secret_hash": access.hash_secret("s" * 30)}
    assert not visible_to(access.Viewer(), row)
    assert visible_to(access.Viewer(secret_hashes=(access.hash_secret("s" * 30),)), row)
    assert visible_to(access.Viewer(role=access.MODERATOR), row)
    assert visibility_filter(access.Viewer(role=access.PLANNER)) is None
    assert "author_secret_hash" in repr(visibility_filter(access.Viewer(secret_hashes=("h",))))


def test_role_tokens_compared(monkeypatch):
    monkeypatch.setenv("BUERGERGIS_PLANNER_TOKEN", "p-token")
    monkeypatch.setenv("BUERGERGIS_MODERATOR_TOKEN", "m-token")
    assert access.role_for("Bearer p-token") == (access.PLANNER, False)
    assert access.role_for("Bearer m-token") == (access.MODERATOR, False)
    assert access.role_for("Bearer other") == (access.CITIZEN, True)
    assert access.role_for(None) == (access.CITIZEN, False)


def test_phase_rules():
    phases = [{"opens_at": (NOW - timedelta(days=2)).isoformat(), "closes_at": (NOW - timedelta(days=1)).isoformat()}]
    with pytest.raises(access.Forbidden) as err:
        access.require_open_phase(access.Viewer(), "kommentar", ("plan", "P1"), phases, NOW)
    assert "Plan P1" in err.value.message and "plan P1 is closed" in err.value.message
    access.require_open_phase(access.Viewer(), "maengelmeldung", ("plan", "P1"), phases, NOW)
    access.require_open_phase(access.Viewer(role=access.MODERATOR), "kommentar", ("plan", "P1"), phases, NOW)
    access.require_open_phase(access.Viewer(), "kommentar", ("general", None), [{"opens_at": None}], NOW)
    with pytest.raises(access.Forbidden):
        access.require_open_phase(access.Viewer(), "kommentar", ("general", None), [], NOW)
