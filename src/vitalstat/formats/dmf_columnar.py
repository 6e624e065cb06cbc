"""Writing DMF lines from Arrow columns, vectorised: the fast twin of :func:`format_line`.

Every offset comes from :data:`vitalstat.formats.dmf.LAYOUT`. A batch of records (the
columns of ``RECORD_ARROW_SCHEMA``, or any table with the DMF's field names and dates
as ``YYYY-MM-DD`` text with ``00`` for unknown parts) becomes one ``(rows, 101)`` byte
matrix: every field padded or truncated to its width with Arrow's string kernels, dates
turned into ``MMDDCCYY`` by picking byte columns, a newline at the end. A property test
proves the bytes equal :func:`~vitalstat.formats.dmf.format_line` line for line.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vitalstat.errors import ValidationError
from vitalstat.formats.dmf import FIELDS, RECORD_LENGTH

__all__ = ["TEXT_FIELDS", "dmf_lines"]

#: Text fields written as they are (upper-cased), in layout order.
TEXT_FIELDS: tuple[str, ...] = ("ssn", "last_name", "suffix", "first_name", "middle_name",
                                "proof", "state", "zip_residence", "zip_payment")
_FITTED = ("ssn", "proof", "state", "zip_residence", "zip_payment")  # must fit; names truncate
_MMDDCCYY = [5, 6, 8, 9, 0, 1, 2, 3]  # byte positions in "YYYY-MM-DD"


def _string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, without copying."""
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=len(values) + 1,
                            offset=values.offset * 4)
    data = (np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None
            else np.zeros(0, np.uint8))
    return offsets, data[offsets[0] : offsets[-1]]


def _fixed(column: pa.ChunkedArray | pa.Array, name: str, width: int) -> np.ndarray | None:
    """``column`` as a ``(rows, width)`` uint8 matrix, space-padded, truncated to width.

    ``None`` when every value is empty (the line is already blank there).
    """
    values = pc.fill_null(column, "")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets, data = _string_buffers(values)
    if len(data) == 0:
        return None
    if bool(((data < 32) | (data > 126)).any()):
        raise ValidationError("is not printable ASCII (the DMF is ASCII)", field=name)
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if longest == width and int(lengths.min()) == width and not bool(
            ((data >= 97) & (data <= 122)).any()):
        return data.reshape(len(values), width)  # every value already fills the field
    if longest > width:
        if name in _FITTED:
            raise ValidationError(f"a value is longer than {width} characters", field=name)
        values = pc.utf8_slice_codeunits(values, 0, width)
    if bool(((data >= 97) & (data <= 122)).any()):
        values = pc.ascii_upper(values)
    offsets, data = _string_buffers(pc.utf8_rpad(values, width, " "))
    return data.reshape(len(values), width)


def _date(column: pa.ChunkedArray | pa.Array, name: str) -> np.ndarray:
    """``YYYY-MM-DD`` text (``00`` unknown; null = unknown) as ``MMDDCCYY`` bytes."""
    values = pc.fill_null(column, "0000-00-00")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets, data = _string_buffers(values)
    if len(values) and (len(data) != 10 * len(values) or bool((np.diff(offsets) != 10).any())):
        raise ValidationError("is not a YYYY-MM-DD date", field=name)
    matrix = data.reshape(len(values), 10)
    digits = matrix[:, _DIGIT_COLUMNS]
    if bool(((digits < 48) | (digits > 57)).any()) or bool(
            (matrix[:, [4, 7]] != ord("-")).any()):
        raise ValidationError("is not a YYYY-MM-DD date", field=name)
    return matrix[:, _MMDDCCYY]


_DIGIT_COLUMNS = [0, 1, 2, 3, 5, 6, 8, 9]


def dmf_lines(table: pa.Table | pa.RecordBatch, actions: str | np.ndarray = " ") -> bytes:
    """The DMF lines (100 bytes + ``\\n`` each) for every row of ``table``.

    ``actions`` is one action for every line (``" "`` in a full file) or an array of
    single-byte codes (``A``, ``C``, ``D``), one per row.
    """
    rows = table.num_rows
    if rows == 0:
        return b""
    buf = np.full((rows, RECORD_LENGTH + 1), 32, dtype=np.uint8)
    buf[:, RECORD_LENGTH] = 10
    if isinstance(actions, str):
        if actions not in (" ", "A", "C", "D"):
            raise ValidationError(f"{actions!r} is not A, C, D or blank", field="action")
        buf[:, 0] = ord(actions)
    else:
        buf[:, 0] = np.asarray(actions, dtype="S1").view(np.uint8)
    for name in TEXT_FIELDS:
        fixed = _fixed(table.column(name), name, FIELDS[name].length)
        if fixed is not None:
            buf[:, FIELDS[name].span] = fixed
    for name in ("date_of_death", "date_of_birth"):
        buf[:, FIELDS[name].span] = _date(table.column(name), name)
    return buf.tobytes()
