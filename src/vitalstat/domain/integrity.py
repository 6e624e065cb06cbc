"""Safeguards: when a record must wait for a person, and who may approve what. Pure.

The harm the registry exists to prevent is a living person on the file. So a record is
never published while any rule below fires; each rule has a stable code
(:class:`~vitalstat.domain.records.ReviewReason`) and a sentence a caseworker can read.

Record rules (:func:`record_holds`), on the record consolidation produced and the
reports standing behind it:

- the date of death lies in the future, or before the date of birth;
- the person could have been older than ``max_age_at_death`` (115) at death;
- the person could have been a minor and no state vital-records report supports it;
- one report only, from a non-vital source, not proven or verified, still inside the
  grace period (``grace_days``): it waits for corroboration (status ``pending``);
- evidence of life (from a subscriber, a case or a later report) after the date of death;
- the SSN was withdrawn as erroneous before: only a state vital-records report may list
  it again;
- a correction case is open.

Batch rules (:func:`batch_holds`): a source reporting more deaths in one day than its
ceiling, or a batch in which more than ``batch_flag_limit`` people tripped other rules,
holds every record the batch created or changed.

Partial dates are read in the direction that holds: a rule fires when the record
*could* break it (e.g. ``1905`` to ``2020`` could be an age of 115 and more). Holding a
real death for a day costs a caseworker's minute; publishing a living person costs that
person months.

Two-person rule (:func:`check_second_person`): releasing a hold, changing a record
that came from state vital records, and any bulk action need a second, different user.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from vitalstat.domain.identity import PartialDate
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import VITAL_KINDS, DeathReport, ProofLevel, SourceKind
from vitalstat.errors import RefusedError, SelfApprovalError

__all__ = [
    "BATCH_REASONS",
    "HISTORICAL_KINDS",
    "NOT_RELEASABLE",
    "Evidence",
    "IntegrityRules",
    "LoneReportScreen",
    "TwoPersonAction",
    "age_bounds",
    "apply_holds",
    "batch_holds",
    "check_second_person",
    "lone_report_screen",
    "needs_second_person",
    "record_holds",
    "status_for",
    "withdrawn",
]


@dataclass(frozen=True, slots=True)
class IntegrityRules:
    """The rules' thresholds (settings; the defaults are documented in the README)."""

    max_age_at_death: int = 115
    adult_age: int = 18
    grace_days: int = 14  # a lone unverified non-vital report waits this long; 0: off
    surge_ceiling: int = 5_000  # deaths one source may report in one day
    batch_flag_limit: int = 100  # people in one batch tripping other rules

    def __post_init__(self) -> None:
        for name in ("max_age_at_death", "adult_age", "grace_days", "surge_ceiling",
                     "batch_flag_limit"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


#: Sources whose files are the historical death file itself (SSA's published records),
#: not fresh reports. The rules aimed at fresh reports do not apply to their lines: the
#: grace period, minors from non-vital sources, the daily surge ceiling and the batch
#: flag limit (a historical file of millions of lines always has hundreds of flagged
#: lines, and children do die). The data-sanity rules (future, before birth, over the
#: age limit: the junk GAO-14-46 found in the real file) and every evidence rule apply.
HISTORICAL_KINDS: frozenset[SourceKind] = frozenset({SourceKind.LEGACY_DMF})


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the registry knows about one SSN beyond its standing reports."""

    today: date
    first_reported: date | None = None  # receipt day of the oldest standing report
    alive_on: date | None = None  # latest day the person is known to have been alive
    withdrawn_as_erroneous: bool = False  # a case or a rejected hold took it off the file
    open_case: bool = False
    released: frozenset[ReviewReason] = frozenset()  # approved by a second person


def _day(t: tuple[int, int, int]) -> date:
    return date(*t)


def age_bounds(born: PartialDate, died: PartialDate) -> tuple[int, int]:
    """Least and greatest whole years the person could have lived, given partial dates."""

    def years(b: tuple[int, int, int], d: tuple[int, int, int]) -> int:
        return d[0] - b[0] - ((d[1], d[2]) < (b[1], b[2]))

    return years(born.latest(), died.earliest()), years(born.earliest(), died.latest())


def _vital_support(standing: Sequence[DeathReport]) -> bool:
    return any(r.source.kind in VITAL_KINDS for r in standing)


def _historical_only(standing: Sequence[DeathReport]) -> bool:
    return all(r.source.kind in HISTORICAL_KINDS for r in standing)


def record_holds(
    record: DeathRecord,
    standing: Sequence[DeathReport],
    evidence: Evidence,
    rules: IntegrityRules = IntegrityRules(),
) -> tuple[ReviewReason, ...]:
    """Every record rule that fires for ``record`` (empty: it may publish)."""
    reasons: list[ReviewReason] = []
    dod, dob = record.date_of_death, record.date_of_birth
    if dod is not None and _day(dod.earliest()) > evidence.today:
        reasons.append(ReviewReason.DEATH_IN_FUTURE)
    if dod is not None and dob is not None:
        if dod.latest() < dob.earliest():
            reasons.append(ReviewReason.DEATH_BEFORE_BIRTH)
        else:
            least, greatest = age_bounds(dob, dod)
            if greatest > rules.max_age_at_death:
                reasons.append(ReviewReason.AGE_OVER_LIMIT)
            if (least < rules.adult_age and not _vital_support(standing)
                    and not _historical_only(standing)):
                reasons.append(ReviewReason.MINOR_NON_VITAL)
    if (
        rules.grace_days
        and len(standing) == 1
        and not _vital_support(standing)
        and not _historical_only(standing)
        and standing[0].proof is ProofLevel.UNKNOWN
        and evidence.first_reported is not None
        and evidence.today < evidence.first_reported + timedelta(days=rules.grace_days)
    ):
        reasons.append(ReviewReason.SINGLE_UNVERIFIED)
    if (
        evidence.alive_on is not None
        and dod is not None
        and evidence.alive_on > _day(dod.earliest())
    ):
        reasons.append(ReviewReason.EVIDENCE_OF_LIFE)
    if evidence.withdrawn_as_erroneous and not _vital_support(standing):
        reasons.append(ReviewReason.PREVIOUSLY_ERRONEOUS)
    if evidence.open_case:
        reasons.append(ReviewReason.OPEN_CASE)
    return tuple(reasons)


#: The batch rules' codes (they hold every record of the batch).
BATCH_REASONS = (ReviewReason.SOURCE_SURGE, ReviewReason.BATCH_FLAGGED)


def batch_holds(
    *, kind: SourceKind, reported_today: int, flagged_people: int,
    rules: IntegrityRules = IntegrityRules(),
) -> tuple[ReviewReason, ...]:
    """Batch rules for a batch from a source of ``kind``: ``reported_today`` deaths from
    this source today (this batch included); ``flagged_people`` in this batch that record
    rules already hold."""
    reasons: list[ReviewReason] = []
    if kind in HISTORICAL_KINDS:
        return ()
    if reported_today > rules.surge_ceiling:
        reasons.append(ReviewReason.SOURCE_SURGE)
    if flagged_people > rules.batch_flag_limit:
        reasons.append(ReviewReason.BATCH_FLAGGED)
    return tuple(reasons)


@dataclass(frozen=True, slots=True)
class LoneReportScreen:
    """Which lone reports the store may turn into published records without the domain.

    The store's set-based path (one statement for millions of legacy lines) cannot call
    :func:`record_holds` per row, so it sends every row this screen does not clear
    through the domain instead. The screen never clears a row a record rule could hold:
    a row is cleared only when its date of death is not after ``today`` (``YYYY-MM-DD``
    text compares exactly as the rule does, ``00`` parts included), its birth year lies
    ``age_low``..``age_high`` years before its death year (or it has no date of birth),
    and, when ``blank_proof_needs_domain``, it carries a proof code.
    """

    today: str
    age_low: int
    age_high: int
    blank_proof_needs_domain: bool

    def clears(self, date_of_death: str, date_of_birth: str | None, proof: str) -> bool:
        """The screen on one row's stored values (the store states the same in SQL)."""
        if date_of_death > self.today:
            return False
        if date_of_birth is not None and not (
                self.age_low <= int(date_of_death[:4]) - int(date_of_birth[:4])
                <= self.age_high):
            return False
        return not (self.blank_proof_needs_domain and proof == "")


def lone_report_screen(kind: SourceKind, today: date,
                       rules: IntegrityRules = IntegrityRules()) -> LoneReportScreen:
    """The screen for lone reports from a source of ``kind`` (see :class:`LoneReportScreen`).

    Years apart ``d`` bound the age: at least ``d - 1``, at most ``d``. So ``d`` above
    ``adult_age`` rules out a minor (and death before birth), and ``d`` at most
    ``max_age_at_death`` rules out the age limit.
    """
    historical = kind in HISTORICAL_KINDS
    return LoneReportScreen(
        today=today.isoformat(),
        # the minor rule does not apply to the historical file: only death before birth
        age_low=1 if historical else rules.adult_age + 1,
        age_high=rules.max_age_at_death,
        blank_proof_needs_domain=bool(rules.grace_days) and kind not in VITAL_KINDS
        and not historical,
    )


def status_for(reasons: Sequence[ReviewReason]) -> RecordStatus:
    """A record with no reason publishes; one only waiting out its grace period is
    pending; any other reason holds it for a person."""
    if not reasons:
        return RecordStatus.PUBLISHED
    if set(reasons) == {ReviewReason.SINGLE_UNVERIFIED}:
        return RecordStatus.PENDING
    return RecordStatus.HELD


class TwoPersonAction(enum.StrEnum):
    """Changes that one person may propose but only a second, different person approve."""

    RELEASE_HOLD = "release-hold"
    CHANGE_VITAL_RECORD = "change-vital-record"
    BULK_ACTION = "bulk-action"


def needs_second_person(*, releases_hold: bool = False, record_restricted: bool = False,
                        records_affected: int = 1) -> tuple[TwoPersonAction, ...]:
    """Which two-person rules a proposed change falls under (empty: one person may act).

    ``record_restricted`` marks a record supported by state vital records; a change
    touching more than one record is a bulk action.
    """
    actions: list[TwoPersonAction] = []
    if releases_hold:
        actions.append(TwoPersonAction.RELEASE_HOLD)
    if record_restricted:
        actions.append(TwoPersonAction.CHANGE_VITAL_RECORD)
    if records_affected > 1:
        actions.append(TwoPersonAction.BULK_ACTION)
    return tuple(actions)


def check_second_person(proposed_by: str, approved_by: str) -> None:
    """Refuse an approval by the proposer (names compared case-insensitively, trimmed)."""
    proposer, approver = proposed_by.strip().casefold(), approved_by.strip().casefold()
    if not approver:
        raise RefusedError("an approval must name the approving user")
    if proposer == approver:
        raise SelfApprovalError(
            f"{approved_by!r} proposed this change and cannot also approve it: "
            "a second, different user must approve"
        )


#: Reasons a hold decision can never release: an open case is decided through the case,
#: and an SSN found listed in error returns only on a state vital-records report.
NOT_RELEASABLE = frozenset({ReviewReason.OPEN_CASE, ReviewReason.PREVIOUSLY_ERRONEOUS})


def apply_holds(record: DeathRecord, reasons: Sequence[ReviewReason],
                released: frozenset[ReviewReason] = frozenset()) -> DeathRecord:
    """``record`` with the integrity rules' ``reasons`` added to consolidation's own, less
    those a second person has ``released`` (never :data:`NOT_RELEASABLE`), and its status
    decided by :func:`status_for`. A withdrawn record stays withdrawn."""
    if record.status is RecordStatus.WITHDRAWN:
        return record
    merged = tuple(r for r in dict.fromkeys((*record.review_reasons, *reasons))
                   if r not in released or r in NOT_RELEASABLE)
    return replace(record, review_reasons=merged, status=status_for(merged))


def withdrawn(record: DeathRecord) -> DeathRecord:
    """The record taken off the file by a person's decision (a case or a rejected hold)."""
    return replace(record, status=RecordStatus.WITHDRAWN, review_reasons=())
