"""Who may receive which record: tiers, the embargo and restricted sources. Pure.

This module is the one place that decides what a recipient may receive (DOMAIN.md
section 3). Export, delivery, lookups and match results all ask it:

* :func:`may_receive` decides for one record;
* :func:`release_filter` gives the same decision in a columnar form (a
  :class:`RecordFilter`) so a whole release can be filtered at once; a property test
  proves ``release_filter(...).admits(facts) == may_receive(...).allowed`` for every
  input.

Tiers, from least to most entitled (each tier receives everything the one before does):

* ``open``: published records not from restricted (state) sources and past the embargo;
* ``certified``: also records inside the embargo, only with a current certification (an
  expired one is treated as ``open``);
* ``benefits-agency``: also restricted-source records, only under an active matching
  agreement (outside its start and end dates it is treated as ``open``).

A suspended recipient receives nothing. A record whose date of death is unknown cannot
be shown to be past the embargo, so it is treated as inside it. A partial date of death
counts as its latest possible day (an unknown day is the month's last, an unknown month
December): the conservative reading.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from vitalstat.domain.identity import PartialDate
from vitalstat.errors import ValidationError

__all__ = [
    "DEFAULT_EMBARGO",
    "Agreement",
    "Decision",
    "EmbargoRule",
    "Entitlement",
    "RecordFacts",
    "RecordFilter",
    "Standing",
    "Tier",
    "embargo_ends",
    "entitlement",
    "may_receive",
    "release_filter",
]


class Tier(enum.StrEnum):
    OPEN = "open"
    CERTIFIED = "certified"
    BENEFITS_AGENCY = "benefits-agency"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Tier:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(t.value for t in cls)
            raise ValidationError(f"unknown tier {text!r}; one of: {names}",
                                  field="tier") from None


_RANK = {Tier.OPEN: 0, Tier.CERTIFIED: 1, Tier.BENEFITS_AGENCY: 2}


class EmbargoRule(enum.StrEnum):
    """Readings of 42 U.S.C. 1306c's "3-calendar-year period beginning on the date of death".

    Each value names the *last* embargoed day; the record may go out the day after.
    """

    THIRD_ANNIVERSARY = "anniversary+3"  # through the day before the 3rd anniversary
    YEAR_END_PLUS_2 = "year-end+2"  # through 31 December of the year of death + 2
    YEAR_END_PLUS_3 = "year-end+3"  # through 31 December of the year of death + 3

    @classmethod
    def parse(cls, text: str) -> EmbargoRule:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValidationError(f"unknown embargo rule {text!r}; one of: {names}",
                                  field="embargo") from None


#: The most conservative reading (DOMAIN.md section 3).
DEFAULT_EMBARGO = EmbargoRule.YEAR_END_PLUS_3


@dataclass(frozen=True, slots=True)
class Agreement:
    """A computer matching agreement: in force from ``start`` through ``end``."""

    agreement_id: str
    start: date
    end: date

    def active(self, today: date) -> bool:
        return self.start <= today <= self.end


@dataclass(frozen=True, slots=True)
class Standing:
    """What is on file about a recipient: its tier and the papers that back it."""

    tier: Tier
    certified_until: date | None = None
    agreement: Agreement | None = None
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class Entitlement:
    """The tier a recipient is treated as today (``None``: receives nothing), and why."""

    tier: Tier | None
    notes: tuple[str, ...] = ()


def entitlement(standing: Standing, today: date) -> Entitlement:
    """The tier ``standing`` entitles its holder to on ``today``, with the reasons for any
    downgrade (an expired certification, an agreement not in force, a suspension)."""
    if standing.suspended:
        return Entitlement(None, ("the subscriber is suspended: nothing may be sent",))
    if standing.tier is Tier.CERTIFIED:
        until = standing.certified_until
        if until is None or until < today:
            when = f"expired on {until.isoformat()}" if until else "is not on file"
            return Entitlement(Tier.OPEN, (f"certification {when}: treated as open tier",))
    if standing.tier is Tier.BENEFITS_AGENCY:
        agreement = standing.agreement
        if agreement is None or not agreement.active(today):
            why = ("no matching agreement is on file" if agreement is None else
                   f"matching agreement {agreement.agreement_id} is in force only from "
                   f"{agreement.start.isoformat()} through {agreement.end.isoformat()}")
            return Entitlement(Tier.OPEN, (f"{why}: treated as open tier",))
    return Entitlement(standing.tier)


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What the policy needs to know about a record."""

    date_of_death: PartialDate | None
    restricted: bool
    published: bool = True

    @classmethod
    def of(cls, date_of_death: str | None, restricted: bool, status: str = "published"
           ) -> RecordFacts:
        """From a record's stored values (``records.parquet`` / ``RECORD_ARROW_SCHEMA``)."""
        dod = PartialDate.parse(date_of_death) if date_of_death else None
        return cls(dod, bool(restricted), status == "published")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str


def _latest(dod: PartialDate) -> date:
    return date(*dod.latest())


def embargo_ends(dod: PartialDate | None, rule: EmbargoRule) -> date | None:
    """The last embargoed day for a death on ``dod`` (``None``: unknown date, never ends)."""
    if dod is None:
        return None
    died = _latest(dod)
    if rule is EmbargoRule.YEAR_END_PLUS_2:
        return date(died.year + 2, 12, 31)
    if rule is EmbargoRule.YEAR_END_PLUS_3:
        return date(died.year + 3, 12, 31)
    return _years_later(died, 3) - _ONE_DAY


def _years_later(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)


def _tier(standing: Standing, today: date, at_most: Tier | None) -> Tier | None:
    tier = entitlement(standing, today).tier
    if tier is not None and at_most is not None and at_most.rank < tier.rank:
        return at_most
    return tier


def may_receive(standing: Standing, facts: RecordFacts, today: date,
                rule: EmbargoRule = DEFAULT_EMBARGO, *, at_most: Tier | None = None
                ) -> Decision:
    """May a recipient with ``standing`` receive a record with ``facts`` on ``today``?

    ``at_most`` caps the tier (a file asked for at a lower tier than the recipient's).
    """
    tier = _tier(standing, today, at_most)
    if tier is None:
        return Decision(False, "the recipient is suspended")
    if not facts.published:
        return Decision(False, "the record is not published")
    if facts.restricted and tier is not Tier.BENEFITS_AGENCY:
        return Decision(False, "restricted (state) source: benefits agencies only")
    if tier is Tier.OPEN:
        ends = embargo_ends(facts.date_of_death, rule)
        if ends is None:
            return Decision(False, "date of death unknown: treated as inside the embargo")
        if today <= ends:
            return Decision(False, f"inside the embargo (through {ends.isoformat()})")
    return Decision(True, f"{tier.value} tier")


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """The columnar form of :func:`may_receive` for one recipient on one day.

    A record passes when it is published, ``restricted`` is false unless
    ``allow_restricted``, and, when ``died_on_or_before`` is set, its date of death is
    known and its latest possible day is on or before that date.
    ``nothing`` is true when the recipient may receive no record at all.
    """

    nothing: bool
    allow_restricted: bool
    died_on_or_before: date | None

    def admits(self, facts: RecordFacts) -> bool:
        if self.nothing or not facts.published:
            return False
        if facts.restricted and not self.allow_restricted:
            return False
        if self.died_on_or_before is None:
            return True
        return facts.date_of_death is not None and (
            _latest(facts.date_of_death) <= self.died_on_or_before)


def release_filter(standing: Standing, today: date, rule: EmbargoRule = DEFAULT_EMBARGO,
                   *, at_most: Tier | None = None) -> RecordFilter:
    """The :class:`RecordFilter` equal to :func:`may_receive` for ``standing`` on ``today``."""
    tier = _tier(standing, today, at_most)
    if tier is None:
        return RecordFilter(nothing=True, allow_restricted=False, died_on_or_before=None)
    cutoff = None
    if tier is Tier.OPEN:
        # Allowed iff today > embargo_ends(latest day of death). Each rule's end grows
        # with the day of death, so this is "latest day of death <= some cutoff".
        if rule is EmbargoRule.YEAR_END_PLUS_2:
            cutoff = date(today.year - 3, 12, 31)
        elif rule is EmbargoRule.YEAR_END_PLUS_3:
            cutoff = date(today.year - 4, 12, 31)
        else:  # died + 3 years - 1 day < today  <=>  died + 3 years <= today
            cutoff = _latest_death_for_anniversary(today)
    return RecordFilter(nothing=False, allow_restricted=tier is Tier.BENEFITS_AGENCY,
                        died_on_or_before=cutoff)


def _latest_death_for_anniversary(today: date) -> date:
    """The latest day of death whose 3rd anniversary (29 Feb -> 1 Mar) is on or before today."""
    try:
        candidate = today.replace(year=today.year - 3)
    except ValueError:  # today is 29 February: 28 February three years back
        candidate = date(today.year - 3, 2, 28)
    if _years_later(candidate, 3) > today:  # only for a 29 February three years back
        candidate -= _ONE_DAY
    return candidate
