"""The distribution policy: tiers, the embargo and restricted sources (DOMAIN.md s.3)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.identity import PartialDate
from vitalstat.domain.policy import (
    DEFAULT_EMBARGO,
    Agreement,
    EmbargoRule,
    RecordFacts,
    Standing,
    Tier,
    embargo_ends,
    entitlement,
    may_receive,
    release_filter,
)
from vitalstat.errors import ValidationError
from vitalstat.services.record_filter import admitted

TODAY = date(2026, 12, 1)
OPEN = Standing(Tier.OPEN)
CERTIFIED = Standing(Tier.CERTIFIED, certified_until=date(2027, 6, 30))
AGENCY = Standing(Tier.BENEFITS_AGENCY,
                  agreement=Agreement("CMA-1", date(2026, 1, 1), date(2027, 6, 30)))


def facts(dod: str | None, restricted: bool = False) -> RecordFacts:
    return RecordFacts(PartialDate.parse(dod) if dod else None, restricted)


def test_default_embargo_is_the_most_conservative_reading() -> None:
    assert DEFAULT_EMBARGO is EmbargoRule.YEAR_END_PLUS_3
    died = PartialDate(2020, 5, 17)
    assert embargo_ends(died, EmbargoRule.YEAR_END_PLUS_3) == date(2023, 12, 31)
    assert embargo_ends(died, EmbargoRule.YEAR_END_PLUS_2) == date(2022, 12, 31)
    assert embargo_ends(died, EmbargoRule.THIRD_ANNIVERSARY) == date(2023, 5, 16)
    ends = [embargo_ends(died, r) for r in EmbargoRule]
    assert max(ends) == embargo_ends(died, DEFAULT_EMBARGO)


def test_open_tier_waits_for_the_embargo_to_end() -> None:
    record = facts("2020-05-17")
    assert not may_receive(OPEN, record, date(2023, 12, 31)).allowed
    assert may_receive(OPEN, record, date(2024, 1, 1)).allowed
    assert may_receive(CERTIFIED, record, date(2023, 12, 31)).allowed


def test_partial_and_unknown_dates_of_death_are_read_conservatively() -> None:
    rule = EmbargoRule.THIRD_ANNIVERSARY
    assert embargo_ends(PartialDate(2020, 2), rule) == date(2023, 2, 28)  # latest: 29 Feb 2020
    assert embargo_ends(PartialDate(2020), rule) == date(2023, 12, 30)
    assert embargo_ends(PartialDate(2020, 2, 29), rule) == date(2023, 2, 28)
    unknown = may_receive(OPEN, facts(None), TODAY)
    assert not unknown.allowed and "unknown" in unknown.reason
    assert may_receive(CERTIFIED, facts(None), TODAY).allowed


def test_restricted_sources_go_to_benefits_agencies_only() -> None:
    old_state_record = facts("1990-01-01", restricted=True)
    assert not may_receive(OPEN, old_state_record, TODAY).allowed
    assert not may_receive(CERTIFIED, old_state_record, TODAY).allowed
    assert may_receive(AGENCY, old_state_record, TODAY).allowed


def test_expired_papers_are_treated_as_open_and_say_so() -> None:
    later = date(2027, 7, 1)
    ent = entitlement(CERTIFIED, later)
    assert ent.tier is Tier.OPEN and "expired on 2027-06-30" in ent.notes[0]
    assert not may_receive(CERTIFIED, facts("2026-01-01"), later).allowed
    agency = entitlement(AGENCY, later)
    assert agency.tier is Tier.OPEN and "CMA-1" in agency.notes[0]
    early = entitlement(AGENCY, date(2025, 12, 31))
    assert early.tier is Tier.OPEN
    assert entitlement(Standing(Tier.CERTIFIED), TODAY).tier is Tier.OPEN


def test_suspended_and_unpublished_receive_nothing() -> None:
    suspended = Standing(Tier.BENEFITS_AGENCY, agreement=AGENCY.agreement, suspended=True)
    assert entitlement(suspended, TODAY).tier is None
    assert not may_receive(suspended, facts("1990-01-01"), TODAY).allowed
    held = RecordFacts(PartialDate(1990), restricted=False, published=False)
    assert not may_receive(AGENCY, held, TODAY).allowed
    assert release_filter(suspended, TODAY).nothing


def test_tier_cap_and_parsing() -> None:
    record = facts("2026-01-01")
    assert not may_receive(CERTIFIED, record, TODAY, at_most=Tier.OPEN).allowed
    assert may_receive(CERTIFIED, record, TODAY, at_most=Tier.BENEFITS_AGENCY).allowed
    with pytest.raises(ValidationError, match="unknown tier"):
        Tier.parse("gold")
    with pytest.raises(ValidationError, match="embargo"):
        EmbargoRule.parse("never")
    assert Tier.parse(" Benefits-Agency ") is Tier.BENEFITS_AGENCY


# ------------------------------------------------------------------ properties

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate | None:
    if draw(st.integers(0, 20)) == 0:
        return None
    day = draw(days)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return PartialDate(day.year)
    if kind == 1:
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


@st.composite
def standings(draw: st.DrawFn) -> Standing:
    tier = draw(st.sampled_from(list(Tier)))
    until = draw(st.none() | days)
    agreement = None
    if draw(st.booleans()):
        start = draw(days)
        agreement = Agreement("CMA", start, start + timedelta(days=draw(st.integers(0, 900))))
    return Standing(tier, certified_until=until, agreement=agreement,
                    suspended=draw(st.integers(0, 9)) == 0)


record_facts = st.builds(RecordFacts, partial_dates(), st.booleans(),
                         st.integers(0, 9).map(lambda n: n > 0))


@given(standings(), record_facts, days, st.sampled_from(list(EmbargoRule)),
       st.none() | st.sampled_from(list(Tier)))
def test_the_columnar_filter_is_the_same_decision(standing, record, today, rule, cap) -> None:
    decision = may_receive(standing, record, today, rule, at_most=cap)
    assert release_filter(standing, today, rule, at_most=cap).admits(record) == decision.allowed


@given(record_facts, days, st.sampled_from(list(EmbargoRule)))
def test_each_tier_receives_everything_the_one_below_does(record, today, rule) -> None:
    allowed = [may_receive(s, record, today, rule).allowed for s in (OPEN, CERTIFIED, AGENCY)]
    if TODAY <= today <= date(2027, 6, 30):  # while the papers are in force
        assert allowed == sorted(allowed)


@given(record_facts, days, st.sampled_from(list(EmbargoRule)))
def test_open_never_gets_restricted_or_embargoed(record, today, rule) -> None:
    if may_receive(OPEN, record, today, rule).allowed:
        assert not record.restricted and record.published
        ends = embargo_ends(record.date_of_death, rule)
        assert ends is not None and today > ends


@given(record_facts, days, st.sampled_from(list(EmbargoRule)))
def test_once_out_of_embargo_always_out(record, today, rule) -> None:
    if may_receive(OPEN, record, today, rule).allowed:
        assert may_receive(OPEN, record, today + timedelta(days=400), rule).allowed


# The columnar evaluation (services.record_filter) must be this same decision, row by row.
filter_rows = st.lists(st.tuples(partial_dates(), st.booleans(),
                                 st.sampled_from(["published", "published", "held",
                                                  "withdrawn"])), max_size=40)


@given(standings(), filter_rows, days, st.sampled_from(list(EmbargoRule)))
def test_columnar_evaluation_equals_may_receive(standing, records, today, rule) -> None:
    table = pa.table({
        "date_of_death": pa.array([d.iso() if d else None for d, _, _ in records], pa.string()),
        "restricted": pa.array([r for _, r, _ in records], pa.bool_()),
        "status": pa.array([s for _, _, s in records], pa.string()),
    })
    mask = admitted(table, release_filter(standing, today, rule))
    expected = [may_receive(standing, RecordFacts(d, r, s == "published"), today, rule).allowed
                for d, r, s in records]
    assert mask.tolist() == expected
