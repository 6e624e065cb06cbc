"""Legal bases (admin-edited data) and matching agreements' approvals: list, show, set,
record. Each change is one transaction with its event. Rules: ``domain.disclosure``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from vitalstat.domain import disclosure as domain
from vitalstat.domain.disclosure import (
    Approval,
    Field,
    LegalBasis,
    MatchingAgreement,
    Need,
    Rank,
)
from vitalstat.domain.policy import Tier
from vitalstat.errors import NotFoundError, RefusedError, RoleRequired, ValidationError
from vitalstat.store import Store, Tx
from vitalstat.store.disclosure import basis_values
from vitalstat.store.repo import utc_now

__all__ = ["ADMIN", "basis_from_row", "get_basis", "list_agreements", "list_bases",
           "load_agreement", "load_basis", "record_agreement", "require_role", "set_basis",
           "words"]

ADMIN = "admin"


def words(text: str | None) -> list[str]:
    return (text or "").split()


def basis_from_row(row: Mapping[str, Any]) -> LegalBasis:
    rank = row["min_signer_rank"]
    return LegalBasis(
        code=row["code"], title=row["title"], citation=row["citation"],
        fields=frozenset(Field(f) for f in words(row["fields"])),
        approvals=tuple(Approval(a) for a in words(row["approvals"])),
        needs=frozenset(Need(n) for n in words(row["needs"])),
        min_signer_rank=Rank(rank) if rank else None, max_subjects=row["max_subjects"],
        hidden_from_subject=bool(row["hidden_from_subject"]))


def load_basis(tx: Tx, code: str) -> LegalBasis | None:
    row = tx.basis_row(code.strip().lower())
    return basis_from_row(row) if row is not None else None


def list_bases(store: Store) -> list[LegalBasis]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [basis_from_row(r) for r in tx.basis_rows()]


def get_basis(store: Store, code: str) -> LegalBasis:
    store.check_schema()
    with store.transaction(write=False) as tx:
        found = load_basis(tx, code)
    if found is None:
        raise NotFoundError(f"no legal basis {code!r} (vitalstat disclosure basis list)")
    return found


def require_role(roles: Iterable[str], *wanted: str, doing: str) -> None:
    if not set(wanted) & set(roles):
        need = " or ".join(wanted)
        raise RoleRequired(f"{doing} needs the {need} role (VITALSTAT_ADMINS / "
                           "VITALSTAT_PRIVACY_OFFICERS name who holds it)")


def _basis_view(basis: LegalBasis) -> dict[str, Any]:
    values = basis_values(basis, at="", by="")
    return {k: v for k, v in values.items() if k not in ("updated_at", "updated_by")}


def set_basis(store: Store, code: str, *, actor: str, roles: Iterable[str],
              title: str | None = None, citation: str | None = None,
              fields: Iterable[str] | None = None, approvals: Iterable[str] | None = None,
              needs: Iterable[str] | None = None, min_signer_rank: str | None = None,
              max_subjects: int | None = None, bulk: bool = False,
              hidden_from_subject: bool | None = None) -> LegalBasis:
    """Create or change a legal basis (admin only; never below the law's floors)."""
    require_role(roles, ADMIN, doing="editing a legal basis")
    store.check_schema()
    code = code.strip().lower()
    with store.transaction() as tx:
        before = load_basis(tx, code)
        if before is None and (title is None or citation is None or fields is None):
            raise ValidationError(f"a new basis {code!r} needs --title, --citation and "
                                  "--field", field="basis")
        current = before or LegalBasis(code, "", "", frozenset())
        rank = current.min_signer_rank
        if min_signer_rank is not None:
            rank = None if min_signer_rank.strip().lower() in ("", "none") else Rank.parse(
                min_signer_rank)
        subjects = None if bulk else (max_subjects if max_subjects is not None
                                      else current.max_subjects)
        after = replace(
            current, title=title if title is not None else current.title,
            citation=citation if citation is not None else current.citation,
            fields=frozenset(Field.parse(f) for f in fields) if fields is not None
            else current.fields,
            approvals=tuple(Approval.parse(a) for a in approvals) if approvals is not None
            else current.approvals,
            needs=frozenset(Need.parse(n) for n in needs) if needs is not None
            else current.needs,
            min_signer_rank=rank, max_subjects=subjects,
            hidden_from_subject=current.hidden_from_subject if hidden_from_subject is None
            else hidden_from_subject)
        problems = domain.basis_problems(after)
        if problems:
            raise RefusedError(f"basis {code} refused: " + "; ".join(problems))
        now = utc_now()
        tx.save_basis(basis_values(after, at=now, by=actor))
        tx.append_event(actor=actor, kind="disclosure.basis-set", subject=f"basis:{code}",
                        detail={"before": _basis_view(before) if before else None,
                                "after": _basis_view(after)}, at=now)
    return after


# ---------------------------------------------------------- matching agreements


def record_agreement(store: Store, agreement_id: str, *, actor: str, roles: Iterable[str],
                     board_approved_on: date, notice_on: date, authority: str,
                     renewed: bool = False) -> MatchingAgreement:
    """Record the Data Integrity Board's approval and the notice of a matching agreement
    whose party and dates are on a benefits-agency subscriber (admin or Privacy Officer)."""
    require_role(roles, ADMIN, Approval.PRIVACY_OFFICER.value,
             doing="recording a matching agreement's approval")
    if not authority.strip():
        raise ValidationError("name the legal authority for the match", field="authority")
    store.check_schema()
    with store.transaction() as tx:
        if tx.subscriber_with_agreement(agreement_id) is None:
            raise NotFoundError(f"no subscriber holds agreement {agreement_id!r}: add it with "
                                "vitalstat subscriber add/update --agreement")
        now = utc_now()
        values = {"agreement_id": agreement_id,
                  "board_approved_on": board_approved_on.isoformat(),
                  "notice_on": notice_on.isoformat(), "renewed": renewed,
                  "authority": authority.strip(), "recorded_at": now, "recorded_by": actor}
        tx.save_matching_agreement(values)
        tx.append_event(actor=actor, kind="disclosure.agreement-recorded",
                        subject=f"agreement:{agreement_id}",
                        detail={k: v for k, v in values.items() if k != "recorded_at"},
                        at=now)
        found = load_agreement(tx, agreement_id)
    assert found is not None
    return found


def load_agreement(tx: Tx, agreement_id: str) -> MatchingAgreement | None:
    sub = tx.subscriber_with_agreement(agreement_id)
    if sub is None or sub["tier"] != Tier.BENEFITS_AGENCY.value:
        return None
    row = tx.matching_agreement_row(agreement_id)

    def day(key: str) -> date | None:
        return date.fromisoformat(row[key]) if row and row[key] else None

    return MatchingAgreement(agreement_id, sub["name"],
                             date.fromisoformat(sub["agreement_start"]),
                             date.fromisoformat(sub["agreement_end"]),
                             board_approved_on=day("board_approved_on"),
                             notice_on=day("notice_on"),
                             renewed=bool(row["renewed"]) if row else False,
                             suspended=bool(sub["suspended"]))


def list_agreements(store: Store) -> list[tuple[MatchingAgreement, str]]:
    """Every agreement with a recorded approval, with its legal authority."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        found = []
        for row in tx.matching_agreement_rows():
            a = load_agreement(tx, row["agreement_id"])
            if a is not None:
                found.append((a, row["authority"]))
        return found
