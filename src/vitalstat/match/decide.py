"""Decisions: thresholds per profile, then safety rules that can only lower a decision. Pure.

The harm is asymmetric: a wrong ``match`` declares a living person dead, a missed one
pays the dead. So after scoring, whatever the weight:

- SSN agreement alone is never a ``match`` (a living person keyed with a dead person's
  SSN): without an agreeing first name *and* (date of birth or surname) it is ``review``
  at most, and ``none`` when nothing but the SSN agrees.
- Twins are never a ``match``: same surname and date of birth, a different first name
  and an SSN that is not the same (often one digit off) is ``none``; with the same SSN,
  or with first names that only loosely agree (a nickname, interchanged names) and a
  disagreeing middle name, it is ``review``.
- A row whose SSN is plainly another one than the record's (not one keying error
  away) is ``review`` at most, however well names and date of birth agree: namesakes
  born the same day exist in a file of ten million.
- A record on hold or under a correction case (now, or in the release) is ``review`` at
  most, as is a row that two death records fit about equally well.
- One death record claimed by input rows that look like different people goes to
  ``review`` on every such row; one person on several rows matches on every row.
- Profiles: ``insurer`` (Reg 200, default), ``research`` (NDI-style, SSN often
  missing: lower thresholds), ``bank`` (SSN always present: a row without a usable SSN,
  or whose SSN is not the record's or one keying error from it, is ``review`` at most).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "PROFILES",
    "Candidate",
    "Decision",
    "Outcome",
    "Profile",
    "RowIdentity",
    "decide",
    "resolve_claims",
]


class Decision(enum.IntEnum):
    """Ordered: a safety rule may only move a decision down."""

    NONE = 0
    REVIEW = 1
    MATCH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    match_weight: float  # at or above: match
    review_weight: float  # at or above: review
    ssn_required: bool = False  # bank: no usable, agreeing SSN -> review at most
    ambiguity_margin: float = 4.0  # runner-up within this many weight units -> review
    description: str = ""


PROFILES: dict[str, Profile] = {
    "insurer": Profile("insurer", 4.5, -4.0,
                       description="Reg 200 insurer rules; the default"),
    "research": Profile("research", 3.0, -6.0,
                        description="NDI-style research linkage; SSN often missing"),
    "bank": Profile("bank", 4.5, -4.0, ssn_required=True,
                    description="SSN always present; no match without an (almost) agreeing "
                                "SSN"),
}

FIRST_OK = frozenset({"exact", "nickname", "initial", "swapped", "typo"})
FIRST_SAME_PERSON = frozenset({"exact", "nickname", "initial", "swapped"})
LAST_OK = frozenset({"exact", "compound", "typo", "sounds-alike", "changed-f"})
LAST_CLOSE = frozenset({"exact", "compound", "typo"})
DOB_OK = frozenset({"exact", "transposed", "partial"})
SSN_CLOSE = frozenset({"exact", "one-digit", "transposed"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """The best-scoring death record for a row, as the model saw the pair."""

    ssn: str
    weight: float
    levels: Mapping[str, str]  # comparison name -> level key ("missing" when absent)
    held: bool = False  # not published now, or under a correction case
    date_of_death: str | None = None


@dataclass(slots=True)
class Outcome:
    decision: Decision
    candidate: Candidate | None
    rules: list[str] = field(default_factory=list)  # safety rules that fired, readable

    def lower(self, to: Decision, why: str) -> None:
        if to < self.decision:
            self.decision = to
            self.rules.append(why)


def decide(best: Candidate | None, runner_up: Candidate | None, profile: Profile, *,
           row_has_ssn: bool) -> Outcome:
    """The decision for one row from its best (and second-best) candidate record."""
    if best is None:
        return Outcome(Decision.NONE, None, ["no death record comes close"])
    if best.weight >= profile.match_weight:
        out = Outcome(Decision.MATCH, best)
    elif best.weight >= profile.review_weight:
        out = Outcome(Decision.REVIEW, best, [f"weight below {profile.match_weight:g}: review"])
    else:
        return Outcome(Decision.NONE, best, [f"weight below {profile.review_weight:g}"])
    lv = best.levels
    ssn, first, last, dob = lv["ssn"], lv["first"], lv["last"], lv["dob"]
    name_ok = first in FIRST_OK
    if ssn == "exact" and not name_ok and dob not in DOB_OK and last not in LAST_OK:
        out.lower(Decision.NONE, "only the SSN agrees: the SSN was probably keyed wrong")
    elif ssn == "exact" and not (name_ok and (dob in DOB_OK or last in LAST_CLOSE)):
        out.lower(Decision.REVIEW, "SSN agreement alone is never a match")
    if last in LAST_CLOSE and dob == "exact" and first != "missing":
        different = first not in FIRST_SAME_PERSON
        loose = first not in ("exact", "initial") and lv["middle"] in ("else", "missing")
        if ssn == "exact" and different:
            out.lower(Decision.REVIEW, "same surname and date of birth but another first "
                                       "name: a twin?")
        elif ssn != "exact" and different:
            out.lower(Decision.NONE, "looks like a twin or sibling: same surname and date "
                                     "of birth, another first name and SSN")
        elif ssn != "exact" and loose:
            out.lower(Decision.REVIEW, "same surname and date of birth, first name only "
                                       "loosely agrees, middle name does not confirm it, "
                                       "SSN differs: "
                                       "a twin?")
    if ssn == "else":
        out.lower(Decision.REVIEW, "the row's SSN is another one than the record's")
    if not name_ok and not (first == "missing" and ssn == "exact"):
        out.lower(Decision.REVIEW, "first name does not agree")
    if best.held:
        out.lower(Decision.REVIEW, "the death record is on hold or under a correction case")
    if (runner_up is not None and runner_up.ssn != best.ssn
            and runner_up.weight >= profile.review_weight
            and best.weight - runner_up.weight < profile.ambiguity_margin):
        out.lower(Decision.REVIEW, "another death record fits almost as well")
    if profile.ssn_required and (not row_has_ssn or ssn not in SSN_CLOSE):
        out.lower(Decision.REVIEW, f"{profile.name} profile: no match without an agreeing SSN")
    return out


@dataclass(frozen=True, slots=True)
class RowIdentity:
    """What a row says about its person, to tell one person on several rows from two."""

    ssn: str | None
    dob: str | None
    first_keys: frozenset[str]
    first_initial: str

    def same_person(self, other: RowIdentity) -> bool:
        if self.ssn and other.ssn and self.ssn != other.ssn:
            return False
        if self.dob and other.dob and self.dob != other.dob:
            return False
        if self.first_keys and other.first_keys and not self.first_keys & other.first_keys:
            short = len(min(self.first_keys, key=len)) == 1 or len(
                min(other.first_keys, key=len)) == 1
            return short and self.first_initial == other.first_initial
        return True


def resolve_claims(outcomes: Sequence[Outcome],
                   identity_of: Callable[[int], RowIdentity]) -> None:
    """Rows matching one death record but looking like different people go to review.

    ``identity_of(i)`` is asked only for rows in a record's group of two or more.
    """
    by_record: dict[str, list[int]] = defaultdict(list)
    for i, out in enumerate(outcomes):
        if out.decision == Decision.MATCH and out.candidate is not None:
            by_record[out.candidate.ssn].append(i)
    for rows in by_record.values():
        if len(rows) < 2:
            continue
        ids = [identity_of(j) for j in rows]
        if all(a.same_person(b) for i, a in enumerate(ids) for b in ids[i + 1:]):
            continue
        for j in rows:
            outcomes[j].lower(Decision.REVIEW, "this death record is claimed by rows that "
                                               "look like different people")
