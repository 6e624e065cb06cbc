from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from vitalstat.domain.consolidate import consolidate, names_conflict, sole_report_record
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.domain.reports import Action, DeathReport, ProofLevel, Source, SourceKind

SSN = "123456789"
MAY17 = PartialDate(2020, 5, 17)


def report(kind: SourceKind = SourceKind.FUNERAL_HOME, sid: str = "fh1", *,
           dod: PartialDate | None = MAY17, last: str = "SMITH",
           first: str = "ANN", proof: ProofLevel = ProofLevel.UNKNOWN,
           action: Action = Action.ADD, dob: PartialDate | None = None) -> DeathReport:
    return DeathReport(ssn=SSN, name=PersonName(last, first), date_of_death=dod,
                       date_of_birth=dob, source=Source(kind, sid), payload_hash="h",
                       action=action, proof=proof, received_at=datetime(2026, 1, 1))


def test_one_report_publishes_with_its_own_values() -> None:
    rec = consolidate([report()])
    assert rec is not None and rec == sole_report_record(report())
    assert rec.status is RecordStatus.PUBLISHED and rec.report_count == 1 and not rec.restricted


def test_state_source_makes_the_record_restricted_and_proven() -> None:
    rec = consolidate([report(), report(SourceKind.STATE_VITAL_RECORDS, "OH",
                                        proof=ProofLevel.PROVEN)])
    assert rec is not None
    assert rec.restricted and rec.proof is ProofLevel.PROVEN and rec.report_count == 2


def test_conflicting_dates_hold_the_record_instead_of_picking() -> None:
    rec = consolidate([report(), report(SourceKind.FAMILY, "f1", dod=PartialDate(2020, 6, 17))])
    assert rec is not None
    assert rec.status is RecordStatus.HELD
    assert rec.review_reasons == (ReviewReason.CONFLICTING_DATE_OF_DEATH,)


def test_partial_date_agreeing_with_full_date_is_not_a_conflict() -> None:
    rec = consolidate([report(dod=PartialDate(2020, 5)),
                       report(SourceKind.FAMILY, "f1", dod=PartialDate(2020, 5, 17))])
    assert rec is not None
    assert rec.status is RecordStatus.PUBLISHED and rec.date_of_death == PartialDate(2020, 5, 17)


def test_conflicting_names_hold_the_record() -> None:
    rec = consolidate([report(), report(SourceKind.FAMILY, "f1", last="JONES")])
    assert rec is not None and ReviewReason.CONFLICTING_NAME in rec.review_reasons


def test_initial_is_not_a_name_conflict() -> None:
    assert not names_conflict(PersonName("SMITH", "ANN"), PersonName("SMITH", "A"))
    assert names_conflict(PersonName("SMITH", "ANN"), PersonName("SMITH", "BOB"))


def test_delete_retracts_the_sources_report_and_withdraws_the_record() -> None:
    first = consolidate([report()])
    assert first is not None
    rec = consolidate([report(), report(action=Action.DELETE, dod=None)], first)
    assert rec is not None
    assert rec.status is RecordStatus.WITHDRAWN and rec.version == first.version + 1


def test_delete_for_unknown_person_creates_nothing() -> None:
    assert consolidate([report(action=Action.DELETE, dod=None)]) is None


def test_change_replaces_the_same_sources_earlier_report() -> None:
    rec = consolidate([report(dod=PartialDate(2020, 5, 17)),
                       report(action=Action.CHANGE, dod=PartialDate(2020, 5, 18))])
    assert rec is not None
    assert rec.status is RecordStatus.PUBLISHED and rec.date_of_death == PartialDate(2020, 5, 18)


def test_unchanged_record_keeps_its_version() -> None:
    rec = consolidate([report()])
    assert consolidate([report()], rec) is rec


kinds = st.sampled_from(list(SourceKind))
proofs = st.sampled_from(list(ProofLevel))
dates = st.builds(lambda y, m, d: PartialDate(y, m, d if m else 0),
                  st.integers(2000, 2002), st.integers(0, 2), st.integers(0, 2))
reports = st.lists(
    st.builds(report, kinds, st.sampled_from(["a", "b", "c"]), dod=dates, proof=proofs,
              last=st.sampled_from(["SMITH", "SMYTH"])),
    min_size=1, max_size=6,
)


@given(reports)
def test_consolidation_properties(rs: list[DeathReport]) -> None:
    rec = consolidate(rs)
    assert rec is not None
    standing = {(r.source.kind, r.source.source_id): r for r in rs}.values()
    assert rec.report_count == len(standing)
    assert rec.proof.strength == max(r.proof.strength for r in standing)
    assert rec.restricted == any(r.source.kind is SourceKind.STATE_VITAL_RECORDS for r in standing)
    all_compatible = all(a.date_of_death.compatible(b.date_of_death)  # type: ignore[union-attr]
                         for a in standing for b in standing)
    assert (ReviewReason.CONFLICTING_DATE_OF_DEATH not in rec.review_reasons) == all_compatible
    assert (rec.status is RecordStatus.HELD) == bool(rec.review_reasons)
    # the date shown is one a source actually gave (never invented)
    assert rec.date_of_death in {r.date_of_death for r in standing}
    # consolidation is stable: running it again on its own output changes nothing
    assert consolidate(rs, rec) is rec
