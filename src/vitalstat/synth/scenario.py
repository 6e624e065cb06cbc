"""The scenario: who is reported by which source, conflicts and corrections, and ``generate``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from vitalstat.domain.identity import PartialDate
from vitalstat.domain.reports import SourceKind
from vitalstat.formats.dmf import write_dmf
from vitalstat.synth.people import LEGACY_CUTOFF, _Factory, _pdate, _Person, _Report, _typo
from vitalstat.synth.rows import _dmf_entries, _Key, _RowMaker
from vitalstat.synth.subscriber import _customers, _write_subscriber
from vitalstat.synth.types import Manifest, Progress, ReportFile

LEGACY_SOURCE_ID = "ntis"

_RECENT_KINDS = ("state", "funeral", "family", "federal", "financial")
_RECENT_WEIGHTS = (50, 20, 10, 10, 10)
_HISTORIC_EXTRA = ("state", "federal", "financial")  # who still reports a pre-2011 death


@dataclass(slots=True)
class _Scenario:
    full: list[_Report] = field(default_factory=list)  # the legacy full file
    update: list[tuple[str, _Report]] = field(default_factory=list)  # (A/C/D, statement)
    reports: dict[_Key, list[_Report]] = field(default_factory=dict)  # the other sources
    on_file: list[_Person] = field(default_factory=list)  # dead people, not withdrawn


def _statement(p: _Person) -> _Report:
    """What a source that has it all right says about ``p``."""
    assert p.dod is not None
    return _Report(p, _pdate(p.dod), _pdate(p.dob), p.first, p.last)


def _build_scenario(f: _Factory, people: int, progress: Progress | None) -> _Scenario:
    r = f.rng
    sc = _Scenario()
    persons: list[_Person] = []
    for i in range(people):
        persons.append(f.dead(historic=r.random() < 0.5))
        if progress and ((i + 1) % 5000 == 0 or i + 1 == people):
            progress("people", i + 1, people)
    historic = [p for p in persons if p.dod is not None and p.dod < LEGACY_CUTOFF]
    in_full: list[_Person] = []
    in_update: set[str] = set()
    for p in historic:
        p.proof = r.choices(("P", "V", ""), weights=(40, 35, 25))[0]
        if r.random() < 0.04:
            in_update.add(p.ssn)
        else:
            in_full.append(p)

    # Legacy corrections: a few withdrawn (D), some with a detail fixed (C).
    order = list(in_full)
    r.shuffle(order)
    n_d = min(len(order), max(1, round(len(order) * 0.005)))
    n_c = min(len(order) - n_d, max(1, round(len(order) * 0.02)))
    withdrawn, changed = order[:n_d], order[n_d : n_d + n_c]
    special = {p.ssn for p in withdrawn} | {p.ssn for p in changed}

    # Multi-source people (~15%): a few conflicting, a few with a coarser date somewhere.
    candidates = [p for p in persons if p.ssn not in special]
    r.shuffle(candidates)
    multi = candidates[: round(people * 0.15)]
    n_conflict = min(len(multi), max(1, round(len(multi) * 0.01)))
    n_coarse = min(len(multi) - n_conflict, max(1, round(len(multi) * 0.03)))
    conflict = {p.ssn for p in multi[:n_conflict]}
    multi_ssns = {p.ssn for p in multi}

    def add(key: _Key, rep: _Report) -> None:
        sc.reports.setdefault(key, []).append(rep)

    def key_for(kind: str, p: _Person) -> _Key:
        if kind == "state":
            return ("state", p.state)
        if kind == "funeral":  # a home in the person's state, if there is one
            local = [fid for fid in f.funeral_ids if fid.endswith(f"-{p.state.lower()}")]
            return ("funeral", r.choice(local or f.funeral_ids))
        return (kind, "")

    primary_kind: dict[str, str] = {}
    for p in persons:
        assert p.dod is not None
        rep = _statement(p)
        if p.ssn not in conflict and r.random() < 0.03:
            rep.dod = f.partial(p.dod)
        if p.dod < LEGACY_CUTOFF:
            rep.proof = p.proof
            if p.ssn not in multi_ssns and r.random() < 0.02:
                rep.dob = None if r.random() < 0.5 else PartialDate(p.dob.year, p.dob.month)
            primary_kind[p.ssn] = "legacy"
            if p.ssn in in_update:
                sc.update.append(("A", rep))
            else:
                sc.full.append(rep)
        else:
            kind = r.choices(_RECENT_KINDS, weights=_RECENT_WEIGHTS)[0]
            primary_kind[p.ssn] = kind
            add(key_for(kind, p), rep)

    position = {rep.person.ssn: i for i, rep in enumerate(sc.full)}
    for p in withdrawn:
        sc.update.append(("D", sc.full[position[p.ssn]]))
    for p in changed:
        right = sc.full[position[p.ssn]]
        sc.full[position[p.ssn]] = _corrupt(f, right)
        sc.update.append(("C", right))

    for i, p in enumerate(multi):
        assert p.dod is not None
        pool = _HISTORIC_EXTRA if p.dod < LEGACY_CUTOFF else _RECENT_KINDS
        kinds = [k for k in pool if k != primary_kind[p.ssn]]
        extra = r.sample(kinds, 2 if r.random() < 0.2 else 1)
        for j, kind in enumerate(extra):
            rep = _statement(p)
            if j == 0 and i < n_conflict:
                if (p.dod - p.dob).days > 90 and r.random() < 0.5:
                    rep.dod = _pdate(p.dod - timedelta(days=r.randint(1, 60)))
                else:
                    rep.first = f.other_first(p.sex, p.first)
            elif j == 0 and i < n_conflict + n_coarse:
                rep.dod = f.partial(p.dod, month_too=0.2)
            add(key_for(kind, p), rep)

    sc.full.sort(key=lambda rep: rep.person.ssn)
    sc.update.sort(key=lambda t: t[1].person.ssn)
    gone = {p.ssn for p in withdrawn}
    sc.on_file = [p for p in persons if p.ssn not in gone]
    return sc


def _corrupt(f: _Factory, right: _Report) -> _Report:
    """The full file's wrong version of a statement the update file corrects (``C``)."""
    p = right.person
    assert p.dod is not None
    wrong = _Report(p, right.dod, right.dob, right.first, right.last, right.proof)
    what = f.rng.choice(("first", "last", "dob", "proof", "dod"))
    if what == "first":
        wrong.first = _typo(f.rng, right.first)
    elif what == "last":
        wrong.last = _typo(f.rng, right.last)
    elif what == "dob" or (what == "dod" and (p.dod - p.dob).days < 400):
        wrong.dob = _pdate(p.dob - timedelta(days=365))
    elif what == "proof":
        wrong.proof, right.proof = "", "P"
    else:
        wrong.dod = _pdate(p.dod - timedelta(days=f.rng.randint(1, 30)))
    return wrong


# ------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    *,
    people: int = 100_000,
    seed: int = 0,
    subscriber_rows: int | None = None,
    today: date = date(2026, 11, 1),
    progress: Progress | None = None,
) -> Manifest:
    """Write a synthetic scenario of ``people`` dead people into ``out_dir``.

    Files: ``legacy-dmf.dmf`` (full file, deaths before Nov 2011), ``legacy-dmf-update.dmf``
    (A/C/D), ``state-vital-records-XX.csv``, ``funeral-home-*.csv``, ``family.csv``,
    ``federal-agency.parquet``, ``financial-institution.csv``, ``manifest.tsv`` (the report
    files in ingest order) and ``subscriber.csv`` with its answer key
    ``subscriber-truth.csv`` (living customers are generated on top of ``people``).
    Identical arguments give byte-identical files; nothing depends on the clock.
    """
    from vitalstat.formats.tabular import write_csv, write_parquet

    if people < 1:
        raise ValueError("people must be at least 1")
    if today <= LEGACY_CUTOFF + timedelta(days=365):
        raise ValueError(f"today must be after {LEGACY_CUTOFF.year + 1}-11-01")
    out_dir.mkdir(parents=True, exist_ok=True)
    f = _Factory(random.Random(seed), seed, today)
    f.organisations(people)
    sc = _build_scenario(f, people, progress)
    maker = _RowMaker(f)

    legacy = SourceKind.LEGACY_DMF.value
    plan: list[tuple[_Key, str, str, str]] = []  # key, file name, kind, source id
    for key in sorted(sc.reports):
        kind, ident = key
        plan.append({
            "state": (key, f"state-vital-records-{ident}.csv",
                      SourceKind.STATE_VITAL_RECORDS.value, ident),
            "funeral": (key, f"funeral-home-{ident}.csv", SourceKind.FUNERAL_HOME.value, ident),
            "family": (key, "family.csv", SourceKind.FAMILY.value, "family"),
            "federal": (key, "federal-agency.parquet", SourceKind.FEDERAL_AGENCY.value, "va"),
            "financial": (key, "financial-institution.csv",
                          SourceKind.FINANCIAL_INSTITUTION.value, f.bank_id),
        }[kind])  # fmt: skip
    plan.sort(key=lambda t: (_RECENT_KINDS.index(t[0][0]), t[1]))
    total = len(plan) + 2
    files = [
        ReportFile(out_dir / "legacy-dmf.dmf", "dmf", legacy, LEGACY_SOURCE_ID),
        ReportFile(out_dir / "legacy-dmf-update.dmf", "dmf", legacy, LEGACY_SOURCE_ID),
    ]
    write_dmf(files[0].path, _dmf_entries((" ", rep) for rep in sc.full))
    if progress:
        progress("files", 1, total)
    write_dmf(files[1].path, _dmf_entries(sc.update), update=True)
    if progress:
        progress("files", 2, total)
    for n, (key, name, kind, ident) in enumerate(plan, 3):
        path = out_dir / name
        rows = maker.rows(key, sc.reports[key])
        if path.suffix == ".parquet":
            write_parquet(path, rows)
        else:
            write_csv(path, rows)
        files.append(ReportFile(path, path.suffix.lstrip("."), kind, ident))
        if progress:
            progress("files", n, total)

    with (out_dir / "manifest.tsv").open("w", encoding="utf-8", newline="\n") as out:
        out.write("file\tformat\tsource_kind\tsource_id\n")
        for rf in files:
            out.write(f"{rf.path.name}\t{rf.format}\t{rf.source_kind}\t{rf.source_id}\n")

    rows_wanted = min(people, 20_000) if subscriber_rows is None else subscriber_rows
    customers = _customers(f, sc.on_file, rows_wanted)
    sub_path, truth_path = _write_subscriber(f, out_dir, customers, progress)
    return Manifest(out_dir, files, people, sub_path, truth_path)
