"""``vitalstat disclosure ...``, ``vitalstat accounting`` and ``vitalstat transparency``:
requests from other agencies, their legal bases, the accounting of disclosures."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from vitalstat.cli.common import ActorOption, DbOption, app, count_table, errors, open_store, out
from vitalstat.config import default_actor, embargo_rule, roles_of
from vitalstat.domain.disclosure import LegalBasis, parse_subject_spec
from vitalstat.domain.identity import parse_day
from vitalstat.errors import RoleRequired, ValidationError
from vitalstat.services import accounting as acc
from vitalstat.services import disclosure as svc
from vitalstat.services import disclosure_bases as bases

__all__ = ["agreement_app", "basis_app", "disclosure_app"]

disclosure_app = typer.Typer(help="Disclosure requests from other agencies: record, approve, "
                             "deny, answer (deny by default).", no_args_is_help=True)
basis_app = typer.Typer(help="Legal bases: what each may release and who must approve.",
                        no_args_is_help=True)
agreement_app = typer.Typer(help="Computer matching agreements: the Data Integrity Board's "
                            "approval and the notice.", no_args_is_help=True)
app.add_typer(disclosure_app, name="disclosure")
disclosure_app.add_typer(basis_app, name="basis")
disclosure_app.add_typer(agreement_app, name="agreement")

NumberArg = Annotated[str, typer.Argument(help="Request number, e.g. D-000001")]


def _print_basis(b: LegalBasis) -> None:
    out.print(f"[bold]{b.code}[/bold]  {b.title}  ({b.citation})", highlight=False)
    out.print(f"  fields: {', '.join(sorted(f.value for f in b.fields))}", highlight=False)
    out.print(f"  approvals: {', '.join(a.value for a in b.approvals)}   needs: "
              f"{', '.join(sorted(n.value for n in b.needs)) or '-'}   signer at least: "
              f"{b.min_signer_rank.value if b.min_signer_rank else '-'}   subjects: "
              f"{'bulk' if b.bulk else f'at most {b.max_subjects}'}   "
              f"{'hidden from' if b.hidden_from_subject else 'shown to'} the person",
              highlight=False)


def _print_request(view: svc.RequestView, *, full: bool = True) -> None:
    r = view.row
    out.print(f"[bold]{view.number}[/bold]  {r['state']}  basis {r['basis'] or '-'}  "
              f"{r['agency'] or '(no agency)'}  {r['subject_count']} subject(s)  "
              f"recorded {r['requested_at'][:16]} by {r['requested_by']}", highlight=False)
    if not full:
        return
    out.print(f"  address: {r['agency_address'] or '-'}   signed: {r['signer'] or '-'} "
              f"({r['signer_rank'] or '-'})   letter: {r['letter_reference'] or '-'}",
              highlight=False)
    out.print(f"  purpose: {r['purpose'] or '-'}", highlight=False)
    out.print(f"  relevance: {r['relevance'] or '-'}", highlight=False)
    out.print(f"  fields: {r['fields'] or '-'}", highlight=False)
    if r["agreement_id"] or r["court_order"]:
        out.print(f"  agreement: {r['agreement_id'] or '-'}   court order: "
                  f"{r['court_order'] or '-'}", highlight=False)
    for a in view.approvals:
        out.print(f"  approved by {a['approver']} {('(' + a['roles'] + ')') if a['roles'] else ''}"
                  f" at {a['approved_at'][:16]}", highlight=False)
    if view.missing:
        out.print(f"  waiting for: {', '.join(m.value for m in view.missing)} "
                  f"(vitalstat disclosure approve {view.number} --as OTHER-USER)",
                  highlight=False)
    for reason in view.reasons:
        out.print(f"  reason: {reason}", highlight=False)
    if r["answered_at"]:
        out.print(f"  answered {r['answered_at'][:16]}: {r['disclosed']} record(s) disclosed,"
                  f" answer sha256 {r['answer_sha256']}", highlight=False)
    for s in view.subjects:
        name = " ".join(p for p in (s["first_name"], s["middle_name"], s["last_name"],
                                    s["suffix"]) if p)
        extra = " ".join(p for p in (s["state"], s["zip"], s["case_status"]) if p)
        out.print(f"  subject {s['position']}: SSN {s['ssn'] or '-'}  {name or '-'}  born "
                  f"{s['date_of_birth'] or '-'}  {extra}  -> {s['outcome'] or 'not answered'}",
                  highlight=False)
    outcomes = [s["outcome"] for s in view.subjects if s["outcome"]]
    if outcomes:
        counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
        out.print("  subjects: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _opt(flag: str, what: str) -> Any:
    return typer.Option(flag, help=f"{what} (overrides the file)")


@disclosure_app.command("request")
def request(
    file: Annotated[Path | None, typer.Argument(
        help="The request: a .json or .toml file (see README, Disclosure)")] = None,
    agency: Annotated[str | None, _opt("--agency", "Requesting agency")] = None,
    agency_address: Annotated[str | None, _opt("--agency-address", "Its address")] = None,
    signer: Annotated[str | None, _opt("--signer", "Who signed the written request")] = None,
    signer_rank: Annotated[str | None, _opt("--signer-rank", "The signer's rank")] = None,
    basis: Annotated[str | None, _opt("--basis", "Legal basis code")] = None,
    purpose: Annotated[str | None, _opt("--purpose", "Purpose")] = None,
    relevance: Annotated[str | None, _opt("--relevance", "Why the records are relevant")]
    = None,
    letter: Annotated[str | None, _opt("--letter-reference",
                                       "Reference of the signed written request")] = None,
    fields: Annotated[list[str] | None, _opt("--field", "A field wanted (repeat)")] = None,
    court_order: Annotated[str | None, _opt("--court-order", "The order's reference")] = None,
    agreement: Annotated[str | None, _opt("--agreement", "Matching agreement id")] = None,
    subjects: Annotated[list[str] | None, typer.Option(
        "--subject", help="A subject as KEY=VALUE,... (repeat; added to the file's)")] = None,
    subjects_file: Annotated[Path | None, typer.Option(
        "--subjects-file", help="A CSV of subjects (columns: the subject keys)")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Record a request. Valid: it waits for approval. Invalid: refused, every reason named."""
    with errors():
        data = svc.load_request_file(file) if file is not None else {}
        given = {"agency": agency, "agency_address": agency_address, "signer": signer,
                 "signer_rank": signer_rank, "basis": basis, "purpose": purpose,
                 "relevance": relevance, "letter_reference": letter, "fields": fields,
                 "court_order": court_order, "agreement": agreement}
        data |= {k: v for k, v in given.items() if v is not None}
        extra = [parse_subject_spec(s) for s in subjects or []]
        if subjects_file is not None:
            extra += svc.read_subjects_file(subjects_file)
        if extra:
            data["subjects"] = [*data.get("subjects", []), *extra]
        view = svc.submit_request(open_store(db), data, actor=default_actor(actor),
                                  today=date.today())
        _print_request(view)


@disclosure_app.command("approve")
def approve(number: NumberArg, db: DbOption = None, actor: ActorOption = None) -> None:
    """Approve a request (never by the user who recorded it)."""
    with errors():
        who = default_actor(actor)
        _print_request(svc.approve_request(open_store(db), number, actor=who,
                                           roles=roles_of(who)))


@disclosure_app.command("deny")
def deny(number: NumberArg,
         reason: Annotated[str, typer.Option("--reason", help="Why, in words")] = "",
         db: DbOption = None, actor: ActorOption = None) -> None:
    """Deny a pending or approved request: it is never answered."""
    with errors():
        _print_request(svc.deny_request(open_store(db), number, actor=default_actor(actor),
                                        reason=reason))


@disclosure_app.command("answer")
def answer(number: NumberArg,
           out_path: Annotated[Path, typer.Option("--out", help="Where to write the answer "
                                                  "(JSON)")],
           db: DbOption = None, actor: ActorOption = None) -> None:
    """Answer an approved request: only the allowed fields for the named subjects."""
    with errors():
        result = svc.answer_request(open_store(db), number, actor=default_actor(actor),
                                    out=out_path, today=date.today())
        out.print(f"{result.number}: answer written to {result.path} (sha256 "
                  f"{result.sha256}); {result.found} found, {result.no_record} no record, "
                  f"{result.ambiguous} not disclosed (ambiguous)", highlight=False)
        if result.notice:
            out.print(f"notice: {result.notice}", highlight=False)


@disclosure_app.command("list")
def list_(state: Annotated[str | None, typer.Option(
              "--state", help="refused | pending | approved | denied | answered")] = None,
          db: DbOption = None) -> None:
    """Requests, oldest first."""
    with errors():
        found = svc.list_requests(open_store(db), state=state)
        for view in found:
            _print_request(view, full=False)
        out.print(f"{len(found)} requests")


@disclosure_app.command("show")
def show(number: NumberArg, db: DbOption = None) -> None:
    """One request: its elements, approvals, reasons and answer."""
    with errors():
        _print_request(svc.show_request(open_store(db), number))


@disclosure_app.command("purge")
def purge(before: Annotated[str, typer.Option(
              "--before", help="Purge accounting entries made before this day (YYYY-MM-DD)")],
          db: DbOption = None, actor: ActorOption = None) -> None:
    """Purge old accounting entries (admin; refused inside the retention period)."""
    with errors():
        day = parse_day(before, "before")
        assert day is not None
        who = default_actor(actor)
        result = acc.purge_accounting(open_store(db), before=day, actor=who,
                                      roles=roles_of(who), today=date.today())
        out.print(f"purged {result.purged} accounting entries made before {day.isoformat()}")


# ------------------------------------------------------------------- bases


@basis_app.command("list")
def basis_list(db: DbOption = None) -> None:
    """Every legal basis."""
    with errors():
        for b in bases.list_bases(open_store(db)):
            _print_basis(b)


@basis_app.command("show")
def basis_show(code: Annotated[str, typer.Argument(help="Basis code")],
               db: DbOption = None) -> None:
    """One legal basis."""
    with errors():
        _print_basis(bases.get_basis(open_store(db), code))


@basis_app.command("set")
def basis_set(
    code: Annotated[str, typer.Argument(help="Basis code (new or existing)")],
    title: Annotated[str | None, typer.Option("--title", help="What it is, in words")] = None,
    citation: Annotated[str | None, typer.Option("--citation", help="The law it rests on")]
    = None,
    field: Annotated[list[str] | None, typer.Option(
        "--field", help="A field it may release (repeat; replaces the list)")] = None,
    approval: Annotated[list[str] | None, typer.Option(
        "--approval", help="second-user | privacy-officer | data-integrity-board (repeat)")]
    = None,
    need: Annotated[list[str] | None, typer.Option(
        "--need", help="indictment | court-order | agreement (repeat)")] = None,
    no_needs: Annotated[bool, typer.Option("--no-needs", help="Clear the needs")] = False,
    min_signer_rank: Annotated[str | None, typer.Option(
        "--min-signer-rank", help="Lowest signer rank accepted (or none)")] = None,
    max_subjects: Annotated[int | None, typer.Option(
        "--max-subjects", help="Most subjects one request may name")] = None,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="No subject limit (matching agreements only)")] = False,
    hidden: Annotated[bool | None, typer.Option(
        "--hidden-from-subject/--shown-to-subject",
        help="Whether the person's accounting leaves its entries out (552a(c)(3))")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Create or change a legal basis (admin; never below the law's floors; evented)."""
    with errors():
        if need and no_needs:
            raise ValidationError("give --need or --no-needs, not both", field="need")
        who = default_actor(actor)
        _print_basis(bases.set_basis(
            open_store(db), code, actor=who, roles=roles_of(who), title=title,
            citation=citation, fields=field, approvals=approval,
            needs=[] if no_needs else need, min_signer_rank=min_signer_rank,
            max_subjects=max_subjects, bulk=bulk, hidden_from_subject=hidden))


# -------------------------------------------------------------- agreements


@agreement_app.command("record")
def agreement_record(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id (as on the subscriber)")],
    board_approved: Annotated[str, typer.Option(
        "--board-approved", help="Day the Data Integrity Board approved it (YYYY-MM-DD)")],
    notice: Annotated[str, typer.Option(
        "--notice", help="Day its notice was published (YYYY-MM-DD)")],
    authority: Annotated[str, typer.Option("--authority", help="Legal authority for the "
                                           "match")],
    renewed: Annotated[bool, typer.Option("--renewed", help="Renewed once (+12 months)")]
    = False,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Record a matching agreement's Board approval and notice (admin or Privacy Officer)."""
    with errors():
        approved, published = parse_day(board_approved, "board_approved"), parse_day(
            notice, "notice")
        assert approved is not None and published is not None
        who = default_actor(actor)
        a = bases.record_agreement(open_store(db), agreement_id, actor=who, roles=roles_of(who),
                                 board_approved_on=approved, notice_on=published,
                                 authority=authority, renewed=renewed)
        out.print(f"agreement {a.agreement_id} with {a.party}: {a.start}..{a.end}, Board "
                  f"approved {a.board_approved_on}, notice {a.notice_on}", highlight=False)


@agreement_app.command("list")
def agreement_list(db: DbOption = None) -> None:
    """Matching agreements with a recorded approval."""
    with errors():
        found = bases.list_agreements(open_store(db))
        for a, authority in found:
            out.print(f"{a.agreement_id}  {a.party}  {a.start}..{a.end}  Board approved "
                      f"{a.board_approved_on}  notice {a.notice_on}  "
                      f"{'renewed  ' if a.renewed else ''}{authority}", highlight=False)
        out.print(f"{len(found)} agreements")


# ------------------------------------------------------ accounting, report


@app.command("accounting")
def accounting(
    ssn: Annotated[str, typer.Argument(help="The person's SSN")],
    show_all: Annotated[bool, typer.Option(
        "--all", help="Staff view with withheld entries (Privacy Officer)")] = False,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """A person's accounting of disclosures: date, nature, purpose, recipient, address."""
    with errors():
        view = acc.accounting_for(open_store(db), ssn, rule=embargo_rule())
        if show_all:
            who = default_actor(actor)
            if "privacy-officer" not in roles_of(who):
                raise RoleRequired("the staff view (--all) needs the privacy-officer role "
                                   "(VITALSTAT_PRIVACY_OFFICERS)")
        entries = view.all_entries if show_all else view.entries
        for e in entries:
            mark = "  [withheld from the person]" if e.hidden_from_subject else ""
            out.print(f"{e.disclosed_at[:10]}  {e.recipient} ({e.recipient_address}){mark}",
                      highlight=False)
            out.print(f"    nature: {e.nature}", highlight=False)
            out.print(f"    purpose: {e.purpose}   basis: {e.basis}   ref: {e.reference}",
                      highlight=False)
        out.print(f"{len(entries)} disclosure(s)")
        if show_all:
            out.print(f"{view.withheld} of them withheld from the person under "
                      "5 U.S.C. 552a(c)(3) (law enforcement)")


@app.command("transparency")
def transparency(
    year: Annotated[int, typer.Option("--year", help="Calendar year")],
    db: DbOption = None,
) -> None:
    """Requests in a year by basis, agency and outcome; records disclosed; deliveries."""
    with errors():
        report = acc.transparency_report(open_store(db), year)
        out.print(f"transparency report {report.year}: {report.requests} requests, "
                  f"{report.records_disclosed} records disclosed in answers")
        count_table("by basis", "basis", "requests", report.by_basis)
        count_table("by agency", "agency", "requests", report.by_agency)
        count_table("by outcome", "outcome", "requests", report.by_outcome)
        if report.deliveries_above_open:
            count_table("records sent to subscribers above the open tier",
                        "subscriber (tier)", "records",
                        [(f"{n} ({t})", c) for n, t, c in report.deliveries_above_open])
        else:
            out.print("no records sent to subscribers above the open tier")
