"""The vectorised fast path of :func:`vitalstat.formats.dmf.read_dmf`.

The fast path works on a chunk transposed to (100, lines): each check is then an
element-wise operation over all lines at once. It only *accepts* lines that the
reference path (:func:`~vitalstat.formats.dmf.parse_row`) would accept unchanged; any
other line is handed to ``parse_row``. A property test checks both paths give exactly the
same rows and problems. Accepted lines come out as packed runs
(:class:`~vitalstat.formats.rows.PackedRows`), one per stretch of consecutive lines;
``read_dmf`` turns them into rows unless the caller (a bulk load) wants them packed.
"""

from __future__ import annotations

import hashlib
import itertools
from functools import partial
from operator import methodcaller

import numpy as np

from vitalstat.domain.identity import SUFFIXES, split_suffix
from vitalstat.errors import LineProblem
from vitalstat.formats.dmf import _S, _SPACE, RECORD_LENGTH, parse_row
from vitalstat.formats.rows import PACKED_AT, PACKED_WIDTH, Chunk, PackedRows, ReportRow

__all__ = ["BLOCK_LINES", "process_fast"]

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
try:  # CPython's own SHA-256 costs less per call than OpenSSL's for 100-byte inputs
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found]  # 3.12+
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _sha256 = hashlib.sha256
_digest = methodcaller("digest")
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


def _iso(c: np.ndarray, field: str) -> np.ndarray:
    """A ``MMDDCCYY`` field of every line -> ``CCYY-MM-DD`` bytes, one row per line."""
    f = c[:, _S[field]]
    out = np.empty((len(c), 10), dtype=np.uint8)
    out[:, 0:4] = f[:, 4:8]
    out[:, 5:7] = f[:, 0:2]
    out[:, 8:10] = f[:, 2:4]
    out[:, 4] = out[:, 7] = ord("-")
    return out


#: Lines per vectorised step: small enough for the CPU cache, large enough to amortise.
BLOCK_LINES = 8192
#: Packed fields copied from the DMF line as they are.
_AS_IS = ("ssn", "last_name", "suffix", "first_name", "middle_name", "state",
          "zip_residence", "zip_payment")


def process_fast(
    chunk: Chunk, buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> None:
    """Vectorised reading of clean lines; every other line goes through :func:`parse_row`."""
    for i in range(0, len(starts), BLOCK_LINES):
        j = i + BLOCK_LINES
        runs, rows, problems = _fast_block(buf, starts[i:j], ends[i:j], first_line + i, file)
        chunk.packed.extend(runs)
        chunk.rows.extend(rows)
        chunk.problems.extend(problems)


def _fast_block(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> tuple[list[PackedRows], list[ReportRow], list[LineProblem]]:
    runs: list[PackedRows] = []
    rows: list[ReportRow] = []
    problems: list[LineProblem] = []
    n = len(starts)
    good_idx = np.flatnonzero(ends - starts == RECORD_LENGTH)
    m = len(good_idx)
    packed_idx = good_idx[:0]
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
        packed_idx = good_idx[ok]
        if len(packed_idx):
            dob = t[_S["date_of_birth"]]
            fields = _pack(arr[ok], (_blank(dob, 48) | _blank(dob))[ok])
            last = t[_S["last_name"]]
            compound = _any((last[1:] != _SPACE) & (last[:-1] == _SPACE))[ok]
            _split_suffixes(fields, np.flatnonzero(compound).tolist())
            # one run per stretch of consecutive lines
            cuts = [0, *(np.flatnonzero(np.diff(packed_idx) != 1) + 1).tolist(), len(packed_idx)]
            runs = [PackedRows.pack(first_line + int(packed_idx[a]), fields[a:b])
                    for a, b in itertools.pairwise(cuts)]
    if len(packed_idx) == n:
        return runs, rows, problems
    slow = np.ones(n, dtype=bool)
    slow[packed_idx] = False
    for i in np.flatnonzero(slow).tolist():
        s, e = int(starts[i]), int(ends[i])
        item = parse_row(buf[s:e], file=file, line_no=first_line + i)
        if isinstance(item, LineProblem):
            problems.append(item)
        else:
            rows.append(item)
    return runs, rows, problems


def _split_suffixes(fields: np.ndarray, compound: list[int]) -> None:
    """The domain splits a suffix word off a compound last name ("SMITH JR"): do the same
    in the packed rows ``compound`` (the only ones whose last name has a space)."""
    last_at, suffix_at = PACKED_AT["last_name"], PACKED_AT["suffix"]
    for i in compound:
        last = fields[i, last_at : last_at + 20].tobytes().decode("ascii").rstrip()
        if not last.endswith(_SUFFIX_ENDINGS):
            continue
        head, word = split_suffix(last)
        suffix = fields[i, suffix_at : suffix_at + 4].tobytes().decode("ascii").rstrip()
        fields[i, last_at : last_at + 20] = np.frombuffer(head.ljust(20).encode(), np.uint8)
        fields[i, suffix_at : suffix_at + 4] = np.frombuffer(
            (suffix or word).ljust(4).encode(), np.uint8)


def _pack(c: np.ndarray, unknown_dob: np.ndarray) -> np.ndarray:
    """Clean lines ``c`` (one 100-byte line per row) as packed rows (``PACKED_FIELDS``),
    holding what ``parse_row`` makes of them."""
    out = np.empty((len(c), PACKED_WIDTH), dtype=np.uint8)

    def put(name: str, values: np.ndarray) -> None:
        at = PACKED_AT[name]
        out[:, at : at + values.shape[1]] = values

    action = c[:, 0:1].copy()
    action[action == _SPACE] = ord("A")
    put("action", action)
    for name in _AS_IS:
        put(name, c[:, _S[name]])
    proof = c[:, _S["proof"]].copy()
    proof[proof == ord("N")] = _SPACE  # blank and legacy N: unknown
    put("proof", proof)
    put("date_of_death", _iso(c, "date_of_death"))
    dob = _iso(c, "date_of_birth")
    dob[unknown_dob] = _SPACE
    put("date_of_birth", dob)
    payloads = c.view(np.dtype(("S", RECORD_LENGTH))).ravel().tolist()
    digests = b"".join(map(_digest, map(_sha256, payloads)))
    put("payload_hash", np.frombuffer(digests, np.uint8).reshape(len(c), 32))
    return out
