"""Correction cases: open, file evidence, decide (two-person where the rules say), letters.

Each use case is one transaction: the case's change, its timeline step, the record's
new status and their events. The state machine itself is ``domain.cases``.

- Opening a case holds the record at once (``open-case``): no ``match`` while it is open.
- Evidence files are kept under ``CASES_DIR/evidence/`` by SHA-256; evidence of life with
  a date feeds the ``evidence-of-life`` rule for every later decision on the SSN.
- Reinstating withdraws the record (the next release's delta carries a ``D`` to every
  subscriber that received it) and writes a letter the person can show banks and
  agencies, with a verification code that ``vitalstat letter verify`` checks.
- Rejecting releases the case's hold: the record is decided again by the rules.
"""

from __future__ import annotations

import hashlib
import html
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from vitalstat.domain import cases as domain
from vitalstat.domain.cases import Case, CaseKind, CaseState, EvidenceType, OpenedBy, Outcome
from vitalstat.domain.identity import mask_ssn, normalize_ssn
from vitalstat.domain.integrity import IntegrityRules, withdrawn
from vitalstat.domain.numbers import format_number, parse_number
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.formats import file_sha256
from vitalstat.services.holds import Assessed, assess, parse_choice, save_assessed
from vitalstat.services.refusals import audited_refusals
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = [
    "NOTICE_COLUMNS",
    "CaseView",
    "CorrectionStats",
    "LetterCheck",
    "add_evidence",
    "approve_case",
    "case_number",
    "close_notified_cases",
    "correction_notices",
    "correction_stats",
    "decide_case",
    "evidence_file",
    "list_cases",
    "open_case",
    "parse_case_number",
    "refuse_case",
    "show_case",
    "verify_letter",
]


def case_number(case_id: int) -> str:
    return format_number("C", case_id)


def parse_case_number(text: str) -> int:
    return parse_number(text, "C", what="case number", field="case")


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    case_id: int
    opened_at: str
    decided_at: str | None
    closed_at: str | None
    evidence: list[dict[str, Any]]
    letter: Path | None = None  # the letter just written (by this step)
    letter_code: str | None = None  # the reinstatement letter's verification code


def _to_case(tx: Tx, row: dict[str, Any]) -> Case:
    steps = tuple(domain.CaseStep(datetime.fromisoformat(s["at"]), s["actor"], s["what"],
                                  s["detail"]) for s in tx.case_step_rows(row["id"]))
    return Case(
        number=case_number(row["id"]), ssn=row["ssn"], kind=CaseKind(row["kind"]),
        opened_by=OpenedBy(row["opened_by"]), contact=row["contact"],
        state=CaseState(row["state"]), record_restricted=bool(row["record_restricted"]),
        evidence=tuple(EvidenceType(e["type"]) for e in tx.case_evidence_rows(row["id"])),
        proposed=Outcome(row["proposed"]) if row["proposed"] else None,
        proposed_by=row["proposed_by"], reason=row["reason"], timeline=steps)


def _save(tx: Tx, case_id: int, before: Case, after: Case, now: str) -> None:
    """Persist what a domain step changed: the case row and its new timeline steps."""
    values: dict[str, Any] = {"state": after.state.value,
                              "proposed": after.proposed.value if after.proposed else "",
                              "proposed_by": after.proposed_by, "reason": after.reason}
    if after.state in (CaseState.REINSTATED, CaseState.REJECTED):
        values["decided_at"] = now
    if after.state is CaseState.CLOSED:
        values["closed_at"] = now
    tx.update_case(case_id, values)
    for step in after.timeline[len(before.timeline):]:
        tx.insert_case_step(case_id, at=step.at.isoformat(), actor=step.actor, what=step.what,
                            detail=step.detail)


def _load(tx: Tx, number: str) -> tuple[int, Case]:
    case_id = parse_case_number(number)
    row = tx.case_row(case_id)
    if row is None:
        raise NotFoundError(f"no case {case_number(case_id)}")
    return case_id, _to_case(tx, row)


def _redecide(tx: Tx, ssn: str, *, actor: str, now: str, rules: IntegrityRules,
              cause: dict[str, Any]) -> None:
    today = datetime.fromisoformat(now).date()
    save_assessed(tx, assess(tx, ssn, today=today, rules=rules), actor=actor, now=now,
                  cause=cause)


def open_case(store: Store, *, ssn: str, kind: str, opened_by: str, contact: str, actor: str,
              rules: IntegrityRules, secret_hash: str | None = None) -> Case:
    """Open a case and hold the record at once. The SSN must be on the registry.

    ``secret_hash`` (cases opened without an account) is kept with the case, in the same
    transaction."""
    norm = normalize_ssn(ssn)
    case_kind, by = parse_choice(CaseKind, kind, "kind"), parse_choice(OpenedBy, opened_by, "by")
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        record = tx.get_record(norm)
        if record is None:
            raise NotFoundError(f"no record for SSN {norm}: there is nothing to correct")
        case = domain.open_case(number="", ssn=norm, kind=case_kind, opened_by=by,
                                contact=contact, record_restricted=record.restricted,
                                actor=actor, at=datetime.fromisoformat(now))
        case_id = tx.insert_case({
            "ssn": norm, "kind": case_kind.value, "opened_by": by.value,
            "contact": case.contact, "state": case.state.value,
            "record_restricted": record.restricted, "proposed": "", "proposed_by": "",
            "reason": "", "opened_at": now})
        _save(tx, case_id, replace(case, timeline=()), case, now)
        if secret_hash is not None:
            tx.insert_case_secret(case_id, secret_hash, now)
        number = case_number(case_id)
        tx.append_event(actor=actor, kind="case.opened", subject=f"case:{number}",
                        detail={"ssn": norm, "kind": case_kind.value, "by": by.value}, at=now)
        _redecide(tx, norm, actor=actor, now=now, rules=rules, cause={"case": number})
        return _load(tx, number)[1]




def add_evidence(store: Store, number: str, file: Path, *, evidence_type: str, actor: str,
                 cases_dir: Path, alive_on: date | None = None,
                 rules: IntegrityRules) -> Case:
    """File evidence with a case; the bytes are kept under ``cases_dir/evidence`` by hash."""
    kind = parse_choice(EvidenceType, evidence_type, "type")
    if not file.is_file():
        raise ValidationError(f"{file}: no such file", field="file")
    if alive_on is not None and kind is not EvidenceType.EVIDENCE_OF_LIFE:
        raise ValidationError("only evidence of life carries a date alive", field="alive-on")
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        case_id, case = _load(tx, number)
        after = domain.add_evidence(case, kind, actor=actor, at=datetime.fromisoformat(now),
                                    note=f"{file.name} sha256:{digest[:16]}")
        _keep(cases_dir / "evidence", digest, data)
        tx.insert_case_evidence({"case_id": case_id, "type": kind.value,
                                 "file_name": file.name, "sha256": digest, "size": len(data),
                                 "received_at": now, "actor": actor})
        _save(tx, case_id, case, after, now)
        tx.append_event(actor=actor, kind="case.evidence", subject=f"case:{case.number}",
                        detail={"type": kind.value, "sha256": digest, "size": len(data)},
                        at=now)
        if alive_on is not None:
            tx.insert_life_evidence(ssn=case.ssn, alive_on=alive_on.isoformat(),
                                    source=f"case:{case.number}", recorded_at=now,
                                    actor=actor)
            _redecide(tx, case.ssn, actor=actor, now=now, rules=rules,
                      cause={"case": case.number})
        return after


def _keep(folder: Path, digest: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if target.exists():
        return
    tmp = folder / f".{digest}.tmp"
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(target)


def decide_case(store: Store, number: str, outcome: str, *, reason: str, actor: str,
                cases_dir: Path, rules: IntegrityRules) -> CaseView:
    """Decide (or, under the two-person rule, propose) reinstatement or rejection."""
    result = parse_choice(Outcome, outcome, "outcome")
    return _step(store, number, actor=actor, cases_dir=cases_dir, rules=rules,
                 step=lambda case, at: domain.decide(case, result, reason=reason,
                                                     actor=actor, at=at))


def approve_case(store: Store, number: str, *, actor: str, cases_dir: Path,
                 rules: IntegrityRules) -> CaseView:
    """A second, different user approves the proposed decision."""
    return _step(store, number, actor=actor, cases_dir=cases_dir, rules=rules,
                 step=lambda case, at: domain.approve(case, actor=actor, at=at))


def refuse_case(store: Store, number: str, *, actor: str, reason: str, cases_dir: Path,
                rules: IntegrityRules) -> CaseView:
    """The second user disagrees: the case goes back to open (the record stays held)."""
    return _step(store, number, actor=actor, cases_dir=cases_dir, rules=rules,
                 step=lambda case, at: domain.refuse_approval(case, actor=actor, at=at,
                                                              reason=reason))


def _step(store: Store, number: str, *, actor: str, cases_dir: Path, rules: IntegrityRules,
          step: Callable[[Case, datetime], Case]) -> CaseView:
    store.check_schema()
    now = utc_now()
    with audited_refusals(store, actor=actor, attempt="case-step", subject=f"case:{number}"), \
            store.transaction() as tx:
        case_id, case = _load(tx, number)
        after = step(case, datetime.fromisoformat(now))
        _save(tx, case_id, case, after, now)
        tx.append_event(actor=actor, kind=f"case.{after.state.value}",
                        subject=f"case:{case.number}",
                        detail={"ssn": case.ssn, "outcome": after.proposed.value
                                if after.proposed else None, "reason": after.reason},
                        at=now)
        letter = None
        if after.state is CaseState.REINSTATED:
            record = tx.get_record(case.ssn)
            if record is not None:
                save_assessed(tx, Assessed(case.ssn, record, withdrawn(record)), actor=actor,
                              now=now, cause={"case": case.number})
            letter = _write_letter(tx, case_id, after, now, cases_dir / "letters")
            # nobody ever received the listing: every recipient (none) is notified now
            close_notified_cases(tx, {case.ssn}, actor=actor, now=now)
        elif after.state is CaseState.REJECTED:
            _redecide(tx, case.ssn, actor=actor, now=now, rules=rules,
                      cause={"case": case.number})
        return _view(tx, case_id, letter)


def _view(tx: Tx, case_id: int, letter: Path | None = None) -> CaseView:
    row = tx.case_row(case_id)
    assert row is not None
    return CaseView(_to_case(tx, row), case_id, row["opened_at"], row["decided_at"],
                    row["closed_at"], tx.case_evidence_rows(case_id), letter,
                    row.get("letter_code") or None)


def show_case(store: Store, number: str) -> CaseView:
    store.check_schema()
    with store.transaction(write=False) as tx:
        case_id, _ = _load(tx, number)
        return _view(tx, case_id)


def list_cases(store: Store, *, state: str | None = None, ssn: str | None = None,
               limit: int = 100) -> list[CaseView]:
    if state is not None:
        parse_choice(CaseState, state, "state")
    norm = normalize_ssn(ssn) if ssn else None
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [_view(tx, row["id"])
                for row in tx.case_rows(state=state, ssn=norm, limit=limit)]


# -------------------------------------------------------------------- letters


def _write_letter(tx: Tx, case_id: int, case: Case, now: str, folder: Path) -> Path:
    """The reinstatement letter (HTML, printable), with a code anyone can check."""
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    record = tx.get_record(case.ssn)
    name = record.name.display() if record is not None else ""
    row = tx.case_row(case_id) or {}
    body = _LETTER.format(
        number=html.escape(case.number), name=html.escape(name),
        ssn=html.escape(mask_ssn(case.ssn)), opened=html.escape(row["opened_at"][:10]),
        decided=html.escape(now[:10]), code=html.escape(code),
        reason=html.escape(case.reason))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case.number}.html"
    tmp = folder / f".{case.number}.html.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    tx.update_case(case_id, {"letter_code": code,
                             "letter_sha256": hashlib.sha256(body.encode()).hexdigest()})
    return path


_LETTER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reinstatement letter {number}</title>
<style>body{{font-family:serif;max-width:40em;margin:3em auto;line-height:1.5}}
.code{{font-family:monospace;font-size:1.3em}}</style></head>
<body>
<h1>Notice of correction: you are not listed as deceased</h1>
<p>Case number: <strong>{number}</strong><br>
Name: <strong>{name}</strong><br>
Social Security number: {ssn}<br>
Case opened: {opened}<br>
Decided: {decided}</p>
<p>The Vitalstat death registry listed this person as deceased in error. After reviewing the
evidence filed with the case, the listing has been withdrawn. Every subscriber that received
the listing receives a deletion record and a correction notice with its next delivery.</p>
<p>Reason recorded: {reason}</p>
<p>Banks, agencies and others may check this letter with the verification code
<span class="code">{code}</span> (<code>vitalstat letter verify {code}</code>).</p>
</body></html>
"""


@dataclass(frozen=True, slots=True)
class LetterCheck:
    number: str
    state: str
    decided_at: str | None
    file_matches: bool | None  # None when no file was given


def verify_letter(store: Store, code: str, file: Path | None = None) -> LetterCheck:
    """Whether ``code`` belongs to a reinstatement letter (and ``file`` is that letter)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = tx.case_by_letter_code(code.strip().upper())
    if row is None:
        raise NotFoundError("no letter has this verification code")
    matches = None
    if file is not None:
        digest = file_sha256(file)
        matches = secrets.compare_digest(digest, row["letter_sha256"] or "")
    return LetterCheck(case_number(row["id"]), row["state"], row["decided_at"], matches)


# ---------------------------------------------------------------- propagation

#: Columns of ``corrections.csv``, the correction notice that rides with a delivery.
NOTICE_COLUMNS = ("ssn", "case", "decided_on", "notice")
NOTICE_TEXT = ("This person was listed as deceased in error and has been reinstated; "
               "delete the listing and correct every copy (Privacy Act 552a(c)(4)).")


def correction_notices(tx: Tx, ssns: set[str]) -> list[dict[str, str]]:
    """Notices for the SSNs a delivery deletes that a case found listed in error."""
    notices = []
    for ssn in sorted(ssns):
        for row in tx.case_rows(ssn=ssn):
            if row["state"] in (CaseState.REINSTATED.value, CaseState.CLOSED.value):
                notices.append({"ssn": ssn, "case": case_number(row["id"]),
                                "decided_on": (row["decided_at"] or "")[:10],
                                "notice": NOTICE_TEXT})
    return notices


def close_notified_cases(tx: Tx, ssns: set[str], *, actor: str, now: str) -> list[str]:
    """Close every reinstated case on ``ssns`` whose every earlier recipient has now been
    sent the deletion; returns the closed case numbers."""
    closed = []
    for ssn in sorted(ssns):
        for row in tx.case_rows(ssn=ssn, state=CaseState.REINSTATED.value):
            recipients, notified = _recipients(tx, ssn, row["decided_at"] or row["opened_at"])
            if recipients - notified:
                continue
            case = _to_case(tx, row)
            after = domain.mark_notified(case, recipients=len(recipients), actor=actor,
                                         at=datetime.fromisoformat(now))
            _save(tx, row["id"], case, after, now)
            tx.append_event(actor=actor, kind="case.closed", subject=f"case:{case.number}",
                            detail={"ssn": ssn, "recipients": len(recipients)}, at=now)
            closed.append(case.number)
    return closed


def _recipients(tx: Tx, ssn: str, since: str) -> tuple[set[int], set[int]]:
    """Subscribers that ever received ``ssn``, and those sent its ``D`` after ``since``."""
    ever: set[int] = set()
    told: set[int] = set()
    for entry in tx.ledger_rows(ssn=ssn):
        if entry["action"] == "D":
            if entry["delivered_at"] >= since:
                told.add(entry["subscriber_id"])
        else:
            ever.add(entry["subscriber_id"])
    return ever, told & ever


@dataclass(frozen=True, slots=True)
class CorrectionStats:
    closed: int
    open: int
    median_days: float | None
    p95_days: float | None
    recipients: dict[str, int]  # case number -> recipients notified


def correction_stats(store: Store) -> CorrectionStats:
    """Time from case open to every recipient notified, over closed cases."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        rows = tx.case_rows(limit=1_000_000)
        recipients = {}
        durations = []
        for row in rows:
            if row["state"] != CaseState.CLOSED.value:
                continue
            opened = datetime.fromisoformat(row["opened_at"])
            closed = datetime.fromisoformat(row["closed_at"])
            durations.append((closed - opened).total_seconds() / 86400)
            steps = [s for s in tx.case_step_rows(row["id"]) if s["what"] == "notified"]
            recipients[case_number(row["id"])] = int(steps[-1]["detail"].split()[0])
    return CorrectionStats(
        closed=len(durations),
        open=sum(1 for r in rows if r["state"] in (CaseState.OPEN.value,
                                                     CaseState.AWAITING_APPROVAL.value)),
        median_days=_quantile(durations, 0.5), p95_days=_quantile(durations, 0.95),
        recipients=recipients)


def _quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (no interpolation: every figure is a real case's)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(q * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def evidence_file(store: Store, number: str, sha256: str, *, cases_dir: Path
                  ) -> tuple[Path, str]:
    """The kept file of one piece of a case's evidence and the name it was filed under
    (only evidence of that case: another case's hash is not found)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        case_id, case = _load(tx, number)
        rows = [e for e in tx.case_evidence_rows(case_id) if e["sha256"] == sha256.lower()]
    path = cases_dir / "evidence" / sha256.lower()
    if not rows or not path.is_file():
        raise NotFoundError(f"no such evidence with case {case.number}")
    return path, str(rows[0]["file_name"])
