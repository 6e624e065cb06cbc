"""The dashboard (staff: counts, four charts, the audit log's state and a check of it) and
the public transparency report.

The numbers come from ``services.dashboard`` (one read transaction) and
``services.accounting.transparency_report`` (the same report as ``GET /transparency``);
the log check from ``services.audit``, as ``GET /audit/verify`` does. Charts are inline
SVG from ``web.ui.charts``, each with a table of its numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from vitalstat import errors as e
from vitalstat.domain.access import Permission, allowed
from vitalstat.domain.disclosure import DEFAULT_BASES, RequestState
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.domain.reports import SourceKind
from vitalstat.services import audit as audit_svc
from vitalstat.services.accounting import Transparency, transparency_report
from vitalstat.services.dashboard import Dashboard, dashboard
from vitalstat.web.ui import charts, formats
from vitalstat.web.ui.base import NavItem, identity, page, render

router = APIRouter()
NAV: list[NavItem] = [
    NavItem("Dashboard", "/ui/dashboard", Permission.STATS_READ),
    NavItem("Transparency", "/ui/transparency", Permission.PUBLIC),
]

YEARS_SHOWN = 10  # how many years the year selector offers, this one first
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")

SOURCE_KIND_NAMES = {
    SourceKind.STATE_VITAL_RECORDS.value: "State vital records",
    SourceKind.FUNERAL_HOME.value: "Funeral homes",
    SourceKind.FAMILY.value: "Family members",
    SourceKind.FEDERAL_AGENCY.value: "Federal agencies",
    SourceKind.FINANCIAL_INSTITUTION.value: "Financial institutions",
    SourceKind.LEGACY_DMF.value: "Legacy DMF files",
}
STATUS_WORDS = {
    RecordStatus.PUBLISHED.value: "on the file",
    RecordStatus.HELD.value: "waiting for a person to review it",
    RecordStatus.PENDING.value: "known, not yet publishable",
    RecordStatus.WITHDRAWN.value: "taken off the file",
}
OUTCOME_WORDS = {
    RequestState.REFUSED.value: "incomplete, or asked for more than its legal basis allows: "
                                "nothing was disclosed",
    RequestState.PENDING.value: "waiting for the approvals its basis needs: nothing "
                                "disclosed yet",
    RequestState.APPROVED.value: "approved; the answer has not been sent yet",
    RequestState.DENIED.value: "a person at the registry said no: nothing was disclosed",
    RequestState.ANSWERED.value: "answered, with only the fields its legal basis allows",
}
#: What each default legal basis means, in plain words (title and citation: the data).
BASIS_WORDS = {
    "routine-use": "Another agency confirms that a death is on file, under a routine use "
                   "published in advance.",
    "law-enforcement-b7": "The head of a law-enforcement agency asks in writing, naming the "
                          "records wanted and the investigation they are for.",
    "serious-crime": "An investigation of a serious or violent crime, only when the person "
                     "has been indicted or convicted (never a mere suspect).",
    "program-fraud": "An investigation of fraud or abuse in a benefit, income or health "
                     "programme.",
    "national-security": "A national-security request; the registry's Privacy Officer "
                         "must approve it as well.",
    "court-order": "An order signed by a judge of a competent court.",
    "matching-agreement": "Bulk matching by a benefits agency under a written computer "
                          "matching agreement approved by a Data Integrity Board; nobody "
                          "may be acted against before they were told and had 30 days to "
                          "contest.",
}


def parse_year(text: str | None, today: date) -> int:
    """The ``year`` query value (a year from 1900 to 9999), else this year."""
    if text is None or not text.strip():
        return today.year
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 1900 <= int(value) <= 9999:
        raise e.ValidationError(f"{text[:20]!r} is not a year: give four digits, 1900 to "
                                "9999", field="year")
    return int(value)


def when(iso: str) -> str:
    """An ISO-8601 time as people read it (UTC, to the second); text that is not one
    is shown as it is."""
    return formats.when(iso, seconds=True)


def month_label(month: str) -> str:
    """``"2026-01"`` as ``"Jan 2026"``."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def _years(today: date, chosen: int) -> list[int]:
    years = list(range(today.year, today.year - YEARS_SHOWN, -1))
    return years if chosen in years else sorted({*years, chosen}, reverse=True)


def disclosures_chart(t: Transparency) -> Markup:
    bases = sorted({b for b, _, _ in t.by_basis_and_outcome},
                   key=lambda b: -sum(n for x, _, n in t.by_basis_and_outcome if x == b))
    outcomes = [s.value for s in RequestState
                if any(o == s.value for _, o, _ in t.by_basis_and_outcome)]
    outcomes += sorted({o for _, o, _ in t.by_basis_and_outcome} - set(outcomes))
    cell = {(b, o): n for b, o, n in t.by_basis_and_outcome}
    return charts.horizontal_bars(
        f"Disclosure requests in {t.year}, by legal basis and outcome", bases,
        [(o, [cell.get((b, o), 0) for b in bases]) for o in outcomes],
        head="Legal basis", chart_id="chart-disclosures")


def dashboard_charts(d: Dashboard) -> list[Markup]:
    reports = charts.stacked_columns(
        "Deaths reported per month, by source kind", [month_label(m) for m in d.months],
        [(SOURCE_KIND_NAMES.get(k, k), v) for k, v in d.reports_by_month],
        axis="Month received", chart_id="chart-reports")
    holds = charts.horizontal_bars(
        "Records held or pending, by reason", [code for code, _ in d.holds_by_reason],
        [("Records", [n for _, n in d.holds_by_reason])], head="Reason",
        chart_id="chart-holds")
    corrections = charts.histogram(
        "Time to correction: case opened to record corrected",
        charts.day_bins(d.correction_days), unit="days", chart_id="chart-corrections")
    return [reports, holds, corrections, disclosures_chart(d.transparency)]


def _reason_text(code: str) -> str:
    try:
        return ReviewReason(code).text
    except ValueError:
        return code


@page(router, "GET", "/ui/dashboard", Permission.STATS_READ)
def dashboard_page(request: Request,
                   year: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    today = formats.today()
    chosen = parse_year(year, today)
    d = dashboard(request.app.state.store, today=today, year=chosen)
    who = identity(request)
    return render(request, "dashboard/dashboard.html", {
        "d": d, "today": today, "year": chosen, "years": _years(today, chosen),
        "charts": dashboard_charts(d), "status_words": STATUS_WORDS,
        "statuses": [s.value for s in RecordStatus], "kinds": [k.value for k in SourceKind],
        "kind_names": SOURCE_KIND_NAMES, "reason_text": _reason_text, "when": when,
        "can_verify": who is not None and allowed(who.role, Permission.AUDIT_READ)})


def _verdict(request: Request) -> dict[str, Any]:
    config = request.app.state.config
    try:
        trusted = audit_svc.trusted_keys(config.keys)
        v = audit_svc.verify_audit_log(request.app.state.store, trusted=trusted)
    except e.AuditLogError as exc:
        return {"ok": False, "message": str(exc), "event_id": exc.event_id}
    return {"ok": True, "entries": v.entries, "checkpoints": v.checkpoints,
            "covered": v.covered, "pending": v.entries - v.covered}


@page(router, "POST", "/ui/dashboard/verify", Permission.AUDIT_READ)
def verify_log(request: Request) -> Response:
    """Recompute the whole audit log. A failed check is a verdict, not an error of the
    request: it is shown (status 200) naming the first bad entry. htmx asks for the
    verdict alone; a browser without script gets it on a page of its own."""
    is_htmx = request.headers.get("HX-Request") == "true"
    checked_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    try:
        verdict = _verdict(request)
    except e.VitalstatError as exc:
        if not is_htmx:
            raise
        # htmx swaps only 2xx answers: the reason the check could not run goes in place
        verdict = {"ok": None, "message": str(exc), "code": exc.code}
    context = {"v": verdict, "checked_at": checked_at}
    if is_htmx:
        return render(request, "dashboard/_verdict.html", context)
    return render(request, "dashboard/verdict.html", context)


@page(router, "GET", "/ui/transparency", Permission.PUBLIC)
def transparency_page(request: Request,
                      year: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    today = formats.today()
    chosen = parse_year(year, today)
    t = transparency_report(request.app.state.store, chosen)
    return render(request, "dashboard/transparency.html", {
        "t": t, "year": chosen, "years": _years(today, chosen),
        "chart": disclosures_chart(t), "outcome_words": OUTCOME_WORDS,
        "bases": DEFAULT_BASES, "basis_words": BASIS_WORDS})
