"""Random sequences of disclosure operations against a real registry (SQLite): refused
and denied requests are never answered, nothing is answered before its approvals, an
approval is never the requester's, and every answer is accounted for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from registered import ensure_source
from vitalstat.errors import ConflictError, DisclosureRefused, RefusedError
from vitalstat.services import disclosure as svc
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

TODAY = date(2026, 12, 1)
USERS = ["clerk", "sup", "pat"]
SUBJECT = {"ssn": "123456789", "first_name": "Ann", "last_name": "Smith",
           "date_of_birth": "1950-04-11"}

ops = st.lists(st.one_of(
    st.tuples(st.just("submit"), st.sampled_from(["program-fraud", "national-security",
                                                  "court-order", "nonsense"]),
              st.sampled_from(USERS)),
    st.tuples(st.just("approve"), st.integers(0, 2), st.sampled_from(USERS), st.booleans()),
    st.tuples(st.just("approve"), st.integers(0, 2), st.sampled_from(USERS), st.booleans()),
    st.tuples(st.just("deny"), st.integers(0, 2), st.sampled_from(USERS)),
    st.tuples(st.just("answer"), st.integers(0, 2)),
    st.tuples(st.just("answer"), st.integers(0, 2)),
), min_size=3, max_size=16)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_random_operations_keep_the_gate(sqlite_store: Store, tmp_path: Path,
                                         steps: list[tuple]) -> None:
    store = sqlite_store
    reports = tmp_path / "r.csv"
    if not reports.exists():
        reports.write_text("ssn,last_name,first_name,date_of_death,date_of_birth,proof,"
                           "reporter_name\n123456789,Smith,Ann,2025-10-02,1950-04-11,P,J. Doe\n")
        ensure_source(store, "funeral-home", "fh")
        ingest_file(store, reports, source_kind="funeral-home", source_id="fh", actor="t")
    mine: list[tuple[str, str]] = []  # (number, requester)
    for step in steps:
        if step[0] == "submit":
            _, basis, user = step
            data = {"agency": "OIG", "agency_address": "1 Plaza", "signer": "D. Reyes",
                    "signer_rank": "judge" if basis == "court-order" else "section-chief",
                    "basis": basis, "purpose": "p", "relevance": "r", "letter_reference": "L",
                    "fields": ["name", "status"], "subjects": [SUBJECT], "court_order": "C-1"}
            try:
                mine.append((svc.submit_request(store, data, actor=user, today=TODAY).number,
                             user))
            except DisclosureRefused as refused:
                assert basis == "nonsense"
                mine.append((refused.number, user))
            continue
        if not mine:
            continue
        number, requester = mine[step[1] % len(mine)]
        before = svc.show_request(store, number).state.value
        if step[0] == "approve":
            _, _, user, officer = step
            try:
                after = svc.approve_request(store, number, actor=user,
                                            roles=frozenset({"privacy-officer"} if officer
                                                            else ()))
            except (RefusedError, ConflictError) as exc:
                event(f"approve refused: {type(exc).__name__}")
                continue
            assert user != requester and before == "pending"
            assert after.state.value in ("pending", "approved")
        elif step[0] == "deny":
            try:
                svc.deny_request(store, number, actor=step[2], reason="no")
            except ConflictError:
                assert before not in ("pending", "approved")
                continue
            assert before in ("pending", "approved")
        else:
            with store.transaction(write=False) as tx:
                accounted = len(tx.accounting_rows())
            out = tmp_path / f"{number}.json"
            try:
                result = svc.answer_request(store, number, actor="clerk", out=out,
                                            today=TODAY)
            except RefusedError:
                event(f"answer refused: {before}")
                assert before != "approved"
                assert not out.exists() or before == "answered"
                continue
            assert before == "approved"  # never refused, denied, pending or answered twice
            event("answered")
            view = svc.show_request(store, number)
            assert view.state.value == "answered"
            approvers = {a["approver"] for a in view.approvals}
            assert approvers and requester not in approvers
            with store.transaction(write=False) as tx:
                assert len(tx.accounting_rows()) == accounted + result.found
