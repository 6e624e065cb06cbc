"""The accounting of disclosures (5 U.S.C. 552a(c)), the transparency report, and purging.

Two homes, one per fact: answers to disclosure requests are accounted in
``disclosure_accounting`` when they are written; deliveries of non-public records to
subscribers are read from the delivery ledger, which already records every record sent
to each subscriber (no copy of its rows). A delivery is accounted when it went out above
the open tier and the record, by its current facts, was not public that day (restricted
source or inside the embargo: ``domain.policy``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from vitalstat.domain import disclosure as domain
from vitalstat.domain.disclosure import AccountingEntry, PersonView
from vitalstat.domain.identity import OwnDetails, normalize_ssn
from vitalstat.domain.policy import (
    DEFAULT_EMBARGO,
    EmbargoRule,
    RecordFacts,
    Standing,
    Tier,
    may_receive,
)
from vitalstat.errors import NotFoundError, RefusedError
from vitalstat.services.disclosure import request_number
from vitalstat.services.disclosure_bases import ADMIN, require_role
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = ["PurgeResult", "Transparency", "accounting_for", "accounting_for_person",
           "purge_accounting", "transparency_in", "transparency_report"]

_NO_ADDRESS = "(no address on file: vitalstat subscriber update --address)"
_TIER_PURPOSE = {
    Tier.CERTIFIED.value: "fraud prevention or a business purpose of a certified person "
                          "(42 U.S.C. 1306c; 15 CFR Part 1110)",
    Tier.BENEFITS_AGENCY.value: "benefit payments under computer matching agreement {a} "
                                "(Social Security Act 205(r))",
}
_ACTION = {" ": "full file", "A": "add", "C": "change", "D": "delete notice"}


def _ledger_entries(tx: Tx, ssn: str, rule: EmbargoRule) -> list[AccountingEntry]:
    record = tx.get_record(ssn)
    facts = None
    if record is not None:
        facts = RecordFacts(record.date_of_death, record.restricted, published=True)
    entries = []
    for row in tx.ledger_disclosures(ssn):
        if row["tier"] == Tier.OPEN.value:
            continue  # an open-tier file holds only public records
        day = datetime.fromisoformat(row["delivered_at"]).date()
        if facts is not None and may_receive(Standing(Tier.OPEN), facts, day, rule).allowed:
            continue  # public that day: not a disclosure of a non-public record
        purpose = _TIER_PURPOSE.get(row["tier"], row["tier"]).format(
            a=row["agreement_id"] or "(none)")
        entries.append(AccountingEntry(
            disclosed_at=row["delivered_at"],
            nature=f"{row['kind']} delivery {row['delivery_id']} ({row['tier']} tier): "
                   f"{_ACTION.get(row['action'], row['action'])} of record version "
                   f"{row['version']}, release {row['release_id']}",
            purpose=purpose, recipient=row["name"],
            recipient_address=row["address"] or _NO_ADDRESS,
            basis=f"subscriber-{row['tier']}", reference=f"delivery:{row['delivery_id']}"))
    return entries


def _request_entries(tx: Tx, ssn: str) -> list[AccountingEntry]:
    return [AccountingEntry(
        disclosed_at=r["disclosed_at"], nature=r["nature"], purpose=r["purpose"],
        recipient=r["recipient"], recipient_address=r["recipient_address"], basis=r["basis"],
        hidden_from_subject=bool(r["hidden_from_subject"]),
        reference=request_number(r["request_id"])) for r in tx.accounting_rows(ssn=ssn)]


def accounting_for(store: Store, ssn: str, *, rule: EmbargoRule = DEFAULT_EMBARGO
                   ) -> PersonView:
    """Every disclosure of ``ssn``'s record, oldest first, split into what the person
    may see and the law-enforcement entries withheld from them (552a(c)(3))."""
    norm = normalize_ssn(ssn)
    store.check_schema()
    with store.transaction(write=False) as tx:
        entries = [*_request_entries(tx, norm), *_ledger_entries(tx, norm, rule)]
    return domain.person_view(sorted(entries, key=lambda e: e.disclosed_at))


#: The one answer to a person whose identifiers do not fit a record, or fit none.
NO_ACCOUNTING = ("no record matches this SSN, surname and date of birth: check them "
                 "against your letter, or ask the registry's office")


def accounting_for_person(store: Store, ssn: str, *, last_name: str, date_of_birth: str,
                          rule: EmbargoRule = DEFAULT_EMBARGO) -> PersonView:
    """The person's own view of their accounting: only when the surname and the full date
    of birth given agree with the record of ``ssn`` (normalised the registry's way).
    Otherwise the same :class:`NotFoundError` as for an SSN with no record, so the answer
    never says which identifier was wrong or whether a record exists."""
    norm = normalize_ssn(ssn)
    given = OwnDetails.parse(last_name=last_name, born=date_of_birth)
    store.check_schema()
    with store.transaction(write=False) as tx:
        record = tx.get_record(norm)
    if record is None or not given.agree(record.name, record.date_of_birth):
        raise NotFoundError(NO_ACCOUNTING)
    view = accounting_for(store, norm, rule=rule)
    return PersonView(view.entries)  # nothing of the withheld entries, not even a count


@dataclass(frozen=True, slots=True)
class Transparency:
    year: int
    requests: int
    by_basis: list[tuple[str, int]]
    by_agency: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    records_disclosed: int
    deliveries_above_open: list[tuple[str, str, int]]  # subscriber, tier, records
    by_basis_and_outcome: list[tuple[str, str, int]]  # basis, outcome, requests


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def transparency_report(store: Store, year: int) -> Transparency:
    """Requests recorded in ``year`` counted by basis, agency and outcome (the state they
    are in now), records disclosed in answers, and records sent to subscribers above the
    open tier. Law-enforcement requests are counted like every other."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return transparency_in(tx, year)


def transparency_in(tx: Tx, year: int) -> Transparency:
    """:func:`transparency_report` inside an open transaction (the dashboard reads it
    with its other counts)."""
    rows = tx.request_rows(year=year)
    sent = tx.ledger_counts_above_open(year)
    pairs = Counter((r["basis"] or "(none)", r["state"]) for r in rows)
    return Transparency(
        year=year, requests=len(rows),
        by_basis=_ranked(Counter(r["basis"] or "(none)" for r in rows)),
        by_agency=_ranked(Counter(r["agency"] or "(none)" for r in rows)),
        by_outcome=_ranked(Counter(r["state"] for r in rows)),
        records_disclosed=sum(r["disclosed"] or 0 for r in rows),
        deliveries_above_open=[(r["name"], r["tier"], int(r["records"])) for r in sent],
        by_basis_and_outcome=sorted(((b, o, n) for (b, o), n in pairs.items()),
                                    key=lambda t: (-t[2], t[0], t[1])))


@dataclass(frozen=True, slots=True)
class PurgeResult:
    purged: int
    before: date


def purge_accounting(store: Store, *, before: date, actor: str, roles: Iterable[str],
                     today: date) -> PurgeResult:
    """Delete accounting entries made before ``before``, only if every one of them is past
    its retention (5 years and the life of the record, whichever is longer): otherwise
    nothing is deleted and the refusal says how many must be kept. Admin only."""
    require_role(roles, ADMIN, doing="purging the accounting")
    store.check_schema()
    with store.transaction() as tx:
        rows = tx.accounting_rows(before=before.isoformat())
        living = tx.existing_record_ssns([r["ssn"] for r in rows])
        kept = [r for r in rows if not domain.may_purge(
            datetime.fromisoformat(r["disclosed_at"]).date(), r["ssn"] in living, today)]
        if kept:
            alive = sum(1 for r in kept if r["ssn"] in living)
            raise RefusedError(
                f"{len(kept)} of {len(rows)} accounting entries before {before.isoformat()} "
                f"are inside their retention period ({alive} about records that still exist,"
                f" {len(kept) - alive} less than {domain.ACCOUNTING_YEARS} years old): "
                "5 U.S.C. 552a(c)(2) keeps them 5 years or the life of the record, whichever "
                "is longer. Nothing was purged.")
        n = tx.delete_accounting([int(r["id"]) for r in rows])
        tx.append_event(actor=actor, kind="disclosure.accounting-purged",
                        subject="accounting", detail={"before": before.isoformat(),
                                                      "entries": n}, at=utc_now())
    return PurgeResult(n, before)
