"""Subscribers, tier exports and deliveries with the ledger (both backends)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from release_helpers import ingest_rows, ssn

from vitalstat.errors import ConflictError, NotFoundError, RefusedError, ValidationError
from vitalstat.formats import read_reports
from vitalstat.formats.dmf import parse_line
from vitalstat.services import keys as signing
from vitalstat.services.distribution import deliver, export_release
from vitalstat.services.releases import build_release, get_release, verify_release
from vitalstat.services.subscribers import (
    add_subscriber,
    list_subscribers,
    resume_subscriber,
    suspend_subscriber,
    update_subscriber,
)
from vitalstat.store import Store

TODAY = date(2026, 12, 1)
OLD, RECENT = "1999-01-01", "2025-06-01"  # past the embargo / inside it on TODAY


@pytest.fixture
def env(store: Store, tmp_path: Path) -> dict[str, Path]:
    signing.generate_key(store, tmp_path / "keys", actor="keeper")
    return {"keys": tmp_path / "keys", "releases": tmp_path / "releases",
            "out": tmp_path / "out"}


def build(store: Store, env: dict[str, Path]) -> int:
    return build_release(store, actor="builder", releases=env["releases"],
                         keys=env["keys"]).release.id


def send(store: Store, env: dict[str, Path], name: str, today: date = TODAY):
    result = deliver(store, name, out=env["out"] / name, actor="clerk", keys=env["keys"],
                     today=today)
    lines = (result.directory / f"{result.kind}.dmf").read_text().splitlines()
    return result, [(line[0], parse_line(line).ssn) for line in lines]


def test_subscriber_rules_and_events(store: Store) -> None:
    add_subscriber(store, "acme", tier="open", actor="clerk")
    with pytest.raises(ConflictError):
        add_subscriber(store, "acme", tier="open", actor="clerk")
    with pytest.raises(ValidationError, match="certified-until"):
        add_subscriber(store, "bank", tier="certified", actor="clerk")
    with pytest.raises(ValidationError, match="agreement"):
        add_subscriber(store, "ssa", tier="benefits-agency", actor="clerk")
    with pytest.raises(ValidationError, match="ends before it starts"):
        add_subscriber(store, "ssa", tier="benefits-agency", actor="clerk", agreement_id="C",
                       agreement_start=date(2027, 1, 1), agreement_end=date(2026, 1, 1))
    add_subscriber(store, "bank", tier="certified", actor="clerk",
                   certified_until=date(2027, 1, 31))
    update_subscriber(store, "bank", certified_until=date(2028, 1, 31), actor="auditor")
    suspend_subscriber(store, "acme", actor="clerk")
    subs = {s.name: s for s in list_subscribers(store)}
    assert subs["acme"].standing.suspended
    assert subs["bank"].standing.certified_until == date(2028, 1, 31)
    resume_subscriber(store, "acme", actor="clerk")
    with pytest.raises(NotFoundError):
        suspend_subscriber(store, "nobody", actor="clerk")
    with store.transaction(write=False) as tx:
        kinds = [(e["kind"], e["actor"]) for e in tx.events() if e["kind"].startswith("sub")]
    assert kinds == [("subscriber.added", "clerk"), ("subscriber.added", "clerk"),
                     ("subscriber.updated", "auditor"), ("subscriber.suspended", "clerk"),
                     ("subscriber.resumed", "clerk")]


def test_full_file_then_adds_changes_and_withdrawals(store: Store, tmp_path: Path,
                                                     env: dict[str, Path]) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD), (ssn(2), "Bell", "Bo", OLD),
                                  (ssn(3), "Cole", "Cy", RECENT)])
    add_subscriber(store, "acme", tier="open", actor="clerk")
    with pytest.raises(NotFoundError, match="release build"):
        send(store, env, "acme")
    build(store, env)
    first, lines = send(store, env, "acme")
    assert first.kind == "full" and first.records == 2
    assert lines == [(" ", ssn(1)), (" ", ssn(2))]  # ssn(3) is inside the embargo
    verify_release(first.directory, keys=env["keys"])

    ingest_rows(store, tmp_path, [(ssn(4), "Dunn", "Di", OLD), (ssn(2), "Bell", "Bo", OLD, "D")])
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD)], kind="funeral-home",
                source_id="fh")  # a second source: the record changes (version 2)
    build(store, env)
    second, lines = send(store, env, "acme")
    assert second.kind == "update" and second.counts == {"adds": 1, "changes": 1, "deletes": 1}
    assert lines == [("C", ssn(1)), ("D", ssn(2)), ("A", ssn(4))]
    verify_release(second.directory, keys=env["keys"])

    third, lines = send(store, env, "acme")
    assert third.kind == "update" and lines == []  # nothing new

    with store.transaction(write=False) as tx:
        sub_id = tx.subscriber_row("acme")["id"]
        ledger = [(r["ssn"], r["version"], r["action"]) for r in tx.ledger_rows(
            subscriber_id=sub_id)]
        events = [e for e in tx.events() if e["kind"] == "subscriber.delivered"]
    assert ledger == [(ssn(1), 1, " "), (ssn(2), 1, " "), (ssn(1), 2, "C"), (ssn(2), 1, "D"),
                      (ssn(4), 1, "A")]
    assert [e["actor"] for e in events] == ["clerk"] * 3


def test_embargo_end_and_tier_changes_reach_the_next_delivery(store: Store, tmp_path: Path,
                                                              env: dict[str, Path]) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD), (ssn(3), "Cole", "Cy", RECENT)])
    ingest_rows(store, tmp_path, [(ssn(5), "Eyre", "Ed", OLD)], kind="state-vital-records",
                source_id="OH")
    add_subscriber(store, "bank", tier="certified", actor="clerk",
                   certified_until=date(2027, 1, 31))
    build(store, env)
    _, lines = send(store, env, "bank")
    assert lines == [(" ", ssn(1)), (" ", ssn(3))]  # never the restricted ssn(5)
    # certification lapses: the embargoed record is taken back, with a note
    lapsed, lines = send(store, env, "bank", today=date(2027, 2, 1))
    assert lapsed.tier.value == "open" and "expired on 2027-01-31" in lapsed.notes[0]
    assert lines == [("D", ssn(3))]
    # the embargo ends (31 Dec 2028 for a 2025 death): it comes back as open data
    _, lines = send(store, env, "bank", today=date(2029, 1, 1))
    assert lines == [("A", ssn(3))]
    # promoted to a benefits agency under an agreement: the restricted record arrives
    update_subscriber(store, "bank", tier="benefits-agency", agreement_id="CMA-9",
                      agreement_start=date(2029, 1, 1), agreement_end=date(2030, 6, 30),
                      actor="clerk")
    _, lines = send(store, env, "bank", today=date(2029, 1, 2))
    assert lines == [("A", ssn(5))]
    suspend_subscriber(store, "bank", actor="clerk")
    with pytest.raises(RefusedError, match="suspended") as refused:
        send(store, env, "bank", today=date(2029, 1, 3))
    assert ssn(5) not in str(refused.value)


def test_a_withdrawn_record_reaches_every_recipient(store: Store, tmp_path: Path,
                                                    env: dict[str, Path]) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD), (ssn(2), "Bell", "Bo", OLD)])
    for name in ("a", "b"):
        add_subscriber(store, name, tier="open", actor="clerk")
    build(store, env)
    send(store, env, "a")
    ingest_rows(store, tmp_path, [(ssn(2), "Bell", "Bo", OLD, "D")])
    build(store, env)
    _, a_lines = send(store, env, "a")
    _, b_lines = send(store, env, "b")  # b never had it: its first file lacks it, no D
    assert a_lines == [("D", ssn(2))]
    assert b_lines == [(" ", ssn(1))]


@pytest.mark.parametrize("fmt", ["dmf", "csv", "parquet"])
def test_export_formats_are_readable_tier_files(store: Store, tmp_path: Path,
                                                env: dict[str, Path], fmt: str) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD), (ssn(3), "Cole", "Cy", RECENT)])
    first = build(store, env)
    ingest_rows(store, tmp_path, [(ssn(4), "Dunn", "Di", OLD), (ssn(1), "Avery", "Ann", OLD, "D")])
    second = build(store, env)
    full = tmp_path / f"open.{fmt}"
    r = export_release(store, release_id=first, tier="open", fmt=fmt, out=full,
                       actor="clerk", today=TODAY)
    assert r.records == 1 and r.tier.value == "open"
    (chunk,) = list(read_reports(full, fmt))
    assert [row.ssn for row in chunk.rows] == [ssn(1)] and not chunk.problems
    delta = tmp_path / f"delta.{fmt}"
    r = export_release(store, release_id=second, since=first, tier="open", fmt=fmt, out=delta,
                       actor="clerk", today=TODAY)
    assert r.counts == {"adds": 1, "changes": 0, "deletes": 1}
    (chunk,) = list(read_reports(delta, fmt))
    assert [(row.action, row.ssn) for row in chunk.rows] == [("D", ssn(1)), ("A", ssn(4))]
    if fmt == "csv":
        assert pacsv.read_csv(delta).column_names[0] == "action"
    if fmt == "parquet":
        assert pq.read_table(delta).num_rows == 2


def test_exports_above_open_need_an_entitled_named_recipient(store: Store, tmp_path: Path,
                                                              env: dict[str, Path]) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD), (ssn(3), "Cole", "Cy", RECENT)])
    rid = build(store, env)
    out = tmp_path / "x.dmf"
    with pytest.raises(RefusedError, match="--subscriber"):
        export_release(store, release_id=rid, tier="certified", fmt="dmf", out=out,
                       actor="clerk", today=TODAY)
    assert not out.exists()
    add_subscriber(store, "bank", tier="certified", actor="clerk",
                   certified_until=date(2026, 11, 30))  # expired yesterday
    r = export_release(store, release_id=rid, tier="certified", fmt="dmf", out=out,
                       subscriber="bank", actor="clerk", today=TODAY)
    assert r.tier.value == "open" and "expired" in r.notes[0] and r.records == 1
    update_subscriber(store, "bank", certified_until=date(2027, 11, 30), actor="clerk")
    r = export_release(store, release_id=rid, tier="certified", fmt="dmf", out=out,
                       subscriber="bank", actor="clerk", today=TODAY)
    assert r.tier.value == "certified" and r.records == 2
    with store.transaction(write=False) as tx:
        logged = tx.ledger_rows(subscriber_id=tx.subscriber_row("bank")["id"])
    assert [x["ssn"] for x in logged] == [ssn(1), ssn(1), ssn(3)]
    with pytest.raises(ValidationError, match="format"):
        export_release(store, release_id=rid, tier="open", fmt="xml", out=out, actor="c")
    with pytest.raises(ValidationError, match="earlier release"):
        export_release(store, release_id=rid, since=rid, tier="open", fmt="dmf", out=out,
                       actor="c")


def test_a_since_export_never_carries_what_the_recipient_may_not_have_now(
        store: Store, tmp_path: Path, env: dict[str, Path]) -> None:
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD)])
    ingest_rows(store, tmp_path, [(ssn(5), "Eyre", "Ed", OLD)], kind="state-vital-records",
                source_id="OH")
    first = build(store, env)
    built_on = date.fromisoformat(get_release(store, first).built_at[:10])
    add_subscriber(store, "ssa", tier="benefits-agency", actor="clerk", agreement_id="CMA",
                   agreement_start=built_on, agreement_end=built_on)
    ingest_rows(store, tmp_path, [(ssn(5), "Eyre", "Ed", OLD, "D")],
                kind="state-vital-records", source_id="OH")  # the restricted one goes
    second = build(store, env)
    out = tmp_path / "since.dmf"
    later = date(built_on.year + 1, 1, 1)  # the agreement has ended: treated as open
    r = export_release(store, release_id=second, since=first, tier="benefits-agency",
                       fmt="dmf", out=out, subscriber="ssa", actor="clerk", today=later)
    assert r.tier.value == "open"
    assert ssn(5) not in out.read_text()  # no D carrying the restricted record's details


def test_a_non_ascii_subscriber_gets_a_verifiable_delivery_and_unsafe_names_are_refused(
        store: Store, tmp_path: Path, env: dict[str, Path]) -> None:
    for bad in ("../elsewhere", "a/b", "bell\x8cbank", ".hidden", "x" * 201):
        with pytest.raises(ValidationError, match="printable"):
            add_subscriber(store, bad, tier="open", actor="clerk")
    ingest_rows(store, tmp_path, [(ssn(1), "Avery", "Ann", OLD)])
    build(store, env)
    add_subscriber(store, "Caja de Ahorros Ñandú", tier="open", actor="clerk")
    made, lines = send(store, env, "Caja de Ahorros Ñandú")
    assert lines == [(" ", ssn(1))]
    verify_release(made.directory, keys=env["keys"])  # the signed comment names it in UTF-8
