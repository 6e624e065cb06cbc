"""The correction-case state machine: examples, then random sequences of steps."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from vitalstat.domain.cases import (
    SUPPORTING_EVIDENCE,
    Case,
    CaseKind,
    CaseState,
    EvidenceType,
    OpenedBy,
    Outcome,
    add_evidence,
    approve,
    decide,
    mark_notified,
    open_case,
    refuse_approval,
)
from vitalstat.errors import ConflictError, RefusedError, ValidationError, VitalstatError

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def new(kind: CaseKind = CaseKind.ERRONEOUS_DEATH, *, restricted: bool = False) -> Case:
    return open_case(number="C-1", ssn="123-45-6789", kind=kind, opened_by=OpenedBy.PERSON,
                     contact="ann@example.org", record_restricted=restricted, actor="ann",
                     at=T0)


def test_reinstatement_by_one_caseworker_then_notification_closes_the_case() -> None:
    case = new()
    assert case.is_open and case.ssn == "123456789"
    case = add_evidence(case, EvidenceType.IDENTITY_DOCUMENT, actor="ann", at=T0)
    case = decide(case, Outcome.REINSTATE, reason="ID seen", actor="cw1", at=T0)
    assert case.state is CaseState.REINSTATED and not case.is_open
    case = mark_notified(case, recipients=3, actor="system", at=T0)
    assert case.state is CaseState.CLOSED
    assert [s.what for s in case.timeline] == ["opened", "evidence", "decided", "notified"]


def test_reinstating_a_vital_record_needs_a_second_user() -> None:
    case = add_evidence(new(restricted=True), EvidenceType.VITAL_RECORD_RETRACTION,
                        actor="cw1", at=T0)
    case = decide(case, Outcome.REINSTATE, reason="state retracted", actor="cw1", at=T0)
    assert case.state is CaseState.AWAITING_APPROVAL and case.is_open
    with pytest.raises(RefusedError, match="second, different user"):
        approve(case, actor="cw1", at=T0)
    assert approve(case, actor="cw2", at=T0).state is CaseState.REINSTATED


def test_rejecting_releases_the_hold_so_it_needs_a_second_user() -> None:
    case = decide(new(), Outcome.REJECT, reason="the death certificate matches",
                  actor="cw1", at=T0)
    assert case.state is CaseState.AWAITING_APPROVAL
    back = refuse_approval(case, actor="cw2", at=T0, reason="ask for an ID first")
    assert back.state is CaseState.OPEN and back.proposed is None
    assert approve(case, actor="cw2", at=T0).state is CaseState.REJECTED


def test_refusals_name_what_is_missing() -> None:
    with pytest.raises(RefusedError, match="no evidence"):
        decide(add_evidence(new(), EvidenceType.OTHER, actor="a", at=T0), Outcome.REINSTATE,
               reason="r", actor="cw", at=T0)
    with pytest.raises(ValidationError, match="reason"):
        decide(new(), Outcome.REJECT, reason=" ", actor="cw", at=T0)
    with pytest.raises(RefusedError, match="wrong details"):
        decide(add_evidence(new(CaseKind.WRONG_DETAILS), EvidenceType.IDENTITY_DOCUMENT,
                            actor="a", at=T0), Outcome.REINSTATE, reason="r", actor="c", at=T0)
    with pytest.raises(ValidationError, match="contact"):
        open_case(number="C", ssn="123456789", kind=CaseKind.ERRONEOUS_DEATH,
                  opened_by=OpenedBy.STAFF, contact="", record_restricted=False, actor="a",
                  at=T0)
    with pytest.raises(ConflictError, match="is open, not reinstated"):
        mark_notified(new(), recipients=1, actor="s", at=T0)


USERS = st.sampled_from(["ann", "cw1", "cw2"])


class CaseMachine(RuleBasedStateMachine):
    """Random steps by random users; the invariants are the law, checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.case = new(restricted=False)
        self.clock = T0
        self.approvals: list[tuple[str, str]] = []  # (proposer, approver)

    def _try(self, step: Callable[[], Case]) -> None:
        self.clock += timedelta(hours=1)
        with contextlib.suppress(VitalstatError):  # a refused step changes nothing
            self.case = step()

    @rule(restricted=st.booleans())
    def restart(self, restricted: bool) -> None:
        if not self.case.is_open:
            self.case = new(restricted=restricted)
            self.approvals = []

    @rule(kind=st.sampled_from(list(EvidenceType)), user=USERS)
    def evidence(self, kind: EvidenceType, user: str) -> None:
        self._try(lambda: add_evidence(self.case, kind, actor=user, at=self.clock))

    @rule(outcome=st.sampled_from(list(Outcome)), user=USERS)
    def decide(self, outcome: Outcome, user: str) -> None:
        self._try(lambda: decide(self.case, outcome, reason="because", actor=user,
                                 at=self.clock))

    @rule(user=USERS)
    def approve(self, user: str) -> None:
        before = self.case

        def step() -> Case:
            after = approve(before, actor=user, at=self.clock)
            self.approvals.append((before.proposed_by, user))
            return after

        self._try(step)

    @rule(user=USERS)
    def refuse(self, user: str) -> None:
        self._try(lambda: refuse_approval(self.case, actor=user, at=self.clock, reason="no"))

    @rule(user=USERS)
    def notify(self, user: str) -> None:
        self._try(lambda: mark_notified(self.case, recipients=2, actor=user, at=self.clock))

    @invariant()
    def the_law_holds(self) -> None:
        case = self.case
        if case.state in (CaseState.REINSTATED, CaseState.CLOSED):
            assert SUPPORTING_EVIDENCE.intersection(case.evidence)
            assert case.kind is CaseKind.ERRONEOUS_DEATH
        if case.state is CaseState.REJECTED or (case.state is CaseState.REINSTATED
                                                and case.record_restricted):
            assert self.approvals, "decided without the second person"
        assert all(p != a for p, a in self.approvals)
        if case.state is CaseState.CLOSED:
            assert [s.what for s in case.timeline][-1] == "notified"
        times = [s.at for s in case.timeline]
        assert times == sorted(times) and case.timeline[0].what == "opened"


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
