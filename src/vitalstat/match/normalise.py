"""Normalise once: subscriber rows and reference records into the columns the model compares.

Every rule about what an SSN, a name or a partial date is lives in
``domain.identity``; this module applies those rules once per *distinct* value (a
million subscriber rows hold a few thousand first names) and derives the keys the
comparisons and blocking rules use:

- ``first_keys``: the name, the head of a compound name (``MARY ANN`` -> ``MARY``) and
  their canonical forms from the ``nicknames`` package (``BILL`` -> ``WILLIAM``, ...);
  two first names are the same person's when their keys meet.
- ``last_compact`` (blanks dropped: ``DE LA CRUZ`` = ``DELACRUZ``) and ``last_tokens``
  (the parts of a compound surname: ``SMITH JONES`` meets ``JONES``).
- ``first_sdx`` / ``last_sdx``: Soundex keys (jellyfish), for blocking and a weak level.

Per-row derivations that are plain string slicing (date parts, the SSN's sorted digits)
are done by the engine in SQL (``match.features``).

A value that breaks a rule (an SSN with a letter, 1961-02-30) becomes missing and the
reason is kept for the row's ``reasons``: one bad cell never fails the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jellyfish
import pyarrow as pa
import pyarrow.compute as pc
from nicknames import NickNamer

from vitalstat.domain.identity import PartialDate, normalize_name, split_suffix, ssn_problem
from vitalstat.errors import InvalidDate

__all__ = [
    "CLEAN_SCHEMA",
    "FIRST_KEYS_SCHEMA",
    "INPUT_COLUMNS",
    "LAST_KEYS_SCHEMA",
    "first_keys",
    "first_name_facts",
    "first_name_keys",
    "last_name_facts",
    "last_name_keys",
    "normalise_dob",
    "normalise_input",
    "normalise_row",
    "normalise_ssn",
]

#: Columns a subscriber file may carry (``id`` is required, with at least one other).
INPUT_COLUMNS: tuple[str, ...] = ("id", "ssn", "first_name", "middle_name", "last_name", "dob",
                                  "sex", "state")

#: A cleaned subscriber table: identity rules applied, bad values made missing.
CLEAN_SCHEMA = pa.schema([
    ("unique_id", pa.int64()),
    ("ssn", pa.string()),
    ("first_name", pa.string()),
    ("middle_name", pa.string()),
    ("last_name", pa.string()),
    ("dob", pa.string()),  # YYYY-MM-DD, 00 for unknown parts
    ("sex", pa.string()),
    ("state", pa.string()),
])

#: Keys derived from one first name / one surname (joined on by the engine).
FIRST_KEYS_SCHEMA = pa.schema([("name", pa.string()), ("keys", pa.list_(pa.string())),
                               ("sdx", pa.string())])
LAST_KEYS_SCHEMA = pa.schema([("name", pa.string()), ("compact", pa.string()),
                              ("tokens", pa.list_(pa.string())), ("sdx", pa.string())])

_SSN_SEPARATORS = str.maketrans("", "", "- ")


# ------------------------------------------------------------------ single values


def normalise_ssn(raw: str | None) -> tuple[str | None, str | None]:
    """(9-digit SSN or None, problem or None). Blank is missing, not a problem."""
    if raw is None:
        return None, None
    ssn = raw.strip().translate(_SSN_SEPARATORS)
    if not ssn:
        return None, None
    problem = ssn_problem(ssn)
    return (None, f"SSN not usable ({problem})") if problem else (ssn, None)


def normalise_dob(raw: str | None) -> tuple[PartialDate | None, str | None]:
    """(partial date or None, problem or None). Accepts ``YYYY-MM-DD``/``YYYY-MM``/``YYYY``."""
    if raw is None or not raw.strip():
        return None, None
    try:
        return PartialDate.parse(raw), None
    except InvalidDate as exc:
        return None, f"date of birth not usable ({exc.reason})"


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@functools.lru_cache(maxsize=1 << 16)
def first_keys(name: str) -> tuple[str, ...]:
    """The name, the first part of a compound name, and their canonical forms (sorted).

    Two first names are the same person's when their keys meet: a nickname
    (``BILL``/``WILLIAM``) or a compound first name (``MARY ANN``/``MARY``).
    """
    if not name:
        return ()
    n = _nicknamer()
    head = name.split(" ")[0]
    keys = {name, head}
    for part in (name, head):
        keys.update(c.upper() for c in n.canonicals_of(part.lower()))
    return tuple(sorted(keys))


def _soundex(name: str) -> str | None:
    letters = name.replace(" ", "")
    return jellyfish.soundex(letters) if letters else None


# ----------------------------------------------------------------- whole columns


def _map_distinct(column: pa.Array, fn: Callable[[str], object], out_type: pa.DataType
                  ) -> pa.Array:
    """Apply ``fn`` once per distinct value of a string column (nulls stay null)."""
    encoded = pc.dictionary_encode(column).combine_chunks() if isinstance(
        column, pa.ChunkedArray) else pc.dictionary_encode(column)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], type=out_type)
    return mapped.take(encoded.indices)


def _given_name(raw: str) -> str | None:
    return normalize_name(raw) or None


def _surname(raw: str) -> str | None:
    return split_suffix(normalize_name(raw))[0] or None


def _sex(raw: str) -> str | None:
    return raw[:1].upper() if raw[:1].upper() in ("M", "F") else None


def _state(raw: str) -> str:
    return raw.upper()[:2]


#: How each cleaned column comes from the raw one (non-blank values only): the value
#: checks give (value, problem), the others the value. One table for the whole-file
#: path (:func:`normalise_input`) and the one-row one (:func:`normalise_row`).
_CHECKED: dict[str, Callable[[str], tuple[object, str | None]]] = {
    "ssn": normalise_ssn, "dob": normalise_dob}
_MAPPED: dict[str, Callable[[str], str | None]] = {
    "first_name": _given_name, "middle_name": _given_name, "last_name": _surname,
    "sex": _sex, "state": _state}


#: Arrow scalars, not Python values, in compute calls: converting a Python value tries
#: to import ``dateutil`` each time, a failed import of ~150 us where it is not installed
_EMPTY, _NULL = pa.scalar("", pa.string()), pa.scalar(None, pa.string())


def _blank_to_null(column: pa.Array) -> pa.Array:
    column = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(column, _EMPTY), _NULL, column)


def _string_column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    col = table.column(name).combine_chunks()
    return _blank_to_null(col.cast(pa.string()))


def normalise_input(table: pa.Table) -> tuple[pa.Table, list[list[str]]]:
    """Clean a subscriber table (string columns, any subset of :data:`INPUT_COLUMNS`).

    Returns the table in :data:`CLEAN_SCHEMA` (``unique_id`` is the 0-based row number)
    and, per row, the problems found in its values (those values become missing).
    """
    n = table.num_rows
    problems: list[list[str]] = [[] for _ in range(n)]

    def checked(name: str, fn: Callable[[str], tuple[object, str | None]]) -> pa.Array:
        column = _string_column(table, name)
        encoded = pc.dictionary_encode(column)
        values: list[str | None] = []
        bad: dict[int, str] = {}
        for code, raw in enumerate(encoded.dictionary.to_pylist()):
            value, problem = fn(raw)
            values.append(_text(value))
            if problem:
                bad[code] = problem
        if bad:
            codes = encoded.indices
            hit = pc.is_in(codes, value_set=pa.array(list(bad), codes.type))
            for i in pc.indices_nonzero(pc.fill_null(hit, False)).to_pylist():
                problems[i].append(bad[codes[i].as_py()])
        return pa.array(values, pa.string()).take(encoded.indices)

    columns: dict[str, pa.Array] = {"unique_id": pa.array(range(n), pa.int64())}
    for name in CLEAN_SCHEMA.names[1:]:
        if name in _CHECKED:
            columns[name] = checked(name, _CHECKED[name])
        else:
            columns[name] = _map_distinct(_string_column(table, name), _MAPPED[name],
                                          pa.string())
    return pa.Table.from_pydict(columns, schema=CLEAN_SCHEMA), problems


def normalise_row(values: Mapping[str, object]) -> tuple[dict[str, Any], list[str]]:
    """:func:`normalise_input` for one row given as a mapping (one request to the API),
    without building Arrow arrays: the cleaned values (``CLEAN_SCHEMA``, ``unique_id``
    0) and the problems found, in the same order. A property test holds the two equal."""
    clean: dict[str, Any] = {"unique_id": 0}
    problems: list[str] = []
    for name in CLEAN_SCHEMA.names[1:]:
        raw = values.get(name)
        text = str(raw).strip() if raw is not None else ""  # as utf8_trim_whitespace
        if not text:
            clean[name] = None
        elif name in _CHECKED:
            value, problem = _CHECKED[name](text)
            clean[name] = _text(value)
            if problem:
                problems.append(problem)
        else:
            clean[name] = _MAPPED[name](text)
    return clean, problems


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.iso() if isinstance(value, PartialDate) else str(value)


@functools.lru_cache(maxsize=1 << 16)
def first_name_facts(name: str) -> tuple[list[str], str | None]:
    """A first (or middle) name's nickname keys and Soundex (``FIRST_KEYS_SCHEMA``)."""
    return list(first_keys(name)), _soundex(name)


@functools.lru_cache(maxsize=1 << 16)
def last_name_facts(name: str) -> tuple[str, list[str], str | None]:
    """A surname with blanks dropped, its parts, its Soundex (``LAST_KEYS_SCHEMA``)."""
    return name.replace(" ", ""), name.split(" "), _soundex(name)


def first_name_keys(names: Iterable[str | None]) -> pa.Table:
    """One row per distinct first (or middle) name: its nickname keys and Soundex."""
    values = distinct(names)
    facts = [first_name_facts(v) for v in values]
    return pa.Table.from_pydict({
        "name": values,
        "keys": [f[0] for f in facts],
        "sdx": [f[1] for f in facts],
    }, schema=FIRST_KEYS_SCHEMA)


def last_name_keys(names: Iterable[str | None]) -> pa.Table:
    """One row per distinct surname: blanks dropped, its parts, Soundex."""
    values = distinct(names)
    facts = [last_name_facts(v) for v in values]
    return pa.Table.from_pydict({
        "name": values,
        "compact": [f[0] for f in facts],
        "tokens": [f[1] for f in facts],
        "sdx": [f[2] for f in facts],
    }, schema=LAST_KEYS_SCHEMA)


def distinct(values: Iterable[str | None]) -> list[str]:
    return sorted({v for v in values if v})
