"""Identity rules: SSNs, personal names and partial dates. Pure: standard library only.

SSN rules (SSA, since the 2011 randomisation): nine digits; area (first three) never
``000``, ``666`` or ``900``-``999``; group (middle two) never ``00``; serial (last four)
never ``0000``. Dashes and spaces are accepted on input and dropped.

Partial dates follow the DMF: an unknown month or day is ``00``. In the registry a
partial date is written ``YYYY-MM-DD`` with ``00`` for the unknown parts, which sorts
correctly and round-trips to the DMF's ``MMDDCCYY`` losslessly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from vitalstat.errors import InvalidDate, InvalidName, InvalidSSN, ValidationError

__all__ = [
    "SUFFIXES",
    "OwnDetails",
    "PartialDate",
    "PersonName",
    "mask_ssn",
    "normalize_name",
    "normalize_ssn",
    "parse_day",
    "split_suffix",
    "ssn_problem",
]

# --------------------------------------------------------------------------- SSN

_SSN_SEPARATORS = str.maketrans("", "", "- ")


def ssn_problem(ssn: str) -> str | None:
    """Why ``ssn`` (already stripped of separators) is not a valid SSN, or ``None``.

    This is the single home of the SSN rule; the fast bulk parser in ``formats`` is
    checked against it by a property test.
    """
    if len(ssn) != 9 or not ssn.isascii() or not ssn.isdigit():
        return "must be 9 digits"
    area = ssn[:3]
    if area == "000":
        return "area number 000 is never issued"
    if area == "666":
        return "area number 666 is never issued"
    if area[0] == "9":
        return "area numbers 900-999 are never issued"
    if ssn[3:5] == "00":
        return "group number 00 is never issued"
    if ssn[5:] == "0000":
        return "serial number 0000 is never issued"
    return None


def normalize_ssn(raw: str) -> str:
    """Return the 9-digit form of ``raw`` or raise :class:`InvalidSSN` with the reason."""
    ssn = raw.strip().translate(_SSN_SEPARATORS)
    problem = ssn_problem(ssn)
    if problem is not None:
        raise InvalidSSN(problem, field="ssn")
    return ssn


def mask_ssn(ssn: str, *, hide: str = "X") -> str:
    """``XXX-XX-1234``: the last four digits only, the form in which a page or a letter
    shows an SSN (``hide="*"``: ``***-**-1234``, the staff lists). Anything but nine
    digits shows as ``XXX``."""
    digits = ssn.strip().translate(_SSN_SEPARATORS)
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()):
        return hide * 3
    return f"{hide * 3}-{hide * 2}-{digits[-4:]}"


# -------------------------------------------------------------------------- names

SUFFIXES: frozenset[str] = frozenset(
    {"JR", "SR", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "MD", "DDS", "PHD", "ESQ"}
)

_APOSTROPHES = "'`\u2018\u2019\u02bc\u00b4"
_APOSTROPHE_TABLE = str.maketrans("", "", _APOSTROPHES)
_NON_LETTER = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r" {2,}")
_CLEAN_NAME = re.compile(r"(?:[A-Z]+(?: [A-Z]+)*)?")


def normalize_name(raw: str) -> str:
    """Upper-case ASCII letters and single spaces.

    Accents are removed (``José`` -> ``JOSE``), apostrophes dropped (``O'Brien`` ->
    ``OBRIEN``), hyphens and other punctuation become spaces so compound names keep their
    parts (``Smith-Jones`` -> ``SMITH JONES``). Idempotent.
    """
    if _CLEAN_NAME.fullmatch(raw):  # the common case (DMF files): already normalised
        return raw
    text = raw if raw.isascii() else _fold_to_ascii(raw)
    upper = text.translate(_APOSTROPHE_TABLE).upper()
    letters = _NON_LETTER.sub(" ", upper)
    return _SPACES.sub(" ", letters).strip()


def _fold_to_ascii(raw: str) -> str:
    """Drop accents (``é`` -> ``e``) and spell out letters NFKD cannot split."""
    decomposed = unicodedata.normalize("NFKD", raw)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.translate(_LIGATURES)


_LIGATURES = str.maketrans({"ß": "SS", "Æ": "AE", "æ": "AE", "Ø": "O", "ø": "O", "Ł": "L",
                            "ł": "L"})


def split_suffix(last: str) -> tuple[str, str]:
    """Split a generational or professional suffix off a normalised last name.

    ``"SMITH JR"`` -> ``("SMITH", "JR")``; ``"SMITH"`` -> ``("SMITH", "")``. A name that
    would be left empty keeps its text (``"V"`` alone is a surname, not a suffix).
    """
    parts = last.split(" ")
    if len(parts) > 1 and parts[-1] in SUFFIXES:
        return " ".join(parts[:-1]), parts[-1]
    return last, ""


@dataclass(frozen=True, slots=True)
class PersonName:
    """A normalised name, as the registry stores it."""

    last: str
    first: str = ""
    middle: str = ""
    suffix: str = ""

    @classmethod
    def parse(cls, *, last: str, first: str = "", middle: str = "", suffix: str = "") -> PersonName:
        """Normalise each part; a suffix written into the last name is split off.

        Raises :class:`InvalidName` when the last name has no letters at all.
        """
        norm_last, split = split_suffix(normalize_name(last))
        norm_suffix = normalize_name(suffix) or split
        if not norm_last:
            raise InvalidName("must contain at least one letter", field="last_name")
        return cls(norm_last, normalize_name(first), normalize_name(middle), norm_suffix)

    def display(self) -> str:
        parts = [self.first, self.middle, self.last, self.suffix]
        return " ".join(p for p in parts if p)


# -------------------------------------------------------------------------- dates

MIN_YEAR = 1800
MAX_YEAR = 2199


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date whose month or day may be unknown (``0``), as in the DMF.

    An unknown month implies an unknown day. The year is always known: a fully unknown
    date is ``None`` wherever a ``PartialDate`` is expected.
    """

    year: int
    month: int = 0
    day: int = 0

    def __post_init__(self) -> None:
        problem = _date_problem(self.year, self.month, self.day)
        if problem is not None:
            raise InvalidDate(problem)

    # -- construction
    @classmethod
    def parse(cls, text: str) -> PartialDate | None:
        """Parse ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` (``00`` parts allowed); blank -> None."""
        s = text.strip()
        if not s:
            return None
        parts = s.split("-")
        if (len(parts) > 3 or len(parts[0]) != 4 or any(len(p) != 2 for p in parts[1:])
                or not all(p.isascii() and p.isdigit() for p in parts)):
            raise InvalidDate(f"{text!r} is not a date (expected YYYY-MM-DD, 00 for unknown)")
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 0
        day = int(parts[2]) if len(parts) > 2 else 0
        if year == 0 and month == 0 and day == 0:
            return None
        return cls(year, month, day)

    @classmethod
    def from_mmddccyy(cls, text: str) -> PartialDate | None:
        """Parse the DMF's ``MMDDCCYY``; all zeros or blank -> None."""
        if not text.strip() or text == "00000000":
            return None
        if len(text) != 8 or not text.isascii() or not text.isdigit():
            raise InvalidDate(f"{text!r} is not MMDDCCYY")
        month, day, year = int(text[:2]), int(text[2:4]), int(text[4:])
        if year == 0:
            raise InvalidDate(f"{text!r} has no year")
        return cls(year, month, day)

    # -- rendering
    def iso(self) -> str:
        """``YYYY-MM-DD`` with ``00`` for unknown parts: the registry's stored form."""
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def mmddccyy(self) -> str:
        return f"{self.month:02d}{self.day:02d}{self.year:04d}"

    def __str__(self) -> str:
        if self.month == 0:
            return f"{self.year:04d}"
        if self.day == 0:
            return f"{self.year:04d}-{self.month:02d}"
        return self.iso()

    # -- reasoning
    @property
    def is_complete(self) -> bool:
        return self.month != 0 and self.day != 0

    def precision(self) -> int:
        """3 for a full date, 2 for year-month, 1 for year only."""
        return 1 + (self.month != 0) + (self.day != 0)

    def compatible(self, other: PartialDate) -> bool:
        """True when both could denote the same day (unknown parts agree with anything)."""
        if self.year != other.year:
            return False
        if self.month and other.month and self.month != other.month:
            return False
        return not (self.day and other.day and self.day != other.day)

    def earliest(self) -> tuple[int, int, int]:
        return (self.year, self.month or 1, self.day or 1)

    def latest(self) -> tuple[int, int, int]:
        month = self.month or 12
        day = self.day or _days_in_month(self.year, month)
        return (self.year, month, day)


_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month]


def _date_problem(year: int, month: int, day: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}"
    if not 0 <= month <= 12:
        return f"month {month} does not exist"
    if month == 0:
        return None if day == 0 else "a day is given but the month is unknown"
    if not 0 <= day <= _days_in_month(year, month):
        return f"day {day} does not exist in {year:04d}-{month:02d}"
    return None


def parse_day(text: str | None, field: str) -> date | None:
    """A full calendar day given as ``YYYY-MM-DD`` (a command's option); blank -> None."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None



# ---------------------------------------------------------------- a person's own details


@dataclass(frozen=True, slots=True)
class OwnDetails:
    """The details a person gives about themselves to see what the registry holds on
    them: surname, full date of birth and, where asked, first name (normalised).

    The one rule of every public page and endpoint that answers about a record: parse
    the details first (a malformed value is the caller's error, whether or not a record
    exists), then :meth:`agree` with the record."""

    last: str
    born: PartialDate | None
    first: str | None = None

    @classmethod
    def parse(cls, *, last_name: str, born: str, first_name: str | None = None
              ) -> OwnDetails:
        last = PersonName.parse(last=last_name).last if last_name.strip() else ""
        first = None if first_name is None else normalize_name(first_name)
        return cls(last, PartialDate.parse(born), first)

    def agree(self, name: PersonName, date_of_birth: PartialDate | None) -> bool:
        """Surname and full date of birth (and first name, when given) are the record's.
        A record without a full date of birth never agrees (too easy to guess)."""
        return (bool(self.last) and self.born is not None and date_of_birth is not None
                and date_of_birth.is_complete and date_of_birth == self.born
                and name.last == self.last
                and (self.first is None or name.first == self.first))
