"""Integrity rules: each rule on its own, then random report streams against an oracle."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.domain.consolidate import consolidate, effective_reports
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.integrity import (
    Evidence,
    IntegrityRules,
    TwoPersonAction,
    age_bounds,
    apply_holds,
    batch_holds,
    check_second_person,
    lone_report_screen,
    needs_second_person,
    record_holds,
    status_for,
)
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import Action, DeathReport, ProofLevel, Source, SourceKind
from vitalstat.errors import RefusedError

TODAY = date(2026, 12, 1)
R = ReviewReason
DIED = PartialDate(2020, 5, 17)
BORN = PartialDate(1940, 3, 2)
DEFAULT_RULES = IntegrityRules()
partial = st.builds(
    lambda y, m, d: PartialDate(y, m, d if m else 0),
    st.integers(1880, 2030), st.integers(0, 12), st.sampled_from([0, 1, 15, 28]))


def report(kind: SourceKind = SourceKind.FUNERAL_HOME, sid: str = "fh1", *,
           dod: PartialDate | None = DIED, dob: PartialDate | None = BORN,
           proof: ProofLevel = ProofLevel.VERIFIED, action: Action = Action.ADD,
           first: str = "ANN") -> DeathReport:
    return DeathReport(ssn="123456789", name=PersonName("SMITH", first), date_of_death=dod,
                       date_of_birth=dob, source=Source(kind, sid), payload_hash="h",
                       action=action, proof=proof, received_at=datetime(2026, 11, 1))


def holds(*reports: DeathReport, evidence: Evidence | None = None,
          rules: IntegrityRules = DEFAULT_RULES) -> tuple[ReviewReason, ...]:
    record = consolidate(list(reports))
    assert record is not None
    return record_holds(record, effective_reports(list(reports)),
                        evidence or Evidence(today=TODAY), rules)


def test_an_ordinary_verified_report_passes_every_rule() -> None:
    assert holds(report()) == ()


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"dod": PartialDate(2027, 1, 1)}, R.DEATH_IN_FUTURE),
    ({"dod": PartialDate(1939, 1, 1)}, R.DEATH_BEFORE_BIRTH),
    ({"dob": PartialDate(1900, 1, 1)}, R.AGE_OVER_LIMIT),
    ({"dob": PartialDate(2010, 1, 1)}, R.MINOR_NON_VITAL),
])
def test_each_date_rule_holds_with_its_code(kwargs: dict[str, PartialDate], reason: R) -> None:
    assert reason in holds(report(**kwargs))
    assert status_for(holds(report(**kwargs))) is RecordStatus.HELD
    assert reason.text  # a sentence a caseworker can read


def test_partial_dates_hold_when_the_rule_could_be_broken() -> None:
    # born some time in 1904, died some time in 2020: could have been 116
    assert R.AGE_OVER_LIMIT in holds(report(dob=PartialDate(1904), dod=PartialDate(2020)))
    assert R.AGE_OVER_LIMIT not in holds(report(dob=PartialDate(1905), dod=PartialDate(2020)))
    # died some time this year: could be today or earlier, so not "in the future"
    assert R.DEATH_IN_FUTURE not in holds(report(dod=PartialDate(2026)))
    assert R.DEATH_IN_FUTURE in holds(report(dod=PartialDate(2027)))


def test_a_minor_is_listed_on_a_state_vital_report() -> None:
    minor = {"dob": PartialDate(2012, 6, 1)}
    assert R.MINOR_NON_VITAL in holds(report(**minor))
    assert R.MINOR_NON_VITAL not in holds(
        report(**minor), report(SourceKind.STATE_VITAL_RECORDS, "OH", **minor))


def test_a_lone_unverified_report_waits_out_the_grace_period_as_pending() -> None:
    lone = report(proof=ProofLevel.UNKNOWN)
    fresh = Evidence(today=TODAY, first_reported=date(2026, 11, 25))
    old = Evidence(today=TODAY, first_reported=date(2026, 11, 1))
    assert holds(lone, evidence=fresh) == (R.SINGLE_UNVERIFIED,)
    assert status_for(holds(lone, evidence=fresh)) is RecordStatus.PENDING
    assert holds(lone, evidence=old) == ()
    assert holds(lone, evidence=fresh, rules=IntegrityRules(grace_days=0)) == ()
    assert holds(report(), evidence=fresh) == ()  # verified
    assert holds(lone, report(SourceKind.FAMILY, "f"), evidence=fresh) == ()  # corroborated


def test_the_historical_file_has_no_grace_period_nor_minor_rule() -> None:
    lone = report(SourceKind.LEGACY_DMF, "ssa", proof=ProofLevel.UNKNOWN)
    assert holds(lone, evidence=Evidence(today=TODAY, first_reported=TODAY)) == ()
    child = report(SourceKind.LEGACY_DMF, "ssa", dob=PartialDate(2015, 1, 1))
    assert holds(child) == ()
    assert holds(child, report(SourceKind.FAMILY, "f", dob=PartialDate(2015, 1, 1))) == (
        R.MINOR_NON_VITAL,)
    assert R.DEATH_BEFORE_BIRTH in holds(report(SourceKind.LEGACY_DMF, "ssa",
                                                dob=PartialDate(2021)))


@given(st.sampled_from(list(SourceKind)), partial, st.none() | partial,
       st.sampled_from(list(ProofLevel)), st.integers(0, 3), st.integers(0, 30))
@settings(max_examples=400)
def test_the_lone_report_screen_never_clears_a_row_a_rule_would_hold(
        kind: SourceKind, dod: PartialDate, dob: PartialDate | None, proof: ProofLevel,
        grace: int, year_shift: int) -> None:
    rules = IntegrityRules(grace_days=grace)
    today = date(dod.year + year_shift - 15, 6, 15)
    screen = lone_report_screen(kind, today, rules)
    lone = report(kind, "x", dod=dod, dob=dob, proof=proof)
    if screen.clears(dod.iso(), dob.iso() if dob else None, proof.value):
        assert holds(lone, evidence=Evidence(today=today, first_reported=today),
                     rules=rules) == ()


def test_the_screen_compares_partial_dates_of_death_exactly() -> None:
    screen = lone_report_screen(SourceKind.FAMILY, date(2026, 12, 1), DEFAULT_RULES)
    for dod, cleared in [("2026-12-00", True), ("2026-12-01", True), ("2026-00-00", True),
                         ("2026-12-02", False), ("2027-00-00", False)]:
        assert screen.clears(dod, None, "V") is cleared, dod
    assert not screen.clears("2020-01-01", "2019-00-00", "V")  # could be a minor
    assert not screen.clears("2020-01-01", "1900-00-00", "V")  # could be over the limit
    assert not screen.clears("2020-01-01", None, "")  # blank proof: grace period


def test_evidence_of_life_after_the_death_holds() -> None:
    seen = Evidence(today=TODAY, alive_on=date(2021, 1, 5))
    assert R.EVIDENCE_OF_LIFE in holds(report(), evidence=seen)
    before = Evidence(today=TODAY, alive_on=date(2020, 5, 1))
    assert R.EVIDENCE_OF_LIFE not in holds(report(), evidence=before)


def test_an_ssn_withdrawn_as_erroneous_needs_a_state_report_to_return() -> None:
    ev = Evidence(today=TODAY, withdrawn_as_erroneous=True)
    assert R.PREVIOUSLY_ERRONEOUS in holds(report(), evidence=ev)
    assert R.PREVIOUSLY_ERRONEOUS not in holds(
        report(SourceKind.STATE_VITAL_RECORDS, "OH", proof=ProofLevel.PROVEN), evidence=ev)


def test_an_open_case_holds() -> None:
    assert holds(report(), evidence=Evidence(today=TODAY, open_case=True)) == (R.OPEN_CASE,)


def test_batch_rules() -> None:
    rules = IntegrityRules(surge_ceiling=10, batch_flag_limit=2)
    fh, legacy = SourceKind.FUNERAL_HOME, SourceKind.LEGACY_DMF
    assert batch_holds(kind=fh, reported_today=10, flagged_people=2, rules=rules) == ()
    assert batch_holds(kind=fh, reported_today=11, flagged_people=3, rules=rules) == (
        R.SOURCE_SURGE, R.BATCH_FLAGGED)
    # the historical file is loaded in bulk: no daily ceiling, no batch flag limit
    assert batch_holds(kind=legacy, reported_today=10**7, flagged_people=10**4,
                       rules=rules) == ()


def test_apply_holds_merges_with_consolidation_and_keeps_withdrawn() -> None:
    rec = consolidate([report(), report(SourceKind.FAMILY, "f", first="BOB")])
    assert rec is not None and rec.review_reasons == (R.CONFLICTING_NAME,)
    held = apply_holds(rec, (R.OPEN_CASE, R.CONFLICTING_NAME))
    assert held.review_reasons == (R.CONFLICTING_NAME, R.OPEN_CASE)
    assert held.status is RecordStatus.HELD
    gone = consolidate([report(), report(action=Action.DELETE, dod=None)], rec)
    assert gone is not None and apply_holds(gone, (R.OPEN_CASE,)) == gone


def test_two_person_rule() -> None:
    assert needs_second_person() == ()
    assert needs_second_person(releases_hold=True, record_restricted=True,
                               records_affected=5) == tuple(TwoPersonAction)
    check_second_person("alice", "bob")
    for same in ("alice", " Alice "):
        with pytest.raises(RefusedError, match="second, different user"):
            check_second_person("alice", same)
    with pytest.raises(RefusedError):
        check_second_person("alice", "")


def test_negative_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="grace_days"):
        IntegrityRules(grace_days=-1)


# ------------------------------------------------------------------ properties


def _concrete(d: PartialDate) -> list[date]:
    """Every day a partial date could be (the oracle enumerates; the code reasons)."""
    months = [d.month] if d.month else list(range(1, 13))
    days: list[date] = []
    for m in months:
        for day in range(1, 32):
            if d.day and day != d.day:
                continue
            try:
                days.append(date(d.year, m, day))
            except ValueError:
                continue
    return days


def _age(born: date, died: date) -> int:
    return died.year - born.year - ((died.month, died.day) < (born.month, born.day))




@given(partial, partial)
@settings(max_examples=150)
def test_age_bounds_are_the_extremes_of_every_concrete_reading(b: PartialDate,
                                                              d: PartialDate) -> None:
    if d.latest() < b.earliest():
        return
    ages = [_age(x, y) for x in _concrete(b)[::7] + _concrete(b)[-1:]
            for y in _concrete(d)[::7] + _concrete(d)[-1:] if y >= x]
    if not ages:
        return
    least, greatest = age_bounds(b, d)
    assert least <= min(ages) and greatest >= max(ages)
    assert least == _age(date(*b.latest()), date(*d.earliest()))


rarely = st.sampled_from([False, False, False, True])


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[DeathReport], Evidence]:
    """A person's reports and what else is known, drawn near every rule's edge."""
    died_year = draw(st.integers(2018, 2028))
    dod = draw(st.builds(lambda m, d: PartialDate(died_year, m, d if m else 0),
                         st.integers(0, 12), st.sampled_from([0, 1, 15, 28])))
    age = draw(st.sampled_from([-1, -1, 0, 5, 17, 17, 18, 18, 19, 60, 114, 115, 116, 130]))
    dob = draw(st.none() | st.builds(lambda m, d: PartialDate(died_year - age, m, d if m else 0),
                                     st.integers(0, 12), st.sampled_from([0, 1, 15, 28])))
    reports = draw(st.lists(st.builds(
        lambda kind, sid, proof, action: report(
            kind, sid, dod=None if action is Action.DELETE else dod, dob=dob, proof=proof,
            action=action),
        st.sampled_from([*SourceKind, SourceKind.STATE_VITAL_RECORDS]),
        st.sampled_from(["a", "b"]),
        st.sampled_from(list(ProofLevel)),
        st.sampled_from([Action.ADD, Action.ADD, Action.CHANGE, Action.DELETE])),
        min_size=1, max_size=4))
    alive_shift = draw(st.none() | st.none() | st.integers(-400, 400))
    alive_on = (None if alive_shift is None
                else date.fromordinal(date(*dod.earliest()).toordinal() + alive_shift))
    evidence = Evidence(
        today=TODAY, alive_on=alive_on, withdrawn_as_erroneous=draw(rarely),
        open_case=draw(rarely),
        first_reported=date.fromordinal(
            TODAY.toordinal() - draw(st.sampled_from([0, 1, 11, 12, 13, 14, 15, 30]))))
    return reports, evidence


@given(cases())
@settings(max_examples=600)
def test_random_report_streams_never_publish_a_rule_violating_record(
        drawn: tuple[list[DeathReport], Evidence]) -> None:
    reports, evidence = drawn
    rules = IntegrityRules()
    record = consolidate(reports)
    if record is None:
        return
    standing = effective_reports(reports)
    final = apply_holds(record, record_holds(record, standing, evidence, rules))
    if final.status is not RecordStatus.PUBLISHED:
        return
    # The oracle, stated independently of the code: no reading of the dates may break a rule.
    vital = any(r.source.kind is SourceKind.STATE_VITAL_RECORDS for r in standing)
    assert _published_is_lawful(final, vital, evidence, rules, len(standing), standing)


def _published_is_lawful(rec: DeathRecord, vital: bool, ev: Evidence, rules: IntegrityRules,
                         n: int, standing: list[DeathReport]) -> bool:
    if rec.review_reasons or ev.open_case or (ev.withdrawn_as_erroneous and not vital):
        return False
    historical = all(r.source.kind is SourceKind.LEGACY_DMF for r in standing)
    dod = rec.date_of_death
    assert dod is not None  # a record is never made without a date of death
    deaths = _concrete(dod)
    if max(deaths) > ev.today and min(deaths) > ev.today:
        return False
    if ev.alive_on is not None and ev.alive_on > min(deaths):
        return False
    if rec.date_of_birth is not None:
        births = _concrete(rec.date_of_birth)
        if max(deaths) < min(births):
            return False
        if _age(min(births), max(deaths)) > rules.max_age_at_death:
            return False
        if not vital and not historical and _age(max(births), min(deaths)) < rules.adult_age:
            return False
    lone_unverified = (n == 1 and not vital and standing[0].proof is ProofLevel.UNKNOWN
                       and not historical)
    assert ev.first_reported is not None
    return not (lone_unverified and (ev.today - ev.first_reported).days < rules.grace_days)
