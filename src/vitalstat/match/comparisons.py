"""The comparisons and blocking rules, as small declarative objects. Pure (no Splink here).

Each comparison is an ordered list of levels, most specific first; a pair falls into the
first level whose condition holds. Conditions are SQL over the normalised columns
(``match.features``) with ``_l`` (subscriber row) and ``_r`` (death record) suffixes,
written in DuckDB's dialect; Splink translates them for Spark. Level keys are stable:
the decision rules and the explanations use them, the model JSON stores m/u by them.

The levels cover the insurer rules (DOMAIN.md section 6, 11 NYCRR 226.4): nicknames,
initials, interchanged first and middle names, compound first names; compound and
blank-separated surnames, apostrophes (dropped by normalisation), maiden/married
surnames; incomplete dates of birth, month/day transposition; SSN one-digit errors,
transposed digits and missing SSNs; typing errors in names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BLOCKING_RULES", "BLOCKS", "COMPARISONS", "Block", "Comparison", "Level", "level_key"]


@dataclass(frozen=True, slots=True)
class Level:
    key: str  # stable identifier, e.g. "nickname"
    text: str  # what a caseworker reads, e.g. "first name is a nickname of the other"
    sql: str  # condition; "" for the else level (or when ``array`` alone decides)
    array: str = ""  # also true when this list column's two values share an element

    @property
    def is_else(self) -> bool:
        return not self.sql and not self.array


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str  # output column suffix: gamma_<name>, mw_<name>
    field: str  # human name of the field
    null_sql: str  # when the comparison cannot be made (a side is missing)
    levels: tuple[Level, ...]  # most specific first; the last one is the else level

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


def _null(*cols: str) -> str:
    return " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)


SSN = Comparison("ssn", "SSN", _null("ssn"), (
    Level("exact", "SSN agrees", "ssn_l = ssn_r"),
    Level("one-digit", "SSN differs in one digit", "levenshtein(ssn_l, ssn_r) = 1"),
    Level("transposed", "SSN has two digits swapped",
          "ssn_sorted_l = ssn_sorted_r AND levenshtein(ssn_l, ssn_r) = 2"),
    Level("else", "SSN disagrees", ""),
))

FIRST = Comparison("first", "first name", _null("first_name"), (
    Level("exact", "first name agrees", "first_name_l = first_name_r"),
    Level("nickname", "first name is a nickname or part of the other", "",
          array="first_keys"),
    Level("initial", "first name given as an initial that agrees",
          "(length(first_name_l) = 1 OR length(first_name_r) = 1)"
          " AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)"),
    Level("swapped", "first and middle names interchanged",
          "first_name_l = middle_name_r AND (middle_name_l IS NULL OR middle_name_r IS NULL"
          " OR substr(middle_name_l, 1, 1) = substr(first_name_r, 1, 1))"),
    Level("typo", "first name differs by one or two letters",
          "levenshtein(first_name_l, first_name_r) <= 1"
          " OR (levenshtein(first_name_l, first_name_r) <= 2 AND length(first_name_l) >= 6)"),
    Level("sounds-alike", "first name sounds alike", "first_sdx_l = first_sdx_r"),
    Level("else", "first name disagrees", ""),
))

MIDDLE = Comparison("middle", "middle name", _null("middle_name"), (
    Level("exact", "middle name agrees", "middle_name_l = middle_name_r"),
    Level("initial", "middle initial agrees",
          "(length(middle_name_l) = 1 OR length(middle_name_r) = 1)"
          " AND substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)"),
    Level("swapped", "middle and first names interchanged",
          "middle_name_l = first_name_r AND substr(first_name_l, 1, 1)"
          " = substr(middle_name_r, 1, 1)"),
    Level("else", "middle name disagrees", ""),
))

LAST = Comparison("last", "surname", _null("last_name"), (
    Level("exact", "surname agrees", "last_name_l = last_name_r"),
    Level("compound", "surname agrees but for blanks or a part of a compound name",
          "last_compact_l = last_compact_r", array="last_tokens"),
    Level("typo", "surname differs by one or two letters",
          "levenshtein(last_name_l, last_name_r) <= 1"
          " OR (levenshtein(last_name_l, last_name_r) <= 2 AND length(last_name_l) >= 6)"),
    Level("sounds-alike", "surname sounds alike", "last_sdx_l = last_sdx_r"),
    Level("changed-f", "surname differs (a woman's maiden/married name?)",
          "sex_l = 'F' OR sex_r = 'F'"),
    Level("else", "surname disagrees", ""),
))

DOB = Comparison("dob", "date of birth", _null("dob"), (
    Level("exact", "date of birth agrees", "dob_full_l = dob_full_r"),
    Level("transposed", "date of birth agrees with month and day swapped",
          "dob_swapped_l = dob_full_r OR dob_full_l = dob_swapped_r"),
    Level("partial", "date of birth agrees as far as both are known",
          "dob_y_l = dob_y_r AND (dob_m_l = dob_m_r OR dob_m_l = 0 OR dob_m_r = 0)"
          " AND (dob_d_l = dob_d_r OR dob_d_l = 0 OR dob_d_r = 0)"),
    Level("two-parts", "date of birth: two of day, month, year agree",
          "(dob_y_l = dob_y_r AND dob_m_l = dob_m_r) OR (dob_y_l = dob_y_r AND dob_d_l = dob_d_r)"
          " OR (dob_m_l = dob_m_r AND dob_d_l = dob_d_r AND abs(dob_y_l - dob_y_r) <= 10)"),
    Level("else", "date of birth disagrees", ""),
))

COMPARISONS: tuple[Comparison, ...] = (SSN, FIRST, MIDDLE, LAST, DOB)

@dataclass(frozen=True, slots=True)
class Block:
    """Pairs whose columns agree: ``(row column, record column)`` equalities, plus
    optional conditions on the record or the row alone (``{}`` stands for the side)."""

    keys: tuple[tuple[str, str], ...]
    record_filter: str = ""
    row_filter: str = ""

    def splink_sql(self) -> str:
        terms = [f"l.{a} = r.{b}" for a, b in self.keys]
        if self.row_filter:
            terms.append(self.row_filter.replace("{}", "l."))
        if self.record_filter:
            terms.append(self.record_filter.replace("{}", "r."))
        return " AND ".join(terms)


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
    Block(_same("dob_full", "first_name"), row_filter="{}ssn IS NULL"),
    # (swapping month and day is its own inverse: this also covers a swapped record)
    Block((("dob_swapped", "dob_full"), ("last_sdx", "last_sdx"))),
    Block(_same("ssn_head", "last_sdx"), record_filter="{}dob_full IS NULL"),
    Block(_same("ssn_tail", "last_sdx"), record_filter="{}dob_full IS NULL"),
    Block(_same("last_sdx", "first_sdx", "dob_y", "dob_m"),
          record_filter="{}dob_full IS NULL"),
    Block(_same("last_name", "first_name"), record_filter="{}dob IS NULL"),
)

BLOCKING_RULES: tuple[str, ...] = tuple(b.splink_sql() for b in BLOCKS)


def level_key(comparison: str, gamma: int) -> str:
    return _BY_NAME[comparison].gamma_to_key(gamma)


_BY_NAME = {c.name: c for c in COMPARISONS}
