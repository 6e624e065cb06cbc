"""Test helper: activity for the dashboard's charts, made through the services.

On top of ``web_helpers._seed`` (three records, the sources registered there): reports
received in each of the last five months from several source kinds, records held for
several reasons, three corrected cases (opened 2, 9 and 30 days before they were
corrected) and disclosure requests answered, refused, denied and still pending. The
services stamp times with ``utc_now``; :func:`clock` sets that clock for a while, so the
months and durations are known.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from disclosure_helpers import disclosure_request
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.errors import DisclosureRefused
from vitalstat.services import cases, ingest
from vitalstat.services import disclosure as disclosure_svc
from vitalstat.store import Store

HEADER = ("ssn,last_name,first_name,date_of_death,date_of_birth,proof,reporter_name,"
          "reporter_relationship\n")
RULES = IntegrityRules()
#: Reports sent per month back from this one (0: this month), by (kind, source id).
PLAN: dict[int, dict[tuple[str, str], int]] = {
    4: {("funeral-home", "fh-1"): 2},
    3: {("funeral-home", "fh-1"): 3, ("state-vital-records", "ca"): 1},
    2: {("funeral-home", "fh-2"): 2, ("state-vital-records", "ca"): 2},
    1: {("funeral-home", "fh-1"): 1, ("family", "fam-1"): 2},
    0: {("state-vital-records", "ca"): 2, ("family", "fam-1"): 1},
}
CORRECTION_DAYS = (2, 9, 30)


@dataclass(frozen=True, slots=True)
class Seeded:
    """What :func:`seed_activity` added, for the tests' expectations."""

    months: dict[str, dict[str, int]]  # YYYY-MM -> source kind -> reports
    corrected: list[str]  # case numbers
    requests: dict[str, str]  # request number -> its outcome


def _months_back(today: date, back: int) -> datetime:
    index = today.year * 12 + today.month - 1 - back
    day = min(today.day, 28) if back == 0 else 15
    return datetime(index // 12, index % 12 + 1, day, 10, 0, tzinfo=UTC)


@contextlib.contextmanager
def clock(at: datetime, *modules: types.ModuleType) -> Iterator[None]:
    """Within the block, ``utc_now`` of each of ``modules`` answers ``at``."""
    saved = [m.utc_now for m in modules]  # type: ignore[attr-defined]
    for m in modules:
        m.utc_now = lambda: at.isoformat(timespec="microseconds")  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m, fn in zip(modules, saved, strict=True):
            m.utc_now = fn  # type: ignore[attr-defined]


def _ssn(n: int) -> str:
    """Synthetic valid SSNs (areas 401-, never 000, 666 or 9xx)."""
    return f"{401 + n:03d}{11 + n % 80:02d}{1001 + n:04d}"


def _ingest(store: Store, path: Path, lines: list[str], kind: str, source_id: str,
            at: datetime) -> None:
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    with clock(at, ingest):
        ingest.ingest_file(store, path, source_kind=kind, source_id=source_id, actor="clerk")


def seed_activity(store: Store, tmp: Path, *, today: date | None = None) -> Seeded:
    today = today or datetime.now(UTC).date()
    n = 0
    months: dict[str, dict[str, int]] = {}
    for back, sends in sorted(PLAN.items(), reverse=True):
        at = _months_back(today, back)
        for (kind, sid), count in sends.items():
            lines = []
            for _ in range(count):
                n += 1
                proof = "" if kind == "family" else "P"  # family: held, unverified
                lines.append(f"{_ssn(n)},Person{n},Pat,{(at.date() - timedelta(days=3))},"
                             f"1944-02-{1 + n % 27:02d},{proof},R. Reporter,son")
            _ingest(store, tmp / f"m{back}-{sid}.csv", lines, kind, sid, at)
            bucket = months.setdefault(at.strftime("%Y-%m"), {})
            bucket[kind] = bucket.get(kind, 0) + count
    # held for other reasons: a death before the birth, a possible minor from a funeral
    # home, two sources disagreeing on a date of death (person 5, from fh-1 before)
    now = datetime.now(UTC)
    odd = [f"{_ssn(90)},Early,Eve,2020-01-01,2021-05-05,P,R. Reporter,son",
           f"{_ssn(91)},Young,Yan,{today - timedelta(days=5)},{today.year - 10}-03-03,P,"
           "R. Reporter,son",
           f"{_ssn(5)},Person5,Pat,2001-01-01,1944-02-06,P,R. Reporter,son"]
    _ingest(store, tmp / "odd.csv", odd, "funeral-home", "fh-2", now)
    bucket = months.setdefault(now.strftime("%Y-%m"), {})
    bucket["funeral-home"] = bucket.get("funeral-home", 0) + len(odd)
    corrected = []
    evidence = tmp / "identity.txt"
    evidence.write_text("synthetic identity document\n")
    for i, days in enumerate(CORRECTION_DAYS, start=1):  # funeral-home records of month 4-3
        with clock(now - timedelta(days=days), cases):
            case = cases.open_case(store, ssn=_ssn(i), kind="erroneous-death",
                                   opened_by="person", contact=f"p{i}@example.org",
                                   actor="caseworker-1", rules=RULES)
        cases.add_evidence(store, case.number, evidence, evidence_type="identity-document",
                           actor="caseworker-1", cases_dir=tmp / "cases", rules=RULES)
        cases.decide_case(store, case.number, "reinstate", reason="alive, passport seen",
                          actor="caseworker-1", cases_dir=tmp / "cases", rules=RULES)
        corrected.append(case.number)
    return Seeded(months, corrected, _disclosures(store, tmp, today))


def _disclosures(store: Store, tmp: Path, today: date) -> dict[str, str]:
    made: dict[str, str] = {}
    for basis, outcome in (("program-fraud", "answered"), ("routine-use", "answered"),
                           ("program-fraud", "denied"), ("court-order", "pending")):
        view = disclosure_svc.submit_request(store, disclosure_request(basis, **(
            {"signer_rank": "judge", "court_order": "Order 2026-CV-17"}
            if basis == "court-order" else {})), actor="agency-1", today=today)
        if outcome == "answered":
            disclosure_svc.approve_request(store, view.number, actor="approver-1",
                                           roles=frozenset({"approver"}))
            disclosure_svc.answer_request(store, view.number, actor="agency-1",
                                          out=tmp / f"{view.number}.json", today=today)
        elif outcome == "denied":
            disclosure_svc.deny_request(store, view.number, actor="approver-1",
                                        reason="the letter is not signed")
        made[view.number] = outcome
    try:  # a request that does not say what it is for is recorded as refused
        disclosure_svc.submit_request(store, disclosure_request("program-fraud", purpose=""),
                                      actor="agency-1", today=today)
    except DisclosureRefused as exc:
        made[exc.number] = "refused"
    else:  # pragma: no cover - the seed is wrong
        raise AssertionError("a request without a purpose was not refused")
    return made
