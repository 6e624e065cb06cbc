"""The public desk: what a member of the public may do without an account (the
``/public/`` API routes and the web interface's public pages).

- :func:`open_case_public` / :func:`public_case_status`: open a case (the SSN, surname
  and full date of birth must agree with the record: one answer otherwise) and follow
  it with the case number and the secret shown once.

- :func:`open_file_listing`: whether the *open* file lists a death for an SSN, name and
  date of birth: what an open-tier subscriber may receive (``domain.policy``), and only
  when every detail agrees with the record (``domain.identity.OwnDetails``). Every other
  case (no record, restricted, embargoed, held, a detail wrong) is one answer: ``None``.
- :func:`public_case` / :func:`public_letter` / :func:`add_public_evidence`: a case seen,
  its letter fetched and more evidence filed by whoever holds the case number and its
  secret (``cases.public_case_status`` checks them: one answer for a wrong number or a
  wrong secret).
- :func:`check_evidence`: the upload rule for evidence sent without an account (size and
  file type, sniffed from the bytes); :func:`stage_evidence` keeps a checked file for a
  few hours between the step that uploads it and the step that sends the case.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from vitalstat.domain.cases import Case, CaseKind, CaseState, OpenedBy
from vitalstat.domain.identity import OwnDetails, normalize_ssn
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.policy import (
    DEFAULT_EMBARGO,
    EmbargoRule,
    RecordFacts,
    Standing,
    Tier,
    may_receive,
)
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services import cases
from vitalstat.services.holds import parse_choice
from vitalstat.services.secret_hash import hash_secret, verify_secret
from vitalstat.store import Store

__all__ = [
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_TYPES",
    "NO_PUBLIC_CASE",
    "PUBLIC_ACTOR",
    "OpenListing",
    "PublicCase",
    "PublicCaseStatus",
    "PublicStep",
    "StagedEvidence",
    "add_public_evidence",
    "check_evidence",
    "check_public_details",
    "discard_staged",
    "file_evidence",
    "open_case_public",
    "open_file_listing",
    "public_case",
    "public_case_status",
    "public_letter",
    "read_upload",
    "stage_evidence",
    "staged_evidence",
]


# ---------------------------------------------------------------- the case desk

#: The actor named in events for cases opened without an account.
PUBLIC_ACTOR = "public"


#: The one answer when the details given do not fit a record (or no record exists).
NO_PUBLIC_CASE = ("we found no record that matches this SSN, last name and date of birth "
                  "together, so no case was opened: check them against your Social "
                  "Security card and birth certificate and try again, or ask the "
                  "registry's office for help")


def check_public_details(store: Store, ssn: str, *, last_name: str, date_of_birth: str,
                         first_name: str | None = None) -> str:
    """The normalised SSN if a case may be opened for these details without an account;
    otherwise :data:`NO_PUBLIC_CASE` (a malformed detail is said so, record or not)."""
    norm = normalize_ssn(ssn)
    given = OwnDetails.parse(last_name=last_name, born=date_of_birth, first_name=first_name)
    store.check_schema()
    with store.transaction(write=False) as tx:
        record = tx.get_record(norm)
    if record is None or not given.agree(record.name, record.date_of_birth):
        raise NotFoundError(NO_PUBLIC_CASE)
    return norm


def open_case_public(store: Store, *, ssn: str, last_name: str, date_of_birth: str,
                     kind: str, opened_by: str, contact: str, rules: IntegrityRules,
                     first_name: str | None = None) -> tuple[Case, str]:
    """A person (or their representative) opens a case without an account.

    The SSN, surname and full date of birth (and the first name, when given) must agree
    with the record (``OwnDetails``); otherwise one answer, :data:`NO_PUBLIC_CASE`,
    whether the SSN is unknown or a detail is wrong, so the desk never tells whether an
    SSN is on the registry. Returns the case and a secret, shown once: only its argon2
    hash is kept, and the case number with the secret is what
    :func:`public_case_status` asks for.
    """
    if parse_choice(OpenedBy, opened_by, "by") not in (OpenedBy.PERSON,
                                                       OpenedBy.REPRESENTATIVE):
        raise ValidationError("without an account a case is opened by the person or a "
                              "representative", field="by")
    parse_choice(CaseKind, kind, "kind")
    if not contact.strip():
        raise ValidationError("is required: how to reach you about the case", field="contact")
    norm = check_public_details(store, ssn, last_name=last_name,
                                date_of_birth=date_of_birth, first_name=first_name)
    secret = secrets.token_urlsafe(24)
    try:
        case = cases.open_case(store, ssn=norm, kind=kind, opened_by=opened_by, contact=contact,
                         actor=PUBLIC_ACTOR, rules=rules, secret_hash=hash_secret(secret))
    except NotFoundError:  # the record went between the two reads
        raise NotFoundError(NO_PUBLIC_CASE) from None
    return case, secret


@dataclass(frozen=True, slots=True)
class PublicCaseStatus:
    """What the person who opened a case sees: its state and dates, nothing else."""

    number: str
    kind: str
    state: str
    opened_at: str
    decided_at: str | None
    closed_at: str | None


def public_case_status(store: Store, number: str, secret: str) -> PublicCaseStatus:
    """A case's status for whoever holds its number and secret (one answer for a wrong
    number or a wrong secret, so neither can be guessed separately)."""
    unknown = NotFoundError("no case with this number and secret")
    try:
        case_id = cases.parse_case_number(number)
    except ValidationError:
        raise unknown from None
    store.check_schema()
    with store.transaction(write=False) as tx:
        stored = tx.case_secret_hash(case_id)
        row = tx.case_row(case_id)
    if stored is None or row is None or not verify_secret(stored, secret):
        raise unknown
    return PublicCaseStatus(cases.case_number(case_id), row["kind"], row["state"], row["opened_at"],
                            row["decided_at"], row["closed_at"])



# ---------------------------------------------------------------- am I listed?


@dataclass(frozen=True, slots=True)
class OpenListing:
    """What the open file says about a person who gave all their details."""

    name: str
    date_of_death: str  # as listed: YYYY, YYYY-MM or YYYY-MM-DD
    proof: str  # "P" proven, "V" verified, "" unknown


_OPEN = Standing(Tier.OPEN)


def open_file_listing(store: Store, ssn: str, *, last_name: str, first_name: str,
                      date_of_birth: str, today: date,
                      rule: EmbargoRule = DEFAULT_EMBARGO) -> OpenListing | None:
    """The open file's listing for these details, or ``None``.

    Listed means: a record for the SSN that an open-tier recipient may receive today
    (published, not from a restricted source, past the embargo) *and* whose surname,
    first name and full date of birth agree with the details given. Malformed details
    are refused before the registry is read, so an error never depends on the record.
    Both conditions are evaluated for every record read, whatever the first says.
    """
    norm = normalize_ssn(ssn)
    given = OwnDetails.parse(last_name=last_name, born=date_of_birth,
                             first_name=first_name)
    if given.born is None or not given.born.is_complete:
        raise ValidationError("give the full date of birth (YYYY-MM-DD)",
                              field="date_of_birth")
    store.check_schema()
    with store.transaction(write=False) as tx:
        record = tx.get_record(norm)
    if record is None:
        return None
    agree = given.agree(record.name, record.date_of_birth)
    allowed = may_receive(_OPEN, RecordFacts(record.date_of_death, record.restricted,
                                             record.status.value == "published"),
                          today, rule).allowed
    if not (agree and allowed) or record.date_of_death is None:
        return None
    return OpenListing(record.name.display(), str(record.date_of_death), record.proof.value)


# ---------------------------------------------------------------- evidence uploads

#: The largest evidence file accepted without an account (10 MiB).
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

#: File types accepted, by their first bytes (the name's extension is not trusted).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
)

#: Evidence types a person may file, in plain words.
EVIDENCE_TYPES: dict[str, str] = {
    "identity-document": "An identity document (passport, driving licence, ID card)",
    "evidence-of-life": "Proof you are alive on a recent date (a signed, dated letter "
                        "from a doctor, bank or employer; a recent payslip)",
    "vital-record-retraction": "A letter from the state vital-records office withdrawing "
                               "the death report",
    "other": "Something else (it alone cannot take a listing off the file)",
}


def read_upload(stream: BinaryIO, limit: int = EVIDENCE_MAX_BYTES) -> bytes:
    """Read an uploaded file, refusing it as soon as it passes ``limit`` bytes."""
    data = bytearray()
    while chunk := stream.read(1 << 20):
        data += chunk
        if len(data) > limit:
            raise ValidationError(
                f"the file is larger than {limit // (1024 * 1024)} MB: send a smaller scan "
                "or photo (a phone picture of the page is enough)", field="evidence")
    return bytes(data)


def check_evidence(data: bytes, limit: int = EVIDENCE_MAX_BYTES) -> str:
    """The file's type in words, or :class:`ValidationError` naming what is wrong."""
    if not data:
        raise ValidationError("the file is empty: choose the scan or photo again",
                              field="evidence")
    if len(data) > limit:
        raise ValidationError(
            f"the file is larger than {limit // (1024 * 1024)} MB: send a smaller scan "
            "or photo (a phone picture of the page is enough)", field="evidence")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    raise ValidationError("this kind of file is not accepted: send a PDF, JPEG or PNG "
                          "(a scan or a photo of the document)", field="evidence")


@dataclass(frozen=True, slots=True)
class StagedEvidence:
    token: str
    file_name: str
    kind: str  # file type in words
    size: int
    sha256: str
    path: Path


_STAGING_HOURS = 6


def _staging(cases_dir: Path) -> Path:
    return cases_dir / "staging"


def stage_evidence(cases_dir: Path, data: bytes, file_name: str) -> StagedEvidence:
    """Keep a checked evidence file until its case is sent (files older than a few hours
    are removed whenever another is staged). Returns its random token."""
    kind = check_evidence(data)
    folder = _staging(cases_dir)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - _STAGING_HOURS * 3600
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    name = Path(file_name or "evidence").name[:120] or "evidence"
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"file_name": name, "kind": kind, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return StagedEvidence(token, name, kind, len(data), meta["sha256"], folder / f"{token}.bin")


def staged_evidence(cases_dir: Path, token: str) -> StagedEvidence:
    """A staged file by its token (a token that is not one: the step must be done again)."""
    gone = ValidationError("the file you chose earlier is no longer here: choose it again",
                           field="evidence")
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        raise gone
    folder = _staging(cases_dir)
    try:
        meta: dict[str, Any] = json.loads((folder / f"{token}.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise gone from None
    path = folder / f"{token}.bin"
    if not path.is_file():
        raise gone
    return StagedEvidence(token, meta["file_name"], meta["kind"], meta["size"],
                          meta["sha256"], path)


def discard_staged(staged: StagedEvidence) -> None:
    staged.path.unlink(missing_ok=True)
    staged.path.with_suffix(".json").unlink(missing_ok=True)


def file_evidence(store: Store, number: str, data: bytes, file_name: str, *,
                  evidence_type: str, cases_dir: Path, rules: IntegrityRules,
                  alive_on: date | None = None) -> None:
    """File checked evidence with a case, as the person (``PUBLIC_ACTOR``)."""
    check_evidence(data)
    name = Path(file_name or "evidence").name or "evidence"
    with tempfile.TemporaryDirectory(prefix="vitalstat-evidence-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        cases.add_evidence(store, number, path, evidence_type=evidence_type,
                           actor=PUBLIC_ACTOR, cases_dir=cases_dir, alive_on=alive_on,
                           rules=rules)


# ---------------------------------------------------------------- a case, by its secret


@dataclass(frozen=True, slots=True)
class PublicStep:
    at: str  # ISO timestamp
    what: str  # opened, evidence, proposed, decided, approval-refused, notified
    by_you: bool  # filed without an account (the person or their representative)
    outcome: str  # proposed/decided: reinstate or reject; evidence: its type; notified: N


@dataclass(frozen=True, slots=True)
class PublicCase:
    """A case as the person who opened it sees it: no SSN, no contact, no staff names."""

    number: str
    kind: str
    state: str
    opened_at: str
    decided_at: str | None
    closed_at: str | None
    steps: list[PublicStep]
    evidence: list[dict[str, Any]]  # type, file_name, size, received_at
    reason: str  # the decision's recorded reason (it is printed on the letter too)
    letter_code: str | None

    @property
    def is_open(self) -> bool:
        return self.state == CaseState.OPEN.value

    @property
    def corrected(self) -> bool:
        return self.state in (CaseState.REINSTATED.value, CaseState.CLOSED.value)


def _outcome(what: str, detail: str) -> str:
    if what in ("proposed", "decided"):
        return detail.split(":", 1)[0]
    if what in ("evidence", "notified"):  # its type; the number of recipients
        return detail.split(" ", 1)[0]
    return ""


def public_case(store: Store, number: str, secret: str) -> PublicCase:
    """The case for whoever holds its number and secret (else one ``not-found``)."""
    status = public_case_status(store, number, secret)
    view = cases.show_case(store, status.number)
    with store.transaction(write=False) as tx:
        code = (tx.case_row(view.case_id) or {}).get("letter_code")
    case = view.case
    decided = case.state in (CaseState.REINSTATED, CaseState.REJECTED, CaseState.CLOSED)
    return PublicCase(
        number=status.number, kind=status.kind, state=status.state,
        opened_at=status.opened_at, decided_at=status.decided_at,
        closed_at=status.closed_at,
        steps=[PublicStep(s.at.isoformat(), s.what, s.actor == PUBLIC_ACTOR,
                          _outcome(s.what, s.detail)) for s in case.timeline],
        evidence=[{"type": e["type"], "file_name": e["file_name"], "size": e["size"],
                   "received_at": e["received_at"]} for e in view.evidence],
        reason=case.reason if decided else "", letter_code=code or None)


def add_public_evidence(store: Store, number: str, secret: str, data: bytes,
                        file_name: str, *, evidence_type: str, cases_dir: Path,
                        rules: IntegrityRules, alive_on: date | None = None) -> None:
    """More evidence for an open case, filed by whoever holds its number and secret."""
    status = public_case_status(store, number, secret)
    file_evidence(store, status.number, data, file_name, evidence_type=evidence_type,
                  cases_dir=cases_dir, rules=rules, alive_on=alive_on)


def public_letter(store: Store, number: str, secret: str, cases_dir: Path
                  ) -> tuple[str, bytes, str]:
    """The reinstatement letter of a corrected case: (file name, bytes, verification
    code). The file is given only if it is still the one the registry wrote (its
    SHA-256 is the one kept with the case), so what the person shows a bank verifies."""
    status = public_case_status(store, number, secret)
    with store.transaction(write=False) as tx:
        row = tx.case_row(cases.parse_case_number(status.number)) or {}
    code, digest = row.get("letter_code"), row.get("letter_sha256")
    path = cases_dir / "letters" / f"{status.number}.html"
    if not code or not digest:
        raise NotFoundError(f"case {status.number} has no letter: a letter is written "
                            "when a listing is taken off the file")
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFoundError(f"the letter of case {status.number} cannot be found on the "
                            "server: ask the registry's office for a copy") from None
    if not secrets.compare_digest(hashlib.sha256(data).hexdigest(), digest):
        raise NotFoundError(f"the stored letter of case {status.number} is not the one "
                            "written at the decision: ask the registry's office")
    return path.name, data, code
