"""Decision rules as properties: safety rules only lower, never raise, a decision."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vitalstat.match.comparisons import COMPARISONS
from vitalstat.match.decide import (
    PROFILES,
    Candidate,
    Decision,
    RowIdentity,
    decide,
    resolve_claims,
)

levels = st.fixed_dictionaries({
    c.name: st.sampled_from(["missing", *(lv.key for lv in c.levels)]) for c in COMPARISONS})
candidates = st.builds(Candidate, ssn=st.sampled_from(["123456789", "223456789"]),
                       weight=st.floats(-40, 60), levels=levels, held=st.booleans(),
                       date_of_death=st.none())
profiles = st.sampled_from(sorted(PROFILES.values(), key=lambda p: p.name))


def _by_threshold(c: Candidate, profile) -> Decision:
    if c.weight >= profile.match_weight:
        return Decision.MATCH
    return Decision.REVIEW if c.weight >= profile.review_weight else Decision.NONE


@given(candidates, st.none() | candidates, profiles, st.booleans())
def test_safety_rules_only_lower_the_threshold_decision(best, runner, profile, has_ssn) -> None:
    out = decide(best, runner, profile, row_has_ssn=has_ssn)
    assert out.decision <= _by_threshold(best, profile)


@given(candidates, profiles)
def test_ssn_alone_is_never_a_match(best, profile) -> None:
    alone = {**best.levels, "ssn": "exact", "first": "else", "last": "else", "dob": "else"}
    c = Candidate(best.ssn, 1000.0, alone)
    assert decide(c, None, profile, row_has_ssn=True).decision == Decision.NONE
    no_name = {**best.levels, "ssn": "exact", "first": "else"}
    assert decide(Candidate(best.ssn, 1000.0, no_name), None, profile,
                  row_has_ssn=True).decision < Decision.MATCH


@given(candidates, profiles, st.sampled_from(["one-digit", "transposed", "else", "missing"]),
       st.sampled_from(["else", "sounds-alike", "typo"]))
def test_twins_are_never_a_match(best, profile, ssn, first) -> None:
    twin = {**best.levels, "ssn": ssn, "first": first, "last": "exact", "dob": "exact"}
    out = decide(Candidate(best.ssn, 1000.0, twin), None, profile, row_has_ssn=True)
    assert out.decision == Decision.NONE


@given(candidates, profiles)
def test_held_records_never_match(best, profile) -> None:
    held = Candidate(best.ssn, 1000.0, best.levels, held=True)
    assert decide(held, None, profile, row_has_ssn=True).decision < Decision.MATCH


def test_no_candidate_is_none() -> None:
    assert decide(None, None, PROFILES["insurer"], row_has_ssn=True).decision == Decision.NONE


def test_a_close_runner_up_sends_to_review() -> None:
    lv = {"ssn": "missing", "first": "exact", "middle": "exact", "last": "exact",
          "dob": "exact"}
    a, b = Candidate("123456789", 14.0, lv), Candidate("223456789", 13.0, lv)
    assert decide(a, b, PROFILES["insurer"], row_has_ssn=False).decision == Decision.REVIEW
    assert decide(a, None, PROFILES["insurer"], row_has_ssn=False).decision == Decision.MATCH


identities = st.builds(RowIdentity, ssn=st.none() | st.sampled_from(["123456789", "223456789"]),
                       dob=st.none() | st.sampled_from(["1940-01-01", "1941-01-01"]),
                       first_keys=st.sampled_from([frozenset(), frozenset({"ANN"}),
                                                   frozenset({"BOB", "ROBERT"})]),
                       first_initial=st.sampled_from(["", "A", "B"]))


@given(st.lists(identities, min_size=1, max_size=5))
def test_claims_only_lower_and_one_person_on_many_rows_still_matches(ids) -> None:
    lv = {c.name: "exact" for c in COMPARISONS}
    outcomes = [decide(Candidate("123456789", 30.0, lv), None, PROFILES["insurer"],
                       row_has_ssn=True) for _ in ids]
    resolve_claims(outcomes, ids.__getitem__)
    same = all(a.same_person(b) for a in ids for b in ids)
    expected = Decision.MATCH if same or len(ids) == 1 else Decision.REVIEW
    assert all(o.decision == expected for o in outcomes)


@given(candidates, profiles)
def test_a_different_ssn_is_never_a_match(best, profile) -> None:
    other = Candidate(best.ssn, 1000.0, {**best.levels, "ssn": "else"})
    assert decide(other, None, profile, row_has_ssn=True).decision < Decision.MATCH
