"""The vectorised fast path of :func:`vitalstat.formats.dmf.read_dmf`.

The fast path works on a chunk transposed to (100, lines): each check is then an
element-wise operation over all lines at once. It only *accepts* lines that the
reference path (:func:`~vitalstat.formats.dmf.parse_row`) would accept unchanged; any
other line is handed to ``parse_row``. A property test checks both paths give exactly the
same rows and problems.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
from collections.abc import Iterator
from functools import partial
from operator import itemgetter, methodcaller

import numpy as np

from vitalstat.domain.identity import SUFFIXES, split_suffix
from vitalstat.errors import LineProblem
from vitalstat.formats.dmf import _S, _SPACE, RECORD_LENGTH, parse_row
from vitalstat.formats.rows import Chunk, ReportRow

__all__ = ["BLOCK_LINES", "process_fast"]

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_new_row = partial(tuple.__new__, ReportRow)
try:  # CPython's own SHA-256 costs less per call than OpenSSL's for 100-byte inputs
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found]  # 3.12+
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _sha256 = hashlib.sha256
_hexdigest = methodcaller("hexdigest")
_SUFFIX_ENDINGS = tuple(" " + word for word in SUFFIXES)
_all = partial(np.logical_and.reduce, axis=0)
_any = partial(np.logical_or.reduce, axis=0)


def _between(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (x >= lo) & (x <= hi)


def _name_ok(f: np.ndarray, *, required: bool) -> np.ndarray:
    """Upper-case letters and single spaces, no leading space: ``normalize_name`` is a no-op."""
    letter = _between(f, 65, 90)
    space = f == _SPACE
    after_space = letter[1:] & space[:-1]  # a letter right after a space
    ok = _all(letter | space) & ~after_space[0]  # ... and not " A" (leading space)
    ok &= ~_any(after_space[1:] & space[:-2])  # nor "A  B" (double space)
    return ok & letter[0] if required else ok


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[1], dtype=np.int32)
    for row in digits:
        value = value * 10 + row.astype(np.int32) - 48
    return value


def _date_ok(f: np.ndarray) -> np.ndarray:
    """``MMDDCCYY`` that ``PartialDate.from_mmddccyy`` accepts and that has a year."""
    month, day, year = _number(f[0:2]), _number(f[2:4]), _number(f[4:8])
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    ok = _all(_between(f, 48, 57)) & _between(year, 1800, 2199)
    return ok & _between(month, 0, 12) & (day >= 0) & (day <= days)


def _blank(f: np.ndarray, fill: int = _SPACE) -> np.ndarray:
    return _all(f == fill)


def _clean(t: np.ndarray) -> np.ndarray:
    """Lines (columns of ``t``) that :func:`parse_row` accepts with nothing to normalise."""
    act = t[0]
    ok = (act == _SPACE) | (act == 65) | (act == 67) | (act == 68)
    ssn = t[_S["ssn"]]
    ok &= _all(_between(ssn, 48, 57))
    area, group, serial = _number(ssn[0:3]), _number(ssn[3:5]), _number(ssn[5:9])
    ok &= (area > 0) & (area != 666) & (area < 900) & (group > 0) & (serial > 0)
    ok &= _name_ok(t[_S["last_name"]], required=True)
    for field in ("suffix", "first_name", "middle_name"):
        ok &= _name_ok(t[_S[field]], required=False)
    proof = t[_S["proof"]][0]
    ok &= (proof == 80) | (proof == 86) | (proof == 78) | (proof == _SPACE)
    ok &= _date_ok(t[_S["date_of_death"]])
    dob = t[_S["date_of_birth"]]
    ok &= _date_ok(dob) | _blank(dob, 48) | _blank(dob)
    state = t[_S["state"]]
    ok &= _all(_between(state, 65, 90)) | _blank(state)
    for field in ("zip_residence", "zip_payment"):
        z = t[_S[field]]
        ok &= _all(_between(z, 48, 57)) | _blank(z)
    return ok & _blank(t[_S["blank"]])


def _strings(c: np.ndarray, field: str, *, rstrip: bool = True) -> list[str]:
    """One field of every line (``c``: one line per row) as ``str``."""
    f = c[:, _S[field]]
    if rstrip and bool((f == _SPACE).all()):  # e.g. state and ZIPs, blank since 2011
        return [""] * len(f)
    wide = f.astype(np.uint32)
    text = wide.view(np.dtype(("U", wide.shape[1]))).ravel()
    return (np.strings.rstrip(text, " ") if rstrip else text).tolist()


def _iso(c: np.ndarray, field: str) -> np.ndarray:
    """A ``MMDDCCYY`` field of every line -> ``CCYY-MM-DD`` code points, one row per line."""
    f = c[:, _S[field]]
    out = np.empty((len(c), 10), dtype=np.uint32)
    out[:, 0:4] = f[:, 4:8]
    out[:, 5:7] = f[:, 0:2]
    out[:, 8:10] = f[:, 2:4]
    out[:, 4] = out[:, 7] = ord("-")
    return out


#: Lines per vectorised step: small enough for the CPU cache, large enough to amortise.
BLOCK_LINES = 8192


def process_fast(
    chunk: Chunk, buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> None:
    """Vectorised reading of clean lines; every other line goes through :func:`parse_row`."""
    for i in range(0, len(starts), BLOCK_LINES):
        j = i + BLOCK_LINES
        rows, problems = _fast_block(buf, starts[i:j], ends[i:j], first_line + i, file)
        chunk.rows.extend(rows)
        chunk.problems.extend(problems)


def _fast_block(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> tuple[list[ReportRow], list[LineProblem]]:
    rows: list[ReportRow] = []
    problems: list[LineProblem] = []
    n = len(starts)
    good_idx = np.flatnonzero(ends - starts == RECORD_LENGTH)
    m = len(good_idx)
    clean_idx = good_idx[:0]
    if m:
        gs = starts[good_idx]
        stride = int(gs[1] - gs[0]) if m > 1 else RECORD_LENGTH + 1
        if bool((np.diff(gs) == stride).all()):
            arr = np.ndarray((m, RECORD_LENGTH), np.uint8, buf, int(gs[0]), (stride, 1))
        else:
            joined = b"".join([buf[x : x + RECORD_LENGTH] for x in gs.tolist()])
            arr = np.frombuffer(joined, np.uint8).reshape(m, RECORD_LENGTH)
        t = np.ascontiguousarray(arr.T)
        ok = _clean(t)
        clean_idx = good_idx[ok]
        if len(clean_idx):
            dob, last = t[_S["date_of_birth"]], t[_S["last_name"]]
            unknown_dob = (_blank(dob, 48) | _blank(dob))[ok]
            compound = _any((last[1:] != _SPACE) & (last[:-1] == _SPACE))[ok]
            made = _fast_rows(arr[ok], (clean_idx + first_line).tolist(), unknown_dob, compound)
            # Building many small tuples at once triggers the cyclic GC for nothing
            # (they only hold str, int and None); pause it for this one statement.
            enabled = gc.isenabled()
            gc.disable()
            try:
                rows = list(made)
            finally:
                if enabled:
                    gc.enable()
    if len(clean_idx) == n:
        return rows, problems
    slow = np.ones(n, dtype=bool)
    slow[clean_idx] = False
    slow_rows: list[ReportRow] = []
    for i in np.flatnonzero(slow).tolist():
        s, e = int(starts[i]), int(ends[i])
        item = parse_row(buf[s:e], file=file, line_no=first_line + i)
        if isinstance(item, LineProblem):
            problems.append(item)
        else:
            slow_rows.append(item)
    if slow_rows:
        rows = sorted(rows + slow_rows, key=itemgetter(0))
    return rows, problems


def _fast_rows(
    c: np.ndarray, line_nos: list[int], unknown_dob: np.ndarray, compound: np.ndarray
) -> Iterator[ReportRow]:
    """Rows for clean lines ``c`` (one 100-byte line per row), as ``parse_row`` makes them."""
    act = c[:, 0:1].astype(np.uint32)
    act[act == _SPACE] = ord("A")
    proof = c[:, _S["proof"]].astype(np.uint32)
    proof[(proof == _SPACE) | (proof == ord("N"))] = 0  # blank and legacy N: unknown
    dob_iso = _iso(c, "date_of_birth")
    dob_iso[unknown_dob] = 0
    dobs: list[str | None] = dob_iso.view(np.dtype(("U", 10))).ravel().tolist()
    for i in np.flatnonzero(unknown_dob).tolist():
        dobs[i] = None
    last, suffix = _strings(c, "last_name"), _strings(c, "suffix")
    # The domain splits a suffix word off a compound last name ("SMITH JR").
    for i in np.flatnonzero(compound).tolist():
        if last[i].endswith(_SUFFIX_ENDINGS):
            head, word = split_suffix(last[i])
            last[i], suffix[i] = head, suffix[i] or word
    payloads = c.view(np.dtype(("S", RECORD_LENGTH))).ravel().tolist()
    columns = (
        line_nos,
        act.view(np.dtype(("U", 1))).ravel().tolist(),
        _strings(c, "ssn", rstrip=False),
        last,
        suffix,
        _strings(c, "first_name"),
        _strings(c, "middle_name"),
        proof.view(np.dtype(("U", 1))).ravel().tolist(),
        _iso(c, "date_of_death").view(np.dtype(("U", 10))).ravel().tolist(),
        dobs,
        _strings(c, "state"),
        _strings(c, "zip_residence"),
        _strings(c, "zip_payment"),
        *itertools.repeat(itertools.repeat(""), 5),  # sex, reporter x3, source_report_id
        list(map(_hexdigest, map(_sha256, payloads))),
    )
    return map(_new_row, zip(*columns))  # noqa: B905 - repeat() is endless
