"""``write_dmf_full_file``: a large synthetic DMF full file, vectorised with numpy."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np

from vitalstat.formats.dmf import LAYOUT, RECORD_LENGTH
from vitalstat.synth.people import _census

_PER_AREA = 99 * 9999  # valid (group, serial) pairs per area number
_SSN_SPACE = 898 * _PER_AREA  # areas 001-899 without 666
_CHUNK = 1 << 16
_GRID = 1 << 20  # resolution of the name samplers
#: Field positions (0-based slices) from the one declared layout.
_S = {f.name: f.span for f in LAYOUT}
_SSN = _S["ssn"].start


def _ascii_table(names: Iterable[str], width: int) -> np.ndarray:
    padded = [n[:width].ljust(width).encode("ascii") for n in names]
    return np.array(padded, dtype=f"S{width}").view(np.uint8).reshape(len(padded), width)


def _digit_table(width: int) -> np.ndarray:
    """Row ``n`` is ``n`` as ``width`` ASCII digits (zero-padded)."""
    return _ascii_table([f"{n:0{width}d}" for n in range(10**width)], width)


def _sampler(cum: tuple[float, ...]) -> np.ndarray:
    """An inverse-CDF grid: ``grid[random cell]`` draws an index with the given weights."""
    c = np.asarray(cum)
    cells = (np.arange(_GRID) + 0.5) * (c[-1] / _GRID)
    return np.minimum(np.searchsorted(c, cells, side="right"), len(c) - 1).astype(np.int32)


@functools.cache
def _fast_tables() -> dict[str, np.ndarray]:
    pools = _census()
    male, female = pools["M"], pools["F"]
    days = np.zeros((400, 13), dtype=np.int64)  # days[year - 1800, month]
    for year in range(1800, 2200):
        for month in range(1, 13):
            days[year - 1800, month] = (date(year + month // 12, month % 12 + 1, 1)
                                        - date(year, month, 1)).days
    return {
        "last": _ascii_table(pools["L"].names, 20),
        "last_grid": _sampler(pools["L"].cum),
        # male names, then female names, then one blank row (no middle name)
        "first": _ascii_table([*male.names, *female.names, ""], 15),
        "male_grid": _sampler(male.cum),
        "female_grid": _sampler(female.cum) + len(male.names),
        "suffix": _ascii_table(["", "JR", "SR", "III", "II"], 4),
        "suffix_grid": np.repeat(np.arange(5), [9500, 300, 100, 70, 30]),
        "proof": np.frombuffer(b"PV ", dtype=np.uint8),
        "proof_grid": np.repeat(np.arange(3), [40, 35, 25]),
        "days": days,
        "d2": _digit_table(2),
        "d3": _digit_table(3),
        "d4": _digit_table(4),
    }


def _put_dates(buf: np.ndarray, col: int, t: dict[str, np.ndarray], months: np.ndarray,
               days: np.ndarray, years: np.ndarray) -> None:
    """Write ``MMDDCCYY`` at ``buf[:, col:col + 8]``."""
    buf[:, col : col + 2] = t["d2"][months]
    buf[:, col + 2 : col + 4] = t["d2"][days]
    buf[:, col + 4 : col + 8] = t["d4"][years]


def write_dmf_full_file(path: Path, lines: int, *, seed: int = 0) -> int:
    """Stream ``lines`` synthetic DMF full-file records (100 bytes + ``\\n``) to ``path``.

    SSNs are valid, unique and ascending (one random pick in each of ``lines`` equal
    slices of the valid SSN space); names follow census frequencies; deaths fall between
    1962 and October 2011, with a few unknown days or months. Memory stays bounded (one
    chunk of about 130,000 lines at a time). Returns the number of lines written.
    """
    if not 0 <= lines <= _SSN_SPACE:
        raise ValueError(f"lines must be between 0 and {_SSN_SPACE}")
    t = _fast_tables()
    rng = np.random.default_rng(seed)
    step = _SSN_SPACE // max(lines, 1)
    blank_first = len(t["first"]) - 1
    days_in = t["days"]
    with path.open("wb") as out:
        for start in range(0, lines, _CHUNK):
            k = min(_CHUNK, lines - start)
            buf = np.full((k, RECORD_LENGTH + 1), 32, dtype=np.uint8)
            buf[:, RECORD_LENGTH] = 10
            index = np.arange(start, start + k, dtype=np.int64) * step + rng.integers(0, step, k)
            area = index // _PER_AREA + 1
            area += area >= 666
            rest = index % _PER_AREA
            buf[:, _SSN : _SSN + 3] = t["d3"][area]
            buf[:, _SSN + 3 : _SSN + 5] = t["d2"][rest // 9999 + 1]
            buf[:, _SSN + 5 : _SSN + 9] = t["d4"][rest % 9999 + 1]
            cells = rng.integers(0, _GRID, (4, k), dtype=np.int32)
            buf[:, _S["last_name"]] = t["last"][t["last_grid"][cells[0]]]
            male = rng.random(k) < 0.5
            firsts = np.where(male, t["male_grid"][cells[1]], t["female_grid"][cells[1]])
            middles = np.where(male, t["male_grid"][cells[2]], t["female_grid"][cells[2]])
            middles[cells[3] < _GRID // 5] = blank_first
            buf[:, _S["first_name"]] = t["first"][firsts]
            buf[:, _S["middle_name"]] = t["first"][middles]
            small = rng.integers(0, 10_000, (2, k))
            buf[:, _S["suffix"]] = t["suffix"][np.where(male, t["suffix_grid"][small[0]], 0)]
            buf[:, _S["proof"].start] = t["proof"][t["proof_grid"][small[1] % 100]]
            # dates of death: more recent years more common; none after October 2011
            year = rng.triangular(1962, 2012, 2012, k).astype(np.int64)
            month = rng.integers(1, 13, k)
            month[(year == 2011) & (month > 10)] -= 2
            day = 1 + (rng.random(k) * days_in[year - 1800, month]).astype(np.int64)
            unknown = rng.random(k)
            day[unknown < 0.02] = 0
            month[unknown < 0.003] = 0
            _put_dates(buf, _S["date_of_death"].start, t, month, day, year)
            age = np.where(rng.random(k) < 0.12, rng.integers(1, 50, k),
                           np.clip(rng.normal(79, 10, k), 50, 106).astype(np.int64))
            year -= age
            month = rng.integers(1, 13, k)
            day = 1 + (rng.random(k) * days_in[year - 1800, month]).astype(np.int64)
            _put_dates(buf, _S["date_of_birth"].start, t, month, day, year)
            buf[rng.random(k) < 0.01, _S["date_of_birth"]] = 48  # date of birth unknown
            out.write(buf.data)
    return lines
