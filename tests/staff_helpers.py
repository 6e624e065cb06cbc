"""Held records for the caseworker / approver page tests (synthetic people only).

Added on top of the shared seed (``web_helpers._seed``): a record held for its age, one
held because its death is before its birth (from a family report, batch of its own),
Ann's record held because a second funeral home names her differently, and a record
from state vital records held for a date in the future (rejecting it needs two people).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

AGED = "423456789"  # funeral home fh-1: born 1890, died 2020 (age-over-limit)
BEFORE = "523456789"  # family fam-1: died before birth (death-before-birth)
VITAL_HELD = "623456789"  # state vital records: death in the future
HEADER = "ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof,reporter_name\n"


def add_held_records(store: Store, tmp: Path) -> dict[str, int]:
    """Ingest the held records; returns the batch id of each file by source id."""
    future = datetime.now(UTC).year + 1
    files = {
        ("funeral-home", "fh-1"): f"{AGED},Oh,Di,,2020-05-17,1890-01-01,V,R. Roe\n",
        ("family", "fam-1"): f"{BEFORE},Po,Ed,,2020-05-17,2021-01-01,V,Son\n",
        ("funeral-home", "fh-2"): "123456789,Smith,Anne,Marie,2025-10-02,1950-04-11,V,K. Poe\n",
        ("state-vital-records", "ca"): f"{VITAL_HELD},Quill,Fay,,{future}-01-01,1950-01-01,P,\n",
    }
    batches = {}
    for (kind, sid), line in files.items():
        path = tmp / f"held-{sid}.csv"
        path.write_text(HEADER + line, encoding="utf-8")
        result = ingest_file(store, path, source_kind=kind, source_id=sid, actor="clerk")
        assert result.batch_id is not None
        batches[sid] = result.batch_id
    return batches
