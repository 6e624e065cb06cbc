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


def _latest_death_keys(dod: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """``YYYY-MM-DD`` (``00`` unknown) as YYYYMMDD of the latest possible day; -1 if null."""
    text = pc.fill_null(dod, "0000-00-00")
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    year = pc.cast(pc.utf8_slice_codeunits(text, 0, 4), pa.int32()).to_numpy()
    month = pc.cast(pc.utf8_slice_codeunits(text, 5, 7), pa.int32()).to_numpy()
    day = pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int32()).to_numpy()
    month = np.where(month == 0, 12, month)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS[month] + ((month == 2) & leap)
    day = np.where(day == 0, last, day)
    keys = year * 10000 + month * 100 + day
    return np.where(year == 0, -1, keys)


def admitted(table: pa.Table | pa.RecordBatch, rule: RecordFilter) -> np.ndarray:
    """Boolean mask: which rows of ``table`` the filter lets through."""
    n = table.num_rows
    if rule.nothing or n == 0:
        return np.zeros(n, bool)
    mask = pc.equal(table.column("status"), "published").to_numpy(zero_copy_only=False)
    if not rule.allow_restricted:
        mask &= ~table.column("restricted").to_numpy(zero_copy_only=False).astype(bool)
    if rule.died_on_or_before is not None:
        c = rule.died_on_or_before
        keys = _latest_death_keys(table.column("date_of_death"))
        mask &= (keys >= 0) & (keys <= c.year * 10000 + c.month * 100 + c.day)
    return mask
