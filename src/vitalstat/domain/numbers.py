"""The numbers people quote for what the registry keeps: ``C-000001`` (a correction
case), ``D-000001`` (a disclosure request), ``B-000001`` (a bulk action). Pure.

One letter, a dash and the row id, zero-padded to six digits. Read back leniently: any
case, with or without the dash, surrounding blanks ignored; only ASCII digits, at most 18
(so ``²`` or an id too large for the store is a validation error, not a crash).
"""

from __future__ import annotations

from vitalstat.errors import ValidationError

__all__ = ["format_number", "parse_number"]


def format_number(prefix: str, row_id: int) -> str:
    return f"{prefix}-{row_id:06d}"


def parse_number(text: str, prefix: str, *, what: str, field: str) -> int:
    """The row id in ``text`` (e.g. ``c-12`` for prefix ``C``); ``what`` names the kind of
    number in the error, ``field`` the input it came from."""
    raw = text.strip().upper().removeprefix(f"{prefix}-").removeprefix(prefix)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ValidationError(f"{text!r} is not a {what} (like {format_number(prefix, 1)})",
                              field=field)
    return int(raw)
