"""What the subscriber-page tests need beyond the shared seed: a finished match job and a
delivery that carried a correction notice (built with the real services)."""

from __future__ import annotations

import io
import time
from pathlib import Path

from vitalstat.domain.integrity import IntegrityRules
from vitalstat.services import cases
from vitalstat.services.distribution import deliver
from vitalstat.services.match_jobs import MatchJob, get_job
from vitalstat.services.releases import build_release
from vitalstat.store import Store
from web_helpers import OLD

#: a: the open tier's record; d: same SSN, another first name (review); g: bad values
CUSTOMERS = ("id,ssn,first_name,last_name,dob\n"
             f"a,{OLD},Robert,Jones,1938-02-20\n"
             f"d,{OLD},Richard,Jones,1938-02-20\n"
             "g,12A456789,No,Body,1961-02-30\n")


def wait_for(store: Store, job_id: str, timeout: float = 120) -> MatchJob:
    deadline = time.monotonic() + timeout
    while True:
        job = get_job(store, job_id)
        if job.state in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def delivery_with_notice(store: Store, tmp: Path) -> tuple[int, int, str]:
    """open-bank receives OLD, OLD is found listed in error, the next delivery deletes it
    with a correction notice: (first delivery, second delivery, case number)."""
    rules = IntegrityRules()
    keys = tmp / "keys"
    build_release(store, actor="builder", releases=tmp / "releases", keys=keys)
    out = tmp / "releases" / "deliveries" / "open-bank"
    first = deliver(store, "open-bank", out=out, actor="clerk", keys=keys)
    case = cases.open_case(store, ssn=OLD, kind="erroneous-death", opened_by="person",
                           contact="r.jones@example.org", actor="robert", rules=rules)
    proof = tmp / "id-document.txt"
    proof.write_text("synthetic identity document for the test\n")
    cases.add_evidence(store, case.number, proof, evidence_type="identity-document",
                       actor="caseworker", cases_dir=tmp / "cases", rules=rules)
    cases.decide_case(store, case.number, "reinstate", reason="identity seen",
                      actor="caseworker", cases_dir=tmp / "cases", rules=rules)
    build_release(store, actor="builder", releases=tmp / "releases", keys=keys)
    second = deliver(store, "open-bank", out=out, actor="clerk", keys=keys)
    return first.delivery_id, second.delivery_id, case.number
