"""participation.model: procedure rules, dates in Europe/Berlin, overlaps, Abwägung input; the docstring examples."""

import doctest
from datetime import UTC, datetime

import pytest

from participation import model
from participation.model import ParticipationError, clean_abwaegung, clean_procedure, is_open, overlaps

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_docstring_examples():
    failures, tried = doctest.testmod(model)
    assert tried >= 5 and failures == 0


def test_dates_are_local_and_whole_days():
    clean = clean_procedure({"title_de": "x", "opens_at": "2026-01-10", "closes_at": "2026-01-20"}, NOW)
    assert clean.values["opens_at"] == datetime(2026, 1, 9, 23, tzinfo=UTC)  # CET
    assert clean.values["closes_at"] == datetime(2026, 1, 20, 23, tzinfo=UTC)  # the whole 20th counts
    summer = clean_procedure({"title_de": "x", "opens_at": "2026-07-01T08:00", "closes_at": "2026-07-02"}, NOW)
    assert summer.values["opens_at"] == datetime(2026, 7, 1, 6, tzinfo=UTC)  # CEST, no offset given


@pytest.mark.parametrize(
    "body",
    [
        {"title_de": "x", "opens_at": "2026-02-01", "closes_at": "2026-01-01"},
        {"title_de": "x", "opens_at": "2026-02-01"},
        {"title_de": "", "opens_at": "2026-01-01", "closes_at": "2026-02-01"},
        {"title_de": "x", "opens_at": "2026-01-01", "closes_at": "2026-02-01", "kind": "geheim"},
        {"title_de": "x", "opens_at": "2026-01-01", "closes_at": "2026-02-01", "allowed_kinds": ["alles"]},
        {"title_de": "x", "opens_at": "2026-01-01", "closes_at": "2026-02-01", "reference_prefix": "A B"},
        {"title_de": "x", "opens_at": "2026-01-01", "closes_at": "2026-02-01", "area": {"type": "Point"}},
        {"title_de": "x" * 201, "opens_at": "2026-01-01", "closes_at": "2026-02-01"},
        "not an object",
    ],
)
def test_bad_procedures_are_refused_in_both_languages(body):
    with pytest.raises(ParticipationError) as err:
        clean_procedure(body, NOW)
    assert " / " in str(err.value) and err.value.status == 400


def test_a_short_publication_is_warned_not_refused():
    clean = clean_procedure(
        {"kind": "veroeffentlichung", "title_de": "x", "opens_at": "2026-07-01", "closes_at": "2026-07-29"}, NOW
    )
    assert len(clean.warnings) == 1 and "30" in clean.warnings[0]
    assert not clean_procedure(
        {"kind": "veroeffentlichung", "title_de": "x", "opens_at": "2026-07-01", "closes_at": "2026-07-30"}, NOW
    ).warnings


def test_closing_early_ends_a_procedure():
    proc = {"opens_at": "2026-05-01T00:00:00Z", "closes_at": "2026-07-01T00:00:00Z", "closed_at": None}
    assert is_open(proc, NOW)
    assert not is_open({**proc, "closed_at": "2026-05-31T00:00:00Z"}, NOW)


def test_overlaps_need_same_kind_shared_plan_and_shared_time():
    a = {
        "kind": "fruehzeitig",
        "plan_ids": ["p1", "p2"],
        "scenario_id": None,
        "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2026-02-01T00:00:00Z",
    }
    assert overlaps(
        a, {**a, "plan_ids": ["p2"], "opens_at": "2026-01-31T00:00:00Z", "closes_at": "2026-03-01T00:00:00Z"}
    )
    assert not overlaps(a, {**a, "plan_ids": ["p3"]})
    assert not overlaps(a, {**a, "kind": "veroeffentlichung"})
    assert not overlaps(a, {**a, "opens_at": "2026-02-01T00:00:00Z", "closes_at": "2026-03-01T00:00:00Z"})


def test_abwaegung_whole_or_in_sections():
    whole = clean_abwaegung({"proposal": "Wird berücksichtigt.", "result": "beruecksichtigt", "tags": ["Verkehr"]})
    assert whole == [
        {
            "section_no": None,
            "section_text": None,
            "proposal": "Wird berücksichtigt.",
            "result": "beruecksichtigt",
            "decision": None,
            "tags": ["Verkehr"],
            "group_name": None,
        }
    ]
    split = clean_abwaegung({"sections": [{"text": "Bäume", "result": "zur_kenntnis"}, {"text": "Parken"}]})
    assert [s["section_no"] for s in split] == [1, 2] and split[1]["result"] is None
    for bad in (
        {"result": "egal"},
        {"sections": []},
        {"sections": [{"proposal": "ohne Text"}]},
        {"tags": ["x" * 61]},
        {"unknown": 1},
    ):
        with pytest.raises(ParticipationError):
            clean_abwaegung(bad)
