"""File formats: the 100-byte DMF layout and the tabular (CSV, Parquet) schema.

:func:`read_reports` reads any of them as a stream of
:class:`~vitalstat.formats.rows.Chunk` s; :func:`detect_format` picks the reader from
the file name. The tabular module (and with it pyarrow) is imported only when needed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path, PurePath

from vitalstat.errors import ValidationError
from vitalstat.formats.rows import Chunk

__all__ = ["FORMATS", "copy_lines", "detect_format", "file_sha256", "read_reports"]

_HASH_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


#: The formats :func:`read_reports` knows.
FORMATS: tuple[str, ...] = ("dmf", "csv", "parquet")

_BY_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` for ``.csv``, ``"parquet"`` for ``.parquet``/``.pq``, else ``"dmf"``.

    Case-insensitive; DMF files come with many names (``ssdm1``, ``.txt``, ``.dmf``).
    """
    return _BY_SUFFIX.get(PurePath(os.fspath(path)).suffix.lower(), "dmf")


def read_reports(
    path: str | os.PathLike[str], fmt: str | None = None, *, chunk_lines: int = 50_000,
    packed: bool = False,
) -> Iterator[Chunk]:
    """Stream the death reports in ``path`` as chunks of at most ``chunk_lines`` lines.

    ``fmt`` is ``"dmf"``, ``"csv"`` or ``"parquet"`` (any case); ``None`` detects it from
    the file name. An unknown ``fmt`` raises :class:`ValidationError` (field ``format``)
    at once, before any reading. ``packed``: a reader that can may leave runs of rows
    packed (``Chunk.packed``), as a bulk load wants them.
    """
    kind = detect_format(path) if fmt is None else fmt.strip().lower()
    if kind == "dmf":
        from vitalstat.formats.dmf import read_dmf

        return read_dmf(path, chunk_lines=chunk_lines, packed=packed)
    if kind == "csv":
        from vitalstat.formats.tabular import read_csv

        return read_csv(path, chunk_lines=chunk_lines)
    if kind == "parquet":
        from vitalstat.formats.tabular import read_parquet

        return read_parquet(path, chunk_rows=chunk_lines)
    raise ValidationError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}", field="format")


def copy_lines(path: str | os.PathLike[str], fmt: str, lines: set[int],
               out: str | os.PathLike[str]) -> None:
    """Copy the given lines of ``path`` to ``out`` in the same format, as received.

    Line numbers are the readers' own: for CSV and DMF the physical line (a CSV keeps its
    header, so the copy can be fixed and sent again); for Parquet "line N" is row N-1.
    """
    kind = fmt.strip().lower()
    if kind == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        pq.write_table(table.take(sorted(n - 2 for n in lines)), out)
        return
    with open(path, "rb") as src, open(out, "wb") as dst:
        for number, line in enumerate(src, start=1):
            if number in lines or (kind == "csv" and number == 1):
                dst.write(line)
