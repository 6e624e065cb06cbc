"""Queries for legal bases, matching agreements, disclosure requests and the accounting.

A mixin of :class:`vitalstat.store.repo.Tx` (one transaction, ``self.conn``). The
accounting of deliveries to subscribers is read from the delivery ledger
(:meth:`DisclosureQueries.ledger_disclosures`), never copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from vitalstat.domain.disclosure import LegalBasis
from vitalstat.store.schema import (
    deliveries,
    delivery_ledger,
    disclosure_accounting,
    disclosure_approvals,
    disclosure_requests,
    disclosure_subjects,
    legal_bases,
    matching_agreements,
    records,
    subscribers,
)

__all__ = ["DisclosureQueries", "basis_values"]

_CHUNK = 500  # bound parameters per IN (...) list


def basis_values(basis: LegalBasis, *, at: str, by: str) -> dict[str, Any]:
    """A ``legal_bases`` row for ``basis`` (lists as space-separated codes)."""
    return {"code": basis.code, "title": basis.title, "citation": basis.citation,
            "fields": " ".join(sorted(f.value for f in basis.fields)),
            "approvals": " ".join(a.value for a in basis.approvals),
            "needs": " ".join(sorted(n.value for n in basis.needs)),
            "min_signer_rank": basis.min_signer_rank.value if basis.min_signer_rank else None,
            "max_subjects": basis.max_subjects,
            "hidden_from_subject": basis.hidden_from_subject,
            "updated_at": at, "updated_by": by}


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i:i + _CHUNK]


class DisclosureQueries:
    conn: Connection
    dialect: str

    # ------------------------------------------------------------ legal bases
    def basis_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(legal_bases).order_by(legal_bases.c.code)).mappings()]

    def basis_row(self, code: str) -> dict[str, Any] | None:
        found = self.conn.execute(select(legal_bases).where(legal_bases.c.code == code)
                                  ).mappings().one_or_none()
        return dict(found) if found is not None else None

    def save_basis(self, values: dict[str, Any]) -> None:
        if self.basis_row(values["code"]) is None:
            self.conn.execute(insert(legal_bases).values(values))
        else:
            self.conn.execute(update(legal_bases).where(legal_bases.c.code == values["code"])
                              .values(values))

    # ---------------------------------------------------- matching agreements
    def matching_agreement_row(self, agreement_id: str) -> dict[str, Any] | None:
        found = self.conn.execute(select(matching_agreements).where(
            matching_agreements.c.agreement_id == agreement_id)).mappings().one_or_none()
        return dict(found) if found is not None else None

    def matching_agreement_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(matching_agreements).order_by(matching_agreements.c.agreement_id))
            .mappings()]

    def save_matching_agreement(self, values: dict[str, Any]) -> None:
        key = values["agreement_id"]
        if self.matching_agreement_row(key) is None:
            self.conn.execute(insert(matching_agreements).values(values))
        else:
            self.conn.execute(update(matching_agreements).where(
                matching_agreements.c.agreement_id == key).values(values))

    def subscriber_with_agreement(self, agreement_id: str) -> dict[str, Any] | None:
        found = self.conn.execute(select(subscribers).where(
            subscribers.c.agreement_id == agreement_id).order_by(subscribers.c.id).limit(1)
        ).mappings().one_or_none()
        return dict(found) if found is not None else None

    # --------------------------------------------------------------- requests
    def insert_request(self, values: dict[str, Any], subjects: list[dict[str, Any]]) -> int:
        rid = int(self.conn.execute(insert(disclosure_requests).values(values)
                                    .returning(disclosure_requests.c.id)).scalar_one())
        for part in _chunks(subjects):
            self.conn.execute(insert(disclosure_subjects),
                              [{**s, "request_id": rid} for s in part])
        return rid

    def update_request(self, request_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(disclosure_requests)
                          .where(disclosure_requests.c.id == request_id).values(values))

    def request_row(self, request_id: int) -> dict[str, Any] | None:
        found = self.conn.execute(select(disclosure_requests).where(
            disclosure_requests.c.id == request_id)).mappings().one_or_none()
        return dict(found) if found is not None else None

    def request_rows(self, *, state: str | None = None, year: int | None = None,
                     limit: int | None = None) -> list[dict[str, Any]]:
        query = select(disclosure_requests).order_by(disclosure_requests.c.id)
        if state is not None:
            query = query.where(disclosure_requests.c.state == state)
        if year is not None:
            query = query.where(and_(disclosure_requests.c.requested_at >= f"{year:04d}",
                                     disclosure_requests.c.requested_at < f"{year + 1:04d}"))
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def subject_rows(self, request_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(disclosure_subjects).where(disclosure_subjects.c.request_id == request_id)
            .order_by(disclosure_subjects.c.position)).mappings()]

    def set_subject_outcomes(self, request_id: int, outcomes: dict[int, str]) -> None:
        """``outcomes``: position -> found | no-record | ambiguous."""
        for outcome in sorted(set(outcomes.values())):
            positions = sorted(p for p, o in outcomes.items() if o == outcome)
            for part in _chunks(positions):
                self.conn.execute(update(disclosure_subjects).where(and_(
                    disclosure_subjects.c.request_id == request_id,
                    disclosure_subjects.c.position.in_(part))).values(outcome=outcome))

    def insert_approval(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(disclosure_approvals).values(values))

    def approval_rows(self, request_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(disclosure_approvals).where(disclosure_approvals.c.request_id == request_id)
            .order_by(disclosure_approvals.c.id)).mappings()]

    # ----------------------------------------------------- subject candidates
    def identity_candidates(self, ssns: Sequence[str],
                            names: Sequence[tuple[str, str, str]]) -> list[dict[str, Any]]:
        """Records with one of ``ssns``, or one of the (last, first, date of birth) keys.

        Records have no name index (it would cost every bulk load), so name keys are
        looked up by one scan per chunk of keys, filtered on date of birth first.
        """
        found: dict[str, dict[str, Any]] = {}
        for part in _chunks(sorted(set(ssns))):
            for r in self.conn.execute(select(records).where(records.c.ssn.in_(part))
                                       ).mappings():
                found[r["ssn"]] = dict(r)
        keys = set(names)
        for part in _chunks(sorted(keys)):
            dobs = sorted({k[2] for k in part})
            lasts = sorted({k[0] for k in part})
            query = select(records).where(and_(records.c.date_of_birth.in_(dobs),
                                               records.c.last_name.in_(lasts)))
            for r in self.conn.execute(query).mappings():
                if (r["last_name"], r["first_name"], r["date_of_birth"]) in keys:
                    found[r["ssn"]] = dict(r)
        return list(found.values())

    def existing_record_ssns(self, ssns: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in _chunks(sorted(set(ssns))):
            found.update(self.conn.execute(select(records.c.ssn).where(
                records.c.ssn.in_(part))).scalars())
        return found

    # ------------------------------------------------------------- accounting
    def insert_accounting(self, rows: list[dict[str, Any]]) -> None:
        for part in _chunks(rows):
            self.conn.execute(insert(disclosure_accounting), list(part))

    def accounting_rows(self, *, ssn: str | None = None, before: str | None = None
                        ) -> list[dict[str, Any]]:
        query = select(disclosure_accounting).order_by(disclosure_accounting.c.id)
        if ssn is not None:
            query = query.where(disclosure_accounting.c.ssn == ssn)
        if before is not None:
            query = query.where(disclosure_accounting.c.disclosed_at < before)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def delete_accounting(self, ids: Sequence[int]) -> int:
        n = 0
        for part in _chunks(sorted(ids)):
            n += int(self.conn.execute(delete(disclosure_accounting).where(
                disclosure_accounting.c.id.in_(part))).rowcount or 0)
        return n

    def ledger_disclosures(self, ssn: str) -> list[dict[str, Any]]:
        """Every delivery of ``ssn``'s record to a subscriber, from the delivery ledger:
        when, which version and action, the delivery's kind and tier, the subscriber's
        name, address and agreement."""
        query = (
            select(delivery_ledger.c.delivered_at, delivery_ledger.c.version,
                   delivery_ledger.c.action, delivery_ledger.c.release_id,
                   deliveries.c.id.label("delivery_id"), deliveries.c.kind, deliveries.c.tier,
                   subscribers.c.name, subscribers.c.address, subscribers.c.agreement_id)
            .join(deliveries, deliveries.c.id == delivery_ledger.c.delivery_id)
            .join(subscribers, subscribers.c.id == delivery_ledger.c.subscriber_id)
            .where(delivery_ledger.c.ssn == ssn)
            .order_by(delivery_ledger.c.id))
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def ledger_counts_above_open(self, year: int) -> list[dict[str, Any]]:
        """Records sent in ``year`` under a tier above open, by subscriber and tier."""
        n = func.count(delivery_ledger.c.id).label("records")
        query = (
            select(subscribers.c.name, deliveries.c.tier, n)
            .join(deliveries, deliveries.c.id == delivery_ledger.c.delivery_id)
            .join(subscribers, subscribers.c.id == delivery_ledger.c.subscriber_id)
            .where(and_(deliveries.c.tier != "open",
                        deliveries.c.delivered_at >= f"{year:04d}",
                        deliveries.c.delivered_at < f"{year + 1:04d}"))
            .group_by(subscribers.c.name, deliveries.c.tier)
            .order_by(subscribers.c.name, deliveries.c.tier))
        return [dict(r) for r in self.conn.execute(query).mappings()]
