"""The comparisons and blocking rules, as small declarative objects. Pure (no Splink here).

Each comparison is an ordered list of levels, most specific first; a pair falls into the
first level whose condition holds. Conditions are SQL over the normalised columns
(``match.features``) with ``_l`` (subscriber row) and ``_r`` (death record) suffixes,
written in DuckDB's dialect; Splink translates them for Spark. Level keys are stable:
the decision rules and the explanations use them, the model JSON stores m/u by them.

Beside its SQL, each level and block states the same condition in Python (``test``,
over two feature dicts), for scoring one row against a handful of records without a
database (``match.one_row``, the API's one-row match). A property test holds the two
forms to the same answer on every pair it generates (``tests/match/test_one_row.py``).
SQL's NULL never counts as agreement; the Python forms say so with :func:`same`. In the
Python forms ``a`` is the subscriber row (SQL's ``_l``) and ``b`` the death record (``_r``).

The levels cover the insurer rules (DOMAIN.md section 6, 11 NYCRR 226.4): nicknames,
initials, interchanged first and middle names, compound first names; compound and
blank-separated surnames, apostrophes (dropped by normalisation), maiden/married
surnames; incomplete dates of birth, month/day transposition; SSN one-digit errors,
transposed digits and missing SSNs; typing errors in names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from jellyfish import levenshtein_distance

__all__ = ["BLOCKING_RULES", "BLOCKS", "COMPARISONS", "Block", "Comparison", "Features", "Level",
           "level_key", "same"]

#: One side of a pair: :data:`~vitalstat.match.features.FEATURE_COLUMNS` -> value.
Features = Mapping[str, Any]
Test = Callable[[Features, Features], bool]


def same(a: object, b: object) -> bool:
    """SQL's ``a = b`` as a condition: true only when both are known and equal."""
    return a is not None and a == b


def _lev(a: str | None, b: str | None) -> int:
    """``levenshtein(a, b)``; only asked about known values (the comparison's null check
    ran first)."""
    assert a is not None and b is not None
    return levenshtein_distance(a, b)


def _initial(a: str | None, b: str | None) -> bool:
    """``(length(a) = 1 OR length(b) = 1) AND substr(a, 1, 1) = substr(b, 1, 1)``."""
    return (a is not None and b is not None and (len(a) == 1 or len(b) == 1)
            and a[:1] == b[:1])


def _meet(a: list[str] | None, b: list[str] | None) -> bool:
    """``array_length(list_intersect(a, b)) >= 1``."""
    return bool(a) and bool(b) and not set(a).isdisjoint(b)  # type: ignore[arg-type]


def _typo(a: str | None, b: str | None) -> bool:
    """One letter off, or two in a name of six letters or more (the row's length)."""
    d = _lev(a, b)
    return d <= 1 or (d <= 2 and len(a or "") >= 6)


@dataclass(frozen=True, slots=True)
class Level:
    key: str  # stable identifier, e.g. "nickname"
    text: str  # what a caseworker reads, e.g. "first name is a nickname of the other"
    sql: str  # condition; "" for the else level (or when ``array`` alone decides)
    array: str = ""  # also true when this list column's two values share an element
    test: Test | None = None  # ``sql`` in Python (required with ``sql``)

    def __post_init__(self) -> None:
        if bool(self.sql) != (self.test is not None):
            raise ValueError(f"level {self.key!r}: give its condition in SQL and in Python")

    def holds(self, left: Features, right: Features) -> bool:
        """Whether a pair whose comparison is not missing falls in this level."""
        if self.is_else:
            return True
        return (self.test is not None and self.test(left, right)) or (
            bool(self.array) and _meet(left[self.array], right[self.array]))

    @property
    def is_else(self) -> bool:
        return not self.sql and not self.array


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str  # output column suffix: gamma_<name>, mw_<name>
    field: str  # human name of the field
    needs: str  # the column both sides must have for the comparison to be made
    levels: tuple[Level, ...]  # most specific first; the last one is the else level

    @property
    def null_sql(self) -> str:
        """When the comparison cannot be made (a side is missing)."""
        return f"{self.needs}_l IS NULL OR {self.needs}_r IS NULL"

    def level_of(self, left: Features, right: Features) -> str:
        """The key of the level a pair falls in (``missing``: a side lacks the value)."""
        if left[self.needs] is None or right[self.needs] is None:
            return "missing"
        return next(lv.key for lv in self.levels if lv.holds(left, right))

    def gamma_to_key(self, gamma: int) -> str:
        """Splink's comparison vector value -> level key (-1: missing, 0: else)."""
        if gamma < 0:
            return "missing"
        return self.levels[len(self.levels) - 1 - gamma].key

    def key_to_gamma(self, key: str) -> int:
        if key == "missing":
            return -1
        keys = [lv.key for lv in self.levels]
        return len(self.levels) - 1 - keys.index(key)

    def text(self, key: str) -> str:
        if key == "missing":
            return f"{self.field}: missing on one side"
        return next(lv.text for lv in self.levels if lv.key == key)


SSN = Comparison("ssn", "SSN", "ssn", (
    Level("exact", "SSN agrees", "ssn_l = ssn_r",
          test=lambda a, b: a["ssn"] == b["ssn"]),
    Level("one-digit", "SSN differs in one digit", "levenshtein(ssn_l, ssn_r) = 1",
          test=lambda a, b: _lev(a["ssn"], b["ssn"]) == 1),
    Level("transposed", "SSN has two digits swapped",
          "ssn_sorted_l = ssn_sorted_r AND levenshtein(ssn_l, ssn_r) = 2",
          test=lambda a, b: (same(a["ssn_sorted"], b["ssn_sorted"])
                             and _lev(a["ssn"], b["ssn"]) == 2)),
    Level("else", "SSN disagrees", ""),
))

FIRST = Comparison("first", "first name", "first_name", (
    Level("exact", "first name agrees", "first_name_l = first_name_r",
          test=lambda a, b: a["first_name"] == b["first_name"]),
    Level("nickname", "first name is a nickname or part of the other", "",
          array="first_keys"),
    Level("initial", "first name given as an initial that agrees",
          "(length(first_name_l) = 1 OR length(first_name_r) = 1)"
          " AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
          test=lambda a, b: _initial(a["first_name"], b["first_name"])),
    Level("swapped", "first and middle names interchanged",
          "first_name_l = middle_name_r AND (middle_name_l IS NULL OR middle_name_r IS NULL"
          " OR substr(middle_name_l, 1, 1) = substr(first_name_r, 1, 1))",
          test=lambda a, b: same(a["first_name"], b["middle_name"]) and (
              a["middle_name"] is None or b["middle_name"] is None
              or a["middle_name"][:1] == b["first_name"][:1])),
    Level("typo", "first name differs by one or two letters",
          "levenshtein(first_name_l, first_name_r) <= 1"
          " OR (levenshtein(first_name_l, first_name_r) <= 2 AND length(first_name_l) >= 6)",
          test=lambda a, b: _typo(a["first_name"], b["first_name"])),
    Level("sounds-alike", "first name sounds alike", "first_sdx_l = first_sdx_r",
          test=lambda a, b: same(a["first_sdx"], b["first_sdx"])),
    Level("else", "first name disagrees", ""),
))

MIDDLE = Comparison("middle", "middle name", "middle_name", (
    Level("exact", "middle name agrees", "middle_name_l = middle_name_r",
          test=lambda a, b: a["middle_name"] == b["middle_name"]),
    Level("initial", "middle initial agrees",
          "(length(middle_name_l) = 1 OR length(middle_name_r) = 1)"
          " AND substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)",
          test=lambda a, b: _initial(a["middle_name"], b["middle_name"])),
    Level("swapped", "middle and first names interchanged",
          "middle_name_l = first_name_r AND substr(first_name_l, 1, 1)"
          " = substr(middle_name_r, 1, 1)",
          test=lambda a, b: (same(a["middle_name"], b["first_name"])
                             and a["first_name"] is not None
                             and a["first_name"][:1] == b["middle_name"][:1])),
    Level("else", "middle name disagrees", ""),
))

LAST = Comparison("last", "surname", "last_name", (
    Level("exact", "surname agrees", "last_name_l = last_name_r",
          test=lambda a, b: a["last_name"] == b["last_name"]),
    Level("compound", "surname agrees but for blanks or a part of a compound name",
          "last_compact_l = last_compact_r", array="last_tokens",
          test=lambda a, b: same(a["last_compact"], b["last_compact"])),
    Level("typo", "surname differs by one or two letters",
          "levenshtein(last_name_l, last_name_r) <= 1"
          " OR (levenshtein(last_name_l, last_name_r) <= 2 AND length(last_name_l) >= 6)",
          test=lambda a, b: _typo(a["last_name"], b["last_name"])),
    Level("sounds-alike", "surname sounds alike", "last_sdx_l = last_sdx_r",
          test=lambda a, b: same(a["last_sdx"], b["last_sdx"])),
    Level("changed-f", "surname differs (a woman's maiden/married name?)",
          "sex_l = 'F' OR sex_r = 'F'",
          test=lambda a, b: a["sex"] == "F" or b["sex"] == "F"),
    Level("else", "surname disagrees", ""),
))


def _partial(a: Features, b: Features) -> bool:
    return (a["dob_y"] == b["dob_y"]
            and (a["dob_m"] == b["dob_m"] or a["dob_m"] == 0 or b["dob_m"] == 0)
            and (a["dob_d"] == b["dob_d"] or a["dob_d"] == 0 or b["dob_d"] == 0))


def _two_parts(a: Features, b: Features) -> bool:
    y, m, d = (a[c] == b[c] for c in ("dob_y", "dob_m", "dob_d"))
    return (y and m) or (y and d) or (m and d and abs(a["dob_y"] - b["dob_y"]) <= 10)


DOB = Comparison("dob", "date of birth", "dob", (
    Level("exact", "date of birth agrees", "dob_full_l = dob_full_r",
          test=lambda a, b: same(a["dob_full"], b["dob_full"])),
    Level("transposed", "date of birth agrees with month and day swapped",
          "dob_swapped_l = dob_full_r OR dob_full_l = dob_swapped_r",
          test=lambda a, b: (same(a["dob_swapped"], b["dob_full"])
                             or same(a["dob_full"], b["dob_swapped"]))),
    Level("partial", "date of birth agrees as far as both are known",
          "dob_y_l = dob_y_r AND (dob_m_l = dob_m_r OR dob_m_l = 0 OR dob_m_r = 0)"
          " AND (dob_d_l = dob_d_r OR dob_d_l = 0 OR dob_d_r = 0)", test=_partial),
    Level("two-parts", "date of birth: two of day, month, year agree",
          "(dob_y_l = dob_y_r AND dob_m_l = dob_m_r) OR (dob_y_l = dob_y_r AND dob_d_l = dob_d_r)"
          " OR (dob_m_l = dob_m_r AND dob_d_l = dob_d_r AND abs(dob_y_l - dob_y_r) <= 10)",
          test=_two_parts),
    Level("else", "date of birth disagrees", ""),
))

COMPARISONS: tuple[Comparison, ...] = (SSN, FIRST, MIDDLE, LAST, DOB)

@dataclass(frozen=True, slots=True)
class Block:
    """Pairs whose columns agree: ``(row column, record column)`` equalities, plus
    optionally a column the record (or the row) must lack."""

    keys: tuple[tuple[str, str], ...]
    record_without: str = ""
    row_without: str = ""

    def splink_sql(self) -> str:
        terms = [f"l.{a} = r.{b}" for a, b in self.keys]
        if self.row_without:
            terms.append(f"l.{self.row_without} IS NULL")
        if self.record_without:
            terms.append(f"r.{self.record_without} IS NULL")
        return " AND ".join(terms)

    def row_key(self, row: Features) -> object | None:
        """The row's values of this block's columns, or None when it pairs the row with
        nothing (a value missing, or one the row must lack present)."""
        if self.row_without and row[self.row_without] is not None:
            return None
        values = tuple(row[a] for a, _ in self.keys)
        return None if None in values else values

    def record_key(self, record: Features) -> object | None:
        """The record's values to compare with :meth:`row_key` (None: pairs nothing)."""
        if self.record_without and record[self.record_without] is not None:
            return None
        return tuple(record[b] for _, b in self.keys)

    def pairs(self, row: Features, record: Features) -> bool:
        """:meth:`splink_sql` in Python: whether this block pairs ``row`` and ``record``."""
        key = self.row_key(row)
        return key is not None and self.record_key(record) == key

    def pairs_with(self, row: Features) -> Callable[[Features], bool] | None:
        """:meth:`pairs` for one row against many records, the row's side worked out once
        (None: the block pairs the row with nothing)."""
        key = self.row_key(row)
        if key is None:
            return None
        take = itemgetter(*(b for _, b in self.keys))
        want = key if len(self.keys) > 1 else key[0]  # itemgetter of one gives the value
        without = self.record_without
        if without:
            return lambda record: take(record) == want and record[without] is None
        return lambda record: take(record) == want


def _same(*cols: str) -> tuple[tuple[str, str], ...]:
    return tuple((c, c) for c in cols)


#: Candidate pairs: a pair is scored when any of these hold. Each insurer-rule variant
#: (one name error and one identifier error at most) keeps at least one of them: the
#: SSN; the full date of birth (or a transposed one) with the surname's sound; the full
#: date of birth and first name with either end of the SSN (digits 1-4 or 6-9: one
#: digit off, or two neighbours swapped, leaves one end whole), or alone when the row
#: has no SSN. Records without a
#: full date of birth are also reached by half an SSN, or the birth month, and names.
#: Narrow keys matter: with ten million records, every loose key brings pairs to score.
BLOCKS: tuple[Block, ...] = (
    Block(_same("ssn")),
    Block(_same("dob_full", "last_sdx")),
    Block(_same("dob_full", "first_name", "ssn_head")),
    Block(_same("dob_full", "first_name", "ssn_tail")),
    Block(_same("dob_full", "first_name"), row_without="ssn"),
    # (swapping month and day is its own inverse: this also covers a swapped record)
    Block((("dob_swapped", "dob_full"), ("last_sdx", "last_sdx"))),
    Block(_same("ssn_head", "last_sdx"), record_without="dob_full"),
    Block(_same("ssn_tail", "last_sdx"), record_without="dob_full"),
    Block(_same("last_sdx", "first_sdx", "dob_y", "dob_m"),
          record_without="dob_full"),
    Block(_same("last_name", "first_name"), record_without="dob"),
)

BLOCKING_RULES: tuple[str, ...] = tuple(b.splink_sql() for b in BLOCKS)


def level_key(comparison: str, gamma: int) -> str:
    return _BY_NAME[comparison].gamma_to_key(gamma)


_BY_NAME = {c.name: c for c in COMPARISONS}
