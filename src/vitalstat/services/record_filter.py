"""Apply a :class:`~vitalstat.domain.policy.RecordFilter` to Arrow columns, vectorised.

The decision is the policy's (``domain.policy``); this module only evaluates the filter
it returns over a whole batch at once. A property test proves the mask equals
``RecordFilter.admits`` (and so ``may_receive``) row by row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vitalstat.domain.policy import RecordFilter

__all__ = ["FILTER_COLUMNS", "admitted"]

#: The columns :func:`admitted` reads.
FILTER_COLUMNS: tuple[str, ...] = ("status", "restricted", "date_of_death")

_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
#: Arrow scalars in compute calls (a Python value costs a failed import of dateutil)
_NO_DATE, _PUBLISHED = pa.scalar("0000-00-00", pa.string()), pa.scalar("published", pa.string())


def _latest_death_keys(dod: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """``YYYY-MM-DD`` (``00`` unknown; null = unknown) as YYYYMMDD of the latest possible
    day; -1 where unknown. Works on the text's bytes (every value is 10 ASCII bytes)."""
    text = pc.fill_null(dod, _NO_DATE)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=text.offset * 4)
    if n == 0:
        return np.zeros(0, np.int64)
    if bool((np.diff(offsets) != 10).any()):
        raise ValueError("date_of_death: every value must be YYYY-MM-DD")
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    m = data.reshape(n, 10)

    def digit(i: int) -> np.ndarray:
        return m[:, i].astype(np.int32) - 48

    year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
    month = digit(5) * 10 + digit(6)
    day = digit(8) * 10 + digit(9)
    month = np.where(month == 0, 12, month)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    day = np.where(day == 0, last, day)
    keys = year.astype(np.int64) * 10000 + month * 100 + day
    return np.where(year == 0, -1, keys)


def admitted(table: pa.Table | pa.RecordBatch, rule: RecordFilter) -> np.ndarray:
    """Boolean mask: which rows of ``table`` the filter lets through."""
    n = table.num_rows
    if rule.nothing or n == 0:
        return np.zeros(n, bool)
    mask = pc.equal(table.column("status"), _PUBLISHED).to_numpy(zero_copy_only=False)
    if not rule.allow_restricted:
        mask &= ~table.column("restricted").to_numpy(zero_copy_only=False).astype(bool)
    if rule.died_on_or_before is not None:
        c = rule.died_on_or_before
        keys = _latest_death_keys(table.column("date_of_death"))
        mask &= (keys >= 0) & (keys <= c.year * 10000 + c.month * 100 + c.day)
    return mask
