"""Integrity rules at ingest, on SQLite and PostgreSQL: what publishes, waits or is held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from registered import ensure_source
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.services.holds import held_records, recheck_pending
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

HEADER = "ssn,last_name,first_name,date_of_death,date_of_birth,proof,reporter_name\n"
R = ReviewReason
NEXT_YEAR = datetime.now(UTC).year + 1


def ingest(store: Store, tmp_path: Path, name: str, *lines: str, kind: str = "funeral-home",
           rules: IntegrityRules | None = None):
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    ensure_source(store, kind, "src-1")
    return ingest_file(store, path, source_kind=kind, source_id="src-1", actor="tester",
                       rules=rules)


def status(store: Store, ssn: str) -> tuple[RecordStatus, tuple[ReviewReason, ...]]:
    with store.transaction(write=False) as tx:
        rec = tx.get_record(ssn)
    assert rec is not None
    return rec.status, rec.review_reasons


def test_each_record_rule_holds_at_ingest(store: Store, tmp_path: Path) -> None:
    result = ingest(store, tmp_path, "a.csv",
                    "123456789,Smith,Ann,2020-05-17,1930-01-02,V,J. Doe",
                    f"223456789,Lee,Bo,{NEXT_YEAR}-01-01,1930-01-02,V,J. Doe",
                    "323456789,Ng,Cy,2020-05-17,2010-01-01,V,J. Doe",
                    "423456789,Oh,Di,2020-05-17,1890-01-01,V,J. Doe",
                    "523456789,Po,Ed,2020-05-17,2021-01-01,V,J. Doe")
    assert status(store, "123456789") == (RecordStatus.PUBLISHED, ())
    assert status(store, "223456789") == (RecordStatus.HELD, (R.DEATH_IN_FUTURE,))
    assert status(store, "323456789") == (RecordStatus.HELD, (R.MINOR_NON_VITAL,))
    assert status(store, "423456789") == (RecordStatus.HELD, (R.AGE_OVER_LIMIT,))
    assert status(store, "523456789") == (RecordStatus.HELD, (R.DEATH_BEFORE_BIRTH,))
    assert sorted(result.records_held) == ["223456789", "323456789", "423456789",
                                           "523456789"]
    queue = held_records(store)
    assert {r.ssn for r in queue} == set(result.records_held)
    assert [r.ssn for r in held_records(store, reason=R.MINOR_NON_VITAL)] == ["323456789"]


def test_a_minor_on_a_state_vital_report_publishes(store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path, "s.csv", "323456789,Ng,Cy,2020-05-17,2010-01-01,P,Registrar",
           kind="state-vital-records")
    assert status(store, "323456789") == (RecordStatus.PUBLISHED, ())


def test_pending_records_publish_when_the_grace_period_ends(store: Store,
                                                            tmp_path: Path) -> None:
    ingest(store, tmp_path, "p.csv", "123456789,Smith,Ann,2020-05-17,1930-01-02,,J. Doe")
    assert status(store, "123456789") == (RecordStatus.PENDING, (R.SINGLE_UNVERIFIED,))
    today = datetime.now(UTC).date()
    rules = IntegrityRules()
    assert recheck_pending(store, actor="clerk", today=today, rules=rules) == []
    later = today + timedelta(days=rules.grace_days)
    (changed,) = recheck_pending(store, actor="clerk", today=later, rules=rules)
    assert changed.ssn == "123456789" and changed.status is RecordStatus.PUBLISHED
    assert status(store, "123456789") == (RecordStatus.PUBLISHED, ())
    with store.transaction(write=False) as tx:
        kinds = [e["kind"] for e in tx.events(subject="record:123456789")]
    assert kinds == ["record.published"]


def test_a_second_source_corroborates_a_pending_record(store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path, "p.csv", "123456789,Smith,Ann,2020-05-17,1930-01-02,,J. Doe")
    ingest(store, tmp_path, "f.csv", "123456789,Smith,Ann,2020-05-17,1930-01-02,,Son",
           kind="family")
    assert status(store, "123456789") == (RecordStatus.PUBLISHED, ())


def test_the_historical_file_publishes_lone_lines_without_proof(store: Store,
                                                                 tmp_path: Path) -> None:
    ingest(store, tmp_path, "l.csv", "123456789,Smith,Ann,1990-05-17,1930-01-02,,",
           kind="legacy-dmf")
    assert status(store, "123456789") == (RecordStatus.PUBLISHED, ())


def test_a_surge_holds_the_batch_that_crosses_the_daily_ceiling(store: Store,
                                                                tmp_path: Path) -> None:
    rules = IntegrityRules(surge_ceiling=3)
    first = ingest(store, tmp_path, "1.csv", *(f"{n}23456789,Smith,Ann,2020-05-17,,V,J"
                                             for n in (1, 2)), rules=rules)
    assert first.batch_reasons == []
    second = ingest(store, tmp_path, "2.csv", *(f"{n}23456789,Smith,Ann,2020-05-17,,V,J"
                                              for n in (3, 4)), rules=rules)
    assert second.batch_reasons == ["source-surge"] and second.records_held_in_bulk == 2
    assert status(store, "123456789") == (RecordStatus.PUBLISHED, ())
    assert status(store, "423456789") == (RecordStatus.HELD, (R.SOURCE_SURGE,))


def test_too_many_flagged_people_hold_the_whole_batch(store: Store, tmp_path: Path) -> None:
    rules = IntegrityRules(batch_flag_limit=1)
    result = ingest(store, tmp_path, "b.csv",
                    "123456789,Smith,Ann,2020-05-17,1930-01-02,V,J",
                    f"223456789,Lee,Bo,{NEXT_YEAR}-01-01,,V,J",
                    f"323456789,Ng,Cy,{NEXT_YEAR}-02-01,,V,J", rules=rules)
    assert result.batch_reasons == ["batch-flagged"]
    assert status(store, "123456789") == (RecordStatus.HELD, (R.BATCH_FLAGGED,))
    assert status(store, "223456789") == (RecordStatus.HELD,
                                          (R.DEATH_IN_FUTURE, R.BATCH_FLAGGED))
