"""The accounting of disclosures (the staff view, the person's own without an account,
purging past retention) and the public transparency report (counts only)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict
from pydantic import Field as F

from vitalstat.domain.access import Permission as P
from vitalstat.domain.disclosure import AccountingEntry
from vitalstat.services import accounting as acc
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, role_names, route

router = APIRouter(tags=["accounting"])
Who = Annotated[Identity, Depends(caller)]
SSNPath = Annotated[str, PathParam(min_length=9, max_length=11)]


# -------------------------------------------------------------- accounting


class EntryOut(BaseModel):
    disclosed_at: str
    nature: str
    purpose: str
    recipient: str
    recipient_address: str
    basis: str
    reference: str


class StaffEntryOut(EntryOut):
    withheld: bool = F(description="left out of the person's view (552a(c)(3))")


def _entry(e: AccountingEntry) -> dict[str, str]:
    return {"disclosed_at": e.disclosed_at, "nature": e.nature, "purpose": e.purpose,
            "recipient": e.recipient, "recipient_address": e.recipient_address,
            "basis": e.basis, "reference": e.reference}


class StaffAccountingOut(BaseModel):
    ssn: str
    entries: list[StaffEntryOut]
    withheld: int


class PersonAccountingOut(BaseModel):
    entries: list[EntryOut]


@route(router, "GET", "/accounting/{ssn}", P.ACCOUNTING_READ,
       response_model=StaffAccountingOut)
def accounting(request: Request, ssn: SSNPath) -> StaffAccountingOut:
    """Staff view: every disclosure of the record, the withheld ones marked."""
    view = acc.accounting_for(request.app.state.store, ssn,
                              rule=request.app.state.config.embargo)
    entries = [StaffEntryOut(**_entry(e), withheld=e.hidden_from_subject)
               for e in view.all_entries]
    return StaffAccountingOut(ssn=ssn, entries=entries, withheld=view.withheld)


class PurgeIn(BaseModel):
    before: date = F(description="purge entries made before this day")


class PurgeOut(BaseModel):
    purged: int
    before: date


@route(router, "POST", "/accounting/purge", P.ACCOUNTING_PURGE, response_model=PurgeOut)
def purge(request: Request, body: PurgeIn, who: Who) -> PurgeOut:
    """Purge accounting entries made before a day (admin), only when every one is past
    its retention (5 years and the life of the record): otherwise 422, nothing purged."""
    r = acc.purge_accounting(request.app.state.store, before=body.before, actor=who.name,
                             roles=role_names(who), today=datetime.now(UTC).date())
    return PurgeOut(purged=r.purged, before=r.before)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ssn: str = F(min_length=9, max_length=11)
    last_name: str = F(min_length=1, max_length=200)
    date_of_birth: str = F(min_length=10, max_length=10, description="YYYY-MM-DD")


@route(router, "POST", "/public/accounting", P.PUBLIC, response_model=PersonAccountingOut)
def person_accounting(request: Request, body: PersonIn) -> PersonAccountingOut:
    """The person's own accounting of disclosures (552a(c)(3)), without an account: the
    SSN, surname and full date of birth must agree with the record; otherwise the same
    404 as for no record. Law-enforcement entries are left out, with no sign of them."""
    view = acc.accounting_for_person(request.app.state.store, body.ssn,
                                     last_name=body.last_name,
                                     date_of_birth=body.date_of_birth,
                                     rule=request.app.state.config.embargo)
    return PersonAccountingOut(entries=[EntryOut(**_entry(e)) for e in view.entries])


class Count(BaseModel):
    name: str
    count: int


class DeliveryCount(BaseModel):
    subscriber: str
    tier: str
    records: int


class BasisOutcomeCount(BaseModel):
    basis: str
    outcome: str
    count: int


class TransparencyOut(BaseModel):
    year: int
    requests: int
    by_basis: list[Count]
    by_agency: list[Count]
    by_outcome: list[Count]
    records_disclosed: int
    deliveries_above_open: list[DeliveryCount]
    by_basis_and_outcome: list[BasisOutcomeCount]


def _counts(pairs: list[tuple[str, int]]) -> list[Count]:
    return [Count(name=n, count=c) for n, c in pairs]


@route(router, "GET", "/transparency", P.PUBLIC, response_model=TransparencyOut)
def transparency(request: Request,
                 year: Annotated[int, Query(ge=1900, le=9999)]) -> TransparencyOut:
    """The year's transparency report: counts only (requests by basis, agency and outcome;
    records disclosed; records sent to each subscriber above the open tier)."""
    t = acc.transparency_report(request.app.state.store, year)
    return TransparencyOut(
        year=t.year, requests=t.requests, by_basis=_counts(t.by_basis),
        by_agency=_counts(t.by_agency), by_outcome=_counts(t.by_outcome),
        records_disclosed=t.records_disclosed,
        deliveries_above_open=[DeliveryCount(subscriber=n, tier=tr, records=c)
                               for n, tr, c in t.deliveries_above_open],
        by_basis_and_outcome=[BasisOutcomeCount(basis=b, outcome=o, count=c)
                              for b, o, c in t.by_basis_and_outcome])
