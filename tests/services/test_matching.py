"""The reference a match runs against, on both backends."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from registered import ensure_source
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import DeathRecord, RecordStatus
from vitalstat.domain.reports import ProofLevel
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services.matching import reference_for
from vitalstat.store import Store


def test_reference_is_published_and_held_records_and_knows_what_is_held_now(
        store: Store) -> None:
    with store.transaction() as tx:
        for ssn, status in (("123456789", RecordStatus.PUBLISHED),
                            ("223456789", RecordStatus.HELD),
                            ("323456789", RecordStatus.WITHDRAWN)):
            tx.save_record(DeathRecord(
                ssn=ssn, name=PersonName("SMITH", "ANN"), status=status,
                date_of_death=PartialDate.parse("2020-05-01"),
                date_of_birth=PartialDate.parse("1940-01-00"), proof=ProofLevel("P"),
                report_count=1), now="2026-11-01T00:00:00+00:00", existed=False)
    ref = reference_for(store, None)
    assert ref.table is not None
    assert ref.table.column("ssn").to_pylist() == ["123456789", "223456789"]
    assert ref.held_now == {"223456789", "323456789"}
    with pytest.raises(NotFoundError, match="no release 7"):
        reference_for(store, "7")
    with pytest.raises(ValidationError, match="not a release number"):
        reference_for(store, "r1")


def test_a_subscriber_is_matched_only_against_what_it_may_receive(store, tmp_path) -> None:
    """The match channel calls the same policy as deliveries: nothing leaks through it."""
    import csv
    from datetime import date

    from vitalstat.services import keys
    from vitalstat.services.ingest import ingest_file
    from vitalstat.services.matching import run_match
    from vitalstat.services.releases import build_release
    from vitalstat.services.subscribers import add_subscriber

    keys.generate_key(store, tmp_path / "keys", actor="keeper")
    header = "ssn,last_name,first_name,date_of_death,date_of_birth,proof\n"
    for kind, line in [("state-vital-records", "123456789,Smith,Ann,2001-02-03,1930-01-01,P"),
                       ("funeral-home", "223456789,Jones,Bob,2025-06-01,1931-02-02,V"),
                       ("funeral-home", "323456789,Brown,Cy,2001-03-04,1932-03-03,V")]:
        path = tmp_path / f"{line[:3]}.csv"
        path.write_text(header + line + "\n")
        ensure_source(store, kind, "s")
        ingest_file(store, path, source_kind=kind, source_id="s", actor="clerk")
    build_release(store, actor="b", releases=tmp_path / "rel", keys=tmp_path / "keys")
    add_subscriber(store, "open-co", tier="open", actor="clerk")
    add_subscriber(store, "cert-co", tier="certified", actor="clerk",
                   certified_until=date(2099, 1, 1))
    customers = tmp_path / "customers.csv"
    customers.write_text("id,ssn,first_name,last_name,dob\n"
                         "restricted,123456789,Ann,Smith,1930-01-01\n"
                         "embargoed,223456789,Bob,Jones,1931-02-02\n"
                         "open,323456789,Cy,Brown,1932-03-03\n")

    def decisions(subscriber: str | None) -> dict[str, tuple[str, str]]:
        out = tmp_path / f"{subscriber}.csv"
        run_match(store, customers, out, actor="x", subscriber=subscriber)
        with out.open() as fh:
            return {r["id"]: (r["decision"], r["dmf_ssn"]) for r in csv.DictReader(fh)}

    assert decisions(None) == {"restricted": ("match", "123456789"),
                               "embargoed": ("match", "223456789"),
                               "open": ("match", "323456789")}
    assert decisions("open-co") == {"restricted": ("none", ""), "embargoed": ("none", ""),
                                    "open": ("match", "323456789")}
    assert decisions("cert-co") == {"restricted": ("none", ""),
                                    "embargoed": ("match", "223456789"),
                                    "open": ("match", "323456789")}


def test_one_row_scoring_against_a_release_decides_as_the_file_engine(store,
                                                                      tmp_path) -> None:
    """Scored one-row matches (the release's index, then ``match.one_row``) decide as
    ``vitalstat match`` decides the same rows in a file, subscriber cut included."""
    from datetime import date

    from vitalstat.services import keys, matching
    from vitalstat.services.ingest import ingest_file
    from vitalstat.services.releases import build_release
    from vitalstat.services.subscribers import add_subscriber

    keys.generate_key(store, tmp_path / "keys", actor="keeper")
    path = tmp_path / "fh.csv"
    path.write_text("ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof\n"
                    "223456789,Jones,Robert,Lee,2010-09-14,1938-02-20,P\n"
                    "323456789,Brown,Carol,,2012-03-04,1940-05-06,V\n"
                    "423456789,Jones,Roberta,,2011-01-05,1938-02-20,V\n")
    ensure_source(store, "funeral-home", "fh")
    ingest_file(store, path, source_kind="funeral-home", source_id="fh", actor="clerk")
    build_release(store, actor="b", releases=tmp_path / "rel", keys=tmp_path / "keys")
    add_subscriber(store, "open-co", tier="open", actor="clerk")
    rows = [{"ssn": "223456780", "first_name": "Bob", "last_name": "Jones", "dob": "1938-02-20"},
            {"ssn": None, "first_name": "Carol", "last_name": "Brown", "dob": "1940-05-06"},
            {"ssn": "423456789", "first_name": "Robert", "last_name": "Jones",
             "dob": "1938-02-20"},
            {"ssn": "823456789", "first_name": "Nobody", "last_name": "Here",
             "dob": "1970-01-01"}]

    def run() -> list[tuple]:
        return [matching.match_one(store, row, actor="t", subscriber=sub, today=date(2026, 12, 1))
                for sub in (None, "open-co") for row in rows]

    def same_as_the_file_engine() -> list[tuple]:
        here = run()
        for sub in (None, "open-co"):
            path = tmp_path / f"rows-{sub}.csv"
            with path.open("w", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["id", "ssn", "first_name", "last_name", "dob"])
                out.writerows([n, r["ssn"] or "", r["first_name"], r["last_name"], r["dob"]]
                              for n, r in enumerate(rows))
            matching.run_match(store, path, tmp_path / f"out-{sub}.csv", actor="t",
                               subscriber=sub)
            with (tmp_path / f"out-{sub}.csv").open() as fh:
                filed = [(r["decision"], r["dmf_ssn"], r["reasons"])
                         for r in csv.DictReader(fh)]
            start = 0 if sub is None else len(rows)
            assert [(m.decision, m.dmf_ssn, m.reasons) for m in here[start:start + len(rows)]
                    ] == filed
        assert {m.path for m in here} == {"scored"}
        return here

    here = same_as_the_file_engine()
    assert [(m.decision, m.dmf_ssn) for m in here[:4]] == [
        ("review", "223456789"), ("match", "323456789"), ("match", "223456789"), ("none", "")]
    # a record held after the release was built: both engines see it held now
    with store.transaction() as tx:
        held = tx.get_record("323456789")
        assert held is not None
        tx.save_record(replace(held, status=RecordStatus.HELD), now="2026-12-01T00:00:00+00:00",
                       existed=True)
    again = same_as_the_file_engine()
    assert again[1].decision == "review" and "on hold" in again[1].reasons


def test_a_quick_decision_is_the_full_one_or_none(store, tmp_path) -> None:
    """``decide_one(quick_only=True)`` (the API's event loop) answers only when no slow
    step is needed, and then exactly as the full call does; it writes nothing."""
    from vitalstat.services import keys, matching
    from vitalstat.services.ingest import ingest_file
    from vitalstat.services.releases import build_release

    path = tmp_path / "fh.csv"
    path.write_text("ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof\n"
                    "223456789,Jones,Robert,Lee,2010-09-14,1938-02-20,P\n")
    ensure_source(store, "funeral-home", "fh")
    ingest_file(store, path, source_kind="funeral-home", source_id="fh", actor="clerk")
    exact = {"ssn": "223456789", "first_name": "Robert", "middle_name": "Lee",
             "last_name": "Jones", "dob": "1938-02-20"}
    scored = {**exact, "first_name": "Bob", "ssn": "223456780"}
    assert matching.decide_one(store, scored, quick_only=True) is None  # no release yet
    keys.generate_key(store, tmp_path / "keys", actor="keeper")
    build_release(store, actor="b", releases=tmp_path / "rel", keys=tmp_path / "keys")
    matching._INDEX.clear()
    with store.transaction(write=False) as tx:
        events_before = len(tx.events(kind="match.run"))
    quick = matching.decide_one(store, exact, quick_only=True)
    assert quick is not None and quick.match.path == "pre-pass"
    assert matching.decide_one(store, scored, quick_only=True) is None  # not indexed yet
    full = matching.decide_one(store, scored)  # indexes the release
    assert full is not None and full.match.path == "scored"
    assert matching.decide_one(store, scored, quick_only=True) == full
    assert matching.decide_one(store, exact) == quick
    with store.transaction(write=False) as tx:
        assert len(tx.events(kind="match.run")) == events_before  # deciding writes nothing
    matching.account_one(store, full, actor="t")
    with store.transaction(write=False) as tx:
        (last,) = tx.events(kind="match.run", limit=1, newest_first=True)
    assert last["actor"] == "t" and '"engine":"scored"' in last["detail"]
