"""Shared helpers for release, delivery and policy tests (synthetic data only)."""

from __future__ import annotations

import itertools
from pathlib import Path

from registered import ensure_source
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

_counter = itertools.count()


def ingest_rows(store: Store, tmp: Path, rows: list[tuple[str, ...]], *,
                kind: str = "family", source_id: str = "fam-1") -> None:
    """Ingest ``(ssn, last, first, date_of_death[, action])`` rows as one CSV file."""
    path = tmp / f"in-{next(_counter)}.csv"
    # Verified reports (proof V): a lone unverified one would wait out the grace period.
    lines = ["action,ssn,last_name,first_name,date_of_death,proof"]
    for r in rows:
        ssn, last, first, dod, *rest = r
        lines.append(f"{rest[0] if rest else 'A'},{ssn},{last},{first},{dod},V")
    path.write_text("\n".join(lines) + "\n")
    ensure_source(store, kind, source_id)
    ingest_file(store, path, source_kind=kind, source_id=source_id, actor="tester")


def ssn(n: int) -> str:
    """A valid synthetic SSN for small n (area 100+, never 000/666/9xx)."""
    return f"{100 + n // 9000:03d}{10 + (n // 100) % 90:02d}{1000 + n % 9000:04d}"
