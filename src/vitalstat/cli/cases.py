"""``vitalstat case`` and ``vitalstat letter``: corrections for people wrongly listed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import Settings, cases_dir, default_actor
from vitalstat.domain.cases import CaseKind, EvidenceType, OpenedBy
from vitalstat.domain.identity import parse_day
from vitalstat.errors import ValidationError
from vitalstat.services import cases as svc

__all__ = ["case", "letter"]

case = typer.Typer(help="Correction cases: a person wrongly listed as dead, or wrong details.",
                   no_args_is_help=True)
letter = typer.Typer(help="Reinstatement letters.", no_args_is_help=True)
app.add_typer(case, name="case")
app.add_typer(letter, name="letter")

CasesDir = Annotated[Path | None, typer.Option(
    "--cases-dir", help="Where evidence and letters are kept (env VITALSTAT_CASES_DIR; "
    "default ./cases)")]


def _print(view: svc.CaseView) -> None:
    c = view.case
    out.print(f"[bold]case {c.number}[/bold]  SSN {c.ssn}  {c.kind.value}  "
              f"opened by {c.opened_by.value}  state: [bold]{c.state.value}[/bold]")
    out.print(f"  contact: {c.contact}   opened: {view.opened_at}   "
              f"decided: {view.decided_at or '-'}   closed: {view.closed_at or '-'}")
    if c.proposed and c.state.value == "awaiting-approval":
        out.print(f"  proposed: {c.proposed.value} by {c.proposed_by} ({c.reason}); "
                  "a second, different user must approve: vitalstat case approve "
                  f"{c.number}")
    for ev in view.evidence:
        out.print(f"  evidence: {ev['type']} {ev['file_name']} ({ev['size']} bytes, "
                  f"sha256 {ev['sha256'][:16]}...)")
    for step in c.timeline:
        out.print(f"  {step.at:%Y-%m-%d %H:%M} {step.actor}: {step.what} {step.detail}")
    if view.letter is not None:
        out.print(f"letter for the person: {view.letter}")


@case.command("open")
def open_(
    ssn: Annotated[str, typer.Option("--ssn", help="The listed person's SSN")],
    kind: Annotated[str, typer.Option("--kind", help=" | ".join(k.value for k in CaseKind))],
    by: Annotated[str, typer.Option("--by", help=" | ".join(b.value for b in OpenedBy))],
    contact: Annotated[str, typer.Option("--contact", help="How to reach whoever opened it")],
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Open a case. The record is held at once: no `match` while the case is open."""
    with errors():
        opened = svc.open_case(open_store(db), ssn=ssn, kind=kind, opened_by=by,
                               contact=contact, actor=default_actor(actor),
                               rules=Settings.from_env().integrity)
        out.print(f"opened case {opened.number} for SSN {opened.ssn}; the record is held "
                  "while the case is open")


@case.command("evidence")
def evidence(
    number: Annotated[str, typer.Argument(help="Case number, e.g. C-000001")],
    file: Annotated[Path, typer.Argument(help="The evidence file (kept by its SHA-256)")],
    evidence_type: Annotated[str, typer.Option(
        "--type", help=" | ".join(t.value for t in EvidenceType))],
    alive_on: Annotated[str | None, typer.Option(
        "--alive-on", help="For evidence of life: a day the person was alive (YYYY-MM-DD)")]
    = None,
    folder: CasesDir = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """File evidence with a case."""
    with errors():
        seen = parse_day(alive_on, "alive-on")
        updated = svc.add_evidence(open_store(db), number, file, evidence_type=evidence_type,
                                   actor=default_actor(actor), cases_dir=cases_dir(folder),
                                   alive_on=seen, rules=Settings.from_env().integrity)
        out.print(f"case {updated.number}: {evidence_type} evidence filed ({file.name})")


@case.command("decide")
def decide(
    number: Annotated[str, typer.Argument(help="Case number")],
    reinstate: Annotated[bool, typer.Option(
        "--reinstate", help="The listing was wrong: withdraw it, write the letter")] = False,
    reject: Annotated[bool, typer.Option(
        "--reject", help="The listing stands: release the case's hold")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why, in words")] = "",
    folder: CasesDir = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Decide a case (a second user approves where the two-person rule applies)."""
    with errors():
        if reinstate == reject:
            raise ValidationError("give exactly one of --reinstate or --reject",
                                  field="outcome")
        view = svc.decide_case(open_store(db), number, "reinstate" if reinstate else "reject",
                               reason=reason, actor=default_actor(actor),
                               cases_dir=cases_dir(folder),
                               rules=Settings.from_env().integrity)
        _print(view)


@case.command("approve")
def approve(
    number: Annotated[str, typer.Argument(help="Case number")],
    folder: CasesDir = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Approve a proposed decision (a different user from the one who proposed it)."""
    with errors():
        _print(svc.approve_case(open_store(db), number, actor=default_actor(actor),
                                cases_dir=cases_dir(folder),
                                rules=Settings.from_env().integrity))


@case.command("refuse")
def refuse(
    number: Annotated[str, typer.Argument(help="Case number")],
    reason: Annotated[str, typer.Option("--reason", help="Why not")] = "",
    folder: CasesDir = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Refuse a proposed decision: the case goes back to open."""
    with errors():
        _print(svc.refuse_case(open_store(db), number, actor=default_actor(actor),
                               reason=reason, cases_dir=cases_dir(folder),
                               rules=Settings.from_env().integrity))


@case.command("list")
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only cases in this state")]
    = None,
    ssn: Annotated[str | None, typer.Option("--ssn", help="Only cases about this SSN")] = None,
    db: DbOption = None,
) -> None:
    """Cases, oldest first."""
    with errors():
        found = svc.list_cases(open_store(db), state=state, ssn=ssn)
        for view in found:
            c = view.case
            out.print(f"{c.number}  {c.ssn}  {c.kind.value:<15}  {c.state.value:<17}  "
                      f"opened {view.opened_at[:10]}")
        out.print(f"{len(found)} cases")


@case.command("show")
def show(number: Annotated[str, typer.Argument(help="Case number")],
         db: DbOption = None) -> None:
    """A case with its evidence and full timeline."""
    with errors():
        _print(svc.show_case(open_store(db), number))


@letter.command("verify")
def verify(
    code: Annotated[str, typer.Argument(help="The verification code printed on the letter")],
    file: Annotated[Path | None, typer.Option(
        "--file", help="Also check that this file is the letter, unaltered")] = None,
    db: DbOption = None,
) -> None:
    """Check a reinstatement letter's verification code (and, with --file, the letter)."""
    with errors():
        check = svc.verify_letter(open_store(db), code, file)
        out.print(f"genuine: case {check.number}, {check.state}, decided "
                  f"{(check.decided_at or '-')[:10]}")
        if check.file_matches is False:
            out.print("[red]but the file is NOT the letter that was issued (altered?)[/red]")
            raise typer.Exit(1)
        if check.file_matches:
            out.print("the file is the letter that was issued, unaltered")
