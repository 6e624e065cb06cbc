"""Queries for correction cases, evidence of life, two-person hold decisions, bulk actions.

A mixin of :class:`vitalstat.store.repo.Tx` (one transaction, ``self.conn``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from vitalstat.store.schema import (
    batches,
    bulk_action_items,
    bulk_actions,
    case_evidence,
    case_steps,
    cases,
    hold_decisions,
    life_evidence,
    records,
    reports,
    sources,
)

__all__ = ["OPEN_CASE_STATES", "REINSTATED_STATES", "CorrectionQueries"]

#: Case states (``domain.cases.CaseState`` values) in which the record stays on hold.
OPEN_CASE_STATES = ("open", "awaiting-approval")
#: States of a case that found the listing wrong.
REINSTATED_STATES = ("reinstated", "closed")


class CorrectionQueries:
    conn: Connection
    dialect: str

    # ------------------------------------------------------------------- cases
    def insert_case(self, values: dict[str, Any]) -> int:
        return int(self.conn.execute(insert(cases).values(values).returning(cases.c.id))
                   .scalar_one())

    def update_case(self, case_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(cases).where(cases.c.id == case_id).values(values))

    def case_row(self, case_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(cases).where(cases.c.id == case_id)).mappings()
        found = row.one_or_none()
        return dict(found) if found is not None else None

    def case_rows(self, *, state: str | None = None, ssn: str | None = None,
                  limit: int = 100) -> list[dict[str, Any]]:
        query = select(cases).order_by(cases.c.id)
        if state is not None:
            query = query.where(cases.c.state == state)
        if ssn is not None:
            query = query.where(cases.c.ssn == ssn)
        return [dict(r) for r in self.conn.execute(query.limit(limit)).mappings()]

    def case_by_letter_code(self, code: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(cases).where(cases.c.letter_code == code)).mappings()
        found = row.first()
        return dict(found) if found is not None else None

    def insert_case_step(self, case_id: int, *, at: str, actor: str, what: str,
                         detail: str) -> None:
        self.conn.execute(insert(case_steps).values(case_id=case_id, at=at, actor=actor,
                                                    what=what, detail=detail))

    def case_step_rows(self, case_id: int) -> list[dict[str, Any]]:
        query = select(case_steps).where(case_steps.c.case_id == case_id)
        return [dict(r) for r in self.conn.execute(query.order_by(case_steps.c.id)).mappings()]

    def insert_case_evidence(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(case_evidence).values(values))

    def case_evidence_rows(self, case_id: int) -> list[dict[str, Any]]:
        query = select(case_evidence).where(case_evidence.c.case_id == case_id)
        return [dict(r) for r in
                self.conn.execute(query.order_by(case_evidence.c.id)).mappings()]

    def has_open_case(self, ssn: str) -> bool:
        query = select(func.count()).select_from(cases).where(
            and_(cases.c.ssn == ssn, cases.c.state.in_(OPEN_CASE_STATES)))
        return bool(self.conn.execute(query).scalar_one())

    def withdrawn_as_erroneous(self, ssn: str) -> bool:
        """A case found this SSN listed in error, or a held record of it was rejected."""
        by_case = select(func.count()).select_from(cases).where(
            and_(cases.c.ssn == ssn, cases.c.state.in_(REINSTATED_STATES)))
        by_hold = select(func.count()).select_from(hold_decisions).where(and_(
            hold_decisions.c.ssn == ssn, hold_decisions.c.action == "reject",
            hold_decisions.c.state == "approved"))
        return bool(self.conn.execute(by_case).scalar_one()
                    or self.conn.execute(by_hold).scalar_one())

    # --------------------------------------------------------- evidence of life
    def insert_life_evidence(self, *, ssn: str, alive_on: str, source: str,
                             recorded_at: str, actor: str) -> None:
        self.conn.execute(insert(life_evidence).values(
            ssn=ssn, alive_on=alive_on, source=source, recorded_at=recorded_at, actor=actor))

    def latest_alive_on(self, ssn: str) -> str | None:
        query = select(func.max(life_evidence.c.alive_on)).where(life_evidence.c.ssn == ssn)
        return self.conn.execute(query).scalar_one_or_none()

    # ---------------------------------------------------------- hold decisions
    def insert_hold_decision(self, values: dict[str, Any]) -> int:
        return int(self.conn.execute(
            insert(hold_decisions).values(values).returning(hold_decisions.c.id)).scalar_one())

    def approve_hold_decision(self, decision_id: int, *, by: str, at: str) -> None:
        self.conn.execute(update(hold_decisions).where(hold_decisions.c.id == decision_id)
                          .values(state="approved", approved_by=by, approved_at=at))

    def proposed_hold_decision(self, ssn: str) -> dict[str, Any] | None:
        query = select(hold_decisions).where(and_(hold_decisions.c.ssn == ssn,
                                                  hold_decisions.c.state == "proposed"))
        found = self.conn.execute(query.order_by(hold_decisions.c.id.desc())).mappings().first()
        return dict(found) if found is not None else None

    def released_reasons(self, ssn: str) -> set[str]:
        """Review reasons a second person has approved releasing for this SSN."""
        query = select(hold_decisions.c.reasons).where(and_(
            hold_decisions.c.ssn == ssn, hold_decisions.c.action == "release",
            hold_decisions.c.state == "approved"))
        return {code for (codes,) in self.conn.execute(query) for code in codes.split()}

    # ------------------------------------------------------------ bulk actions
    def waiting_ssns(self, *, reason: str | None = None,
                     batch_id: int | None = None) -> list[str]:
        """SSNs of held and pending records, with ``reason`` among their review reasons
        and/or supported by a report of ``batch_id``; in SSN order."""
        query = select(records.c.ssn).where(records.c.status.in_(("held", "pending")))
        if reason is not None:
            query = query.where((" " + records.c.review_reasons + " ").contains(f" {reason} "))
        if batch_id is not None:
            query = query.where(records.c.ssn.in_(
                select(reports.c.ssn).where(reports.c.batch_id == batch_id)))
        return list(self.conn.execute(query.order_by(records.c.ssn)).scalars())

    def insert_bulk_action(self, values: dict[str, Any], ssns: list[str]) -> int:
        bulk_id = int(self.conn.execute(
            insert(bulk_actions).values(values).returning(bulk_actions.c.id)).scalar_one())
        if ssns:
            self.conn.execute(insert(bulk_action_items),
                              [{"bulk_id": bulk_id, "ssn": s, "outcome": None} for s in ssns])
        return bulk_id

    def update_bulk_action(self, bulk_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(bulk_actions).where(bulk_actions.c.id == bulk_id)
                          .values(values))

    def set_bulk_outcomes(self, bulk_id: int, outcomes: dict[str, str]) -> None:
        if not outcomes:
            return
        statement = update(bulk_action_items).where(and_(
            bulk_action_items.c.bulk_id == bulk_id,
            bulk_action_items.c.ssn == bindparam("item_ssn"))).values(
            outcome=bindparam("item_outcome"))
        self.conn.execute(statement, [{"item_ssn": s, "item_outcome": o}
                                      for s, o in outcomes.items()])

    def bulk_action_row(self, bulk_id: int) -> dict[str, Any] | None:
        found = self.conn.execute(select(bulk_actions).where(bulk_actions.c.id == bulk_id)
                                  ).mappings().one_or_none()
        return dict(found) if found is not None else None

    def bulk_action_rows(self, *, state: str | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
        query = select(bulk_actions).order_by(bulk_actions.c.id)
        if state is not None:
            query = query.where(bulk_actions.c.state == state)
        return [dict(r) for r in self.conn.execute(query.limit(limit)).mappings()]

    def bulk_items(self, bulk_id: int) -> dict[str, str | None]:
        query = (select(bulk_action_items.c.ssn, bulk_action_items.c.outcome)
                 .where(bulk_action_items.c.bulk_id == bulk_id)
                 .order_by(bulk_action_items.c.ssn))
        return {ssn: outcome for ssn, outcome in self.conn.execute(query)}

    # ------------------------------------------------- staff review (web pages)
    def review_queue_refs(self, *, reason: str | None = None, source_kind: str | None = None,
                          batch_id: int | None = None, proposed: bool = False,
                          limit: int = 100) -> list[tuple[str, int]]:
        """(SSN, id of its first report) of held and pending records, oldest change
        first; filtered by a review reason, the kind of a source that reported it, a
        batch holding one of its reports, and/or (``proposed``) a hold decision waiting
        for a second person. The first report's id names the record where an SSN must
        not appear (a web address)."""
        first = (select(func.min(reports.c.id)).where(reports.c.ssn == records.c.ssn)
                 .scalar_subquery())
        query = select(records.c.ssn, first).where(records.c.status.in_(("held", "pending")))
        if reason is not None:
            query = query.where((" " + records.c.review_reasons + " ").contains(f" {reason} "))
        if source_kind is not None:
            query = query.where(records.c.ssn.in_(
                select(reports.c.ssn).join(sources, sources.c.id == reports.c.source_pk)
                .where(sources.c.kind == source_kind)))
        if batch_id is not None:
            query = query.where(records.c.ssn.in_(
                select(reports.c.ssn).where(reports.c.batch_id == batch_id)))
        if proposed:
            query = query.where(records.c.ssn.in_(
                select(hold_decisions.c.ssn).where(hold_decisions.c.state == "proposed")))
        query = query.order_by(records.c.updated_at, records.c.ssn).limit(limit)
        return [(ssn, int(ref)) for ssn, ref in self.conn.execute(query)]

    def proposed_hold_decisions(self, ssns: list[str]) -> dict[str, dict[str, Any]]:
        """The hold decision waiting for a second person on each of ``ssns`` (if any)."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in (ssns[i:i + 500] for i in range(0, len(ssns), 500)):
            query = (select(hold_decisions)
                     .where(and_(hold_decisions.c.ssn.in_(chunk),
                                 hold_decisions.c.state == "proposed"))
                     .order_by(hold_decisions.c.id))
            found.update({r["ssn"]: dict(r) for r in self.conn.execute(query).mappings()})
        return found

    def source_kinds_of(self, ssns: list[str]) -> dict[str, list[str]]:
        """The kinds of the sources that reported each of ``ssns`` (sorted)."""
        found: dict[str, set[str]] = {}
        for chunk in (ssns[i:i + 500] for i in range(0, len(ssns), 500)):
            query = (select(reports.c.ssn, sources.c.kind).distinct()
                     .join(sources, sources.c.id == reports.c.source_pk)
                     .where(reports.c.ssn.in_(chunk)))
            for ssn, kind in self.conn.execute(query):
                found.setdefault(ssn, set()).add(kind)
        return {ssn: sorted(kinds) for ssn, kinds in found.items()}

    def first_report_ids(self, ssns: list[str]) -> dict[str, int]:
        """The id of the first report about each of ``ssns`` that has one."""
        found: dict[str, int] = {}
        for chunk in (ssns[i:i + 500] for i in range(0, len(ssns), 500)):
            query = (select(reports.c.ssn, func.min(reports.c.id))
                     .where(reports.c.ssn.in_(chunk)).group_by(reports.c.ssn))
            found.update({ssn: int(ref) for ssn, ref in self.conn.execute(query)})
        return found

    def ssn_of_report(self, report_id: int) -> str | None:
        return self.conn.execute(select(reports.c.ssn).where(reports.c.id == report_id)
                                 ).scalar_one_or_none()

    def report_batch_ids(self, ssn: str) -> dict[int, tuple[int, str]]:
        """Report id -> (its batch, the batch's file name) for every report on ``ssn``."""
        query = (select(reports.c.id, batches.c.id, batches.c.file_name)
                 .join(batches, batches.c.id == reports.c.batch_id)
                 .where(reports.c.ssn == ssn))
        return {int(rid): (int(bid), name) for rid, bid, name in self.conn.execute(query)}
