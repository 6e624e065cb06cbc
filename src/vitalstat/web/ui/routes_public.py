"""The public pages: no account needed (``Permission.PUBLIC``), under ``/ui/public/``.

- *Am I listed?*: SSN, name and date of birth, answered as the open tier sees the file.
- *Ask for a correction*: a case in four steps (about you, what is wrong, evidence,
  check and send), plain forms that work without JavaScript; the case number and its
  secret are shown once.
- *Check a case*: its status, history and next steps by case number and secret; more
  evidence while it is open; the reinstatement letter once corrected.
- *Who saw my record*: the person's accounting of disclosures.

Every SSN travels in POST bodies only (never a URL), pages echo it masked, and the
services decide everything (``services.public``, ``services.accounting``): a page never
says whether an SSN is on the registry unless every detail given agrees with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from vitalstat import errors as e
from vitalstat.domain.access import Permission
from vitalstat.domain.cases import CaseKind
from vitalstat.domain.identity import PersonName, normalize_ssn, parse_day
from vitalstat.services import accounting, public
from vitalstat.services.disclosure_bases import list_bases
from vitalstat.web.errors import mask
from vitalstat.web.ui.base import NavItem, page, render

router = APIRouter()
NAV: list[NavItem] = [
    NavItem("Am I listed?", "/ui/public/listed", Permission.PUBLIC),
    NavItem("Ask for a correction", "/ui/public/correction", Permission.PUBLIC),
    NavItem("Check a case", "/ui/public/case", Permission.PUBLIC),
    NavItem("Who saw my record", "/ui/public/accounting", Permission.PUBLIC),
]

#: What the pages promise about review time (a service target, not a rule).
REVIEW_DAYS = 30

#: The one answer of "Am I listed?" for everything but a listing.
NOT_LISTED = ("We found no listing on the open file for these details.")

LABELS = {"ssn": "Social Security number", "last_name": "Last name",
          "first_name": "First name", "date_of_birth": "Date of birth",
          "contact": "How we can reach you", "by": "Who is asking",
          "kind": "What is wrong", "evidence": "Evidence file",
          "evidence_type": "What the file is", "alive_on": "Date the file shows you alive",
          "number": "Case number", "secret": "Case secret"}

KINDS = {CaseKind.ERRONEOUS_DEATH.value: "I am alive, but I am listed as dead",
         CaseKind.WRONG_DETAILS.value: "The person did die, but the details listed are "
                                       "wrong (name, dates)"}
BY = {"person": "I am asking for myself", "representative": "I am asking for someone else "
                                                            "(as their representative)"}

_PERSON = ("ssn", "last_name", "first_name", "date_of_birth")
_CORRECTION = (*_PERSON, "by", "contact", "kind", "evidence_token", "evidence_type",
               "alive_on")
_STEPS = ("about", "wrong", "evidence", "review")
_STEP_TITLES = {"about": "About you", "wrong": "What is wrong", "evidence": "Evidence",
                "review": "Check and send"}


def _text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _reason(exc: e.VitalstatError) -> str:
    message = str(exc)
    field = getattr(exc, "field", None)
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2:]
    return mask(message)


def _no_store(response: Response) -> Response:
    """Pages that carry an SSN, a case secret or a letter are never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_person(values: dict[str, str], errors: dict[str, str], *,
                  first_required: bool = True) -> None:
    """Format checks of the person's details (the services check them against the
    record); each problem is put under its field."""
    if not values["ssn"]:
        errors["ssn"] = "Enter your 9-digit Social Security number."
    else:
        try:
            normalize_ssn(values["ssn"])
        except e.ValidationError as exc:
            reason = _reason(exc)
            errors["ssn"] = (f"{reason[:1].upper()}{reason[1:]}: check the number on your "
                             "card.")
    for name in ("last_name", "first_name") if first_required else ("last_name",):
        if not values.get(name):
            errors[name] = f"Enter your {LABELS[name].lower()}."
            continue
        try:
            PersonName.parse(last=values[name])
        except e.ValidationError:
            errors[name] = f"Enter your {LABELS[name].lower()} in letters."
    if not values["date_of_birth"]:
        errors["date_of_birth"] = "Enter your full date of birth."
    else:
        try:
            parse_day(values["date_of_birth"], "date_of_birth")
        except e.ValidationError:
            errors["date_of_birth"] = ("Enter your date of birth as year-month-day, "
                                       "for example 1950-04-11.")


def _today() -> date:
    return datetime.now(UTC).date()


def _when(iso: str | None) -> str:
    """``1 December 2026, 11:05 UTC`` (or the day alone for a plain date)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if len(iso) <= 10:
        return f"{moment.day} {moment:%B %Y}"
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def _partial_day(text: str) -> str:
    """A date as listed, in words: ``14 September 2010``, ``September 2010`` or ``2010``
    (the DMF allows an unknown day or month)."""
    parts = text.split("-")
    if len(parts) == 3:
        return _when(text)
    if len(parts) == 2:
        return f"{date(int(parts[0]), int(parts[1]), 1):%B %Y} (day not known)"
    return f"{text} (day and month not known)"


def _errors_ctx(errors: dict[str, str]) -> dict[str, Any]:
    return {"errors": errors, "labels": LABELS}


# ---------------------------------------------------------------- am I listed?


@page(router, "GET", "/ui/public/listed", Permission.PUBLIC)
def listed_form(request: Request) -> Response:
    return render(request, "public/listed.html", {"values": {}, **_errors_ctx({})})


@page(router, "POST", "/ui/public/listed", Permission.PUBLIC)
async def listed(request: Request) -> Response:
    form = await request.form()
    values = {name: _text(form, name, 200) for name in _PERSON}
    errors: dict[str, str] = {}
    _check_person(values, errors)
    if errors:
        return _no_store(render(request, "public/listed.html",
                                {"values": values, **_errors_ctx(errors)}, status=422))
    cfg = request.app.state.config
    found = await run_in_threadpool(
        public.open_file_listing, request.app.state.store, values["ssn"],
        last_name=values["last_name"], first_name=values["first_name"],
        date_of_birth=values["date_of_birth"], today=_today(), rule=cfg.embargo)
    return _no_store(render(request, "public/listed_answer.html", {
        "values": values, "found": found, "not_listed": NOT_LISTED,
        "masked": public.mask_ssn(values["ssn"]),
        "dod": _partial_day(found.date_of_death) if found else ""}))


# ---------------------------------------------------------------- ask for a correction


def _correction_ctx(step: str, values: dict[str, str], errors: dict[str, str],
                    **extra: Any) -> dict[str, Any]:
    return {"step": step, "steps": _STEPS, "step_titles": _STEP_TITLES, "values": values,
            "kinds": KINDS, "by_options": BY, "evidence_types": public.EVIDENCE_TYPES,
            "max_mb": public.EVIDENCE_MAX_BYTES // (1024 * 1024),
            "carry": [k for k in _CORRECTION if values.get(k)], **_errors_ctx(errors),
            **extra}


@page(router, "GET", "/ui/public/correction", Permission.PUBLIC)
def correction_start(request: Request) -> Response:
    return render(request, "public/correction.html",
                  _correction_ctx("about", {"by": "person"}, {}))


async def _stage(request: Request, form: FormData, values: dict[str, str],
                 errors: dict[str, str]) -> dict[str, Any]:
    """The evidence step: check and keep an uploaded file; the type and date checked."""
    cfg = request.app.state.config
    upload = form.get("evidence")
    staged: dict[str, Any] = {}
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            data = await run_in_threadpool(public.read_upload, upload.file)
            kept = await run_in_threadpool(public.stage_evidence, cfg.cases_dir, data,
                                           upload.filename)
            values["evidence_token"] = kept.token
        except e.ValidationError as exc:
            errors["evidence"] = _reason(exc)
    if values.get("evidence_token") and "evidence" not in errors:
        try:
            kept = public.staged_evidence(cfg.cases_dir, values["evidence_token"])
            staged = {"file_name": kept.file_name, "kind": kept.kind,
                      "size_kb": max(1, kept.size // 1024)}
        except e.ValidationError as exc:
            values["evidence_token"] = ""
            errors["evidence"] = _reason(exc)
        if values.get("evidence_type") not in public.EVIDENCE_TYPES:
            errors["evidence_type"] = "Choose what the file is."
    if values.get("alive_on"):
        try:
            day = parse_day(values["alive_on"], "alive_on")
            if values.get("evidence_type") != "evidence-of-life":
                errors["alive_on"] = ("Only proof that you are alive carries this date: "
                                      "leave it empty, or choose that kind of file.")
            elif day is not None and day > _today():
                errors["alive_on"] = "This date is in the future."
        except e.ValidationError:
            errors["alive_on"] = "Enter the date as year-month-day, for example 2026-11-20."
    return staged


@page(router, "POST", "/ui/public/correction", Permission.PUBLIC)
async def correction(request: Request) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in _CORRECTION}
    step = _text(form, "step")
    goto = _text(form, "goto")
    errors: dict[str, str] = {}
    store = request.app.state.store
    if step not in _STEPS:  # arriving with details carried over ("Am I listed?")
        values["by"] = values["by"] or "person"
        return _no_store(render(request, "public/correction.html",
                                _correction_ctx("about", values, {})))
    if goto in _STEPS and _STEPS.index(goto) < _STEPS.index(step):  # back, nothing checked
        return _no_store(render(request, "public/correction.html",
                                _correction_ctx(goto, values, {})))
    staged: dict[str, Any] = {}
    notice = None
    if step == "about":
        _check_person(values, errors)
        if values["by"] not in BY:
            errors["by"] = "Choose who is asking."
        if not values["contact"]:
            errors["contact"] = ("Enter an email address, a phone number or a postal "
                                 "address: we need it to tell you the outcome.")
        if not errors:
            try:
                await run_in_threadpool(
                    public.check_public_details, store, values["ssn"],
                    last_name=values["last_name"], date_of_birth=values["date_of_birth"],
                    first_name=values["first_name"])
            except e.NotFoundError as exc:
                notice = _reason(exc)
    elif step == "wrong":
        if values["kind"] not in KINDS:
            errors["kind"] = "Choose what is wrong."
    elif step == "evidence":
        staged = await _stage(request, form, values, errors)
    if errors or notice:
        status = 422 if errors else 404
        return _no_store(render(request, "public/correction.html", _correction_ctx(
            step, values, errors, staged=staged, notice=notice), status=status))
    if step != "review":
        target = _STEPS[_STEPS.index(step) + 1]
        return _no_store(render(request, "public/correction.html", _correction_ctx(
            target, values, errors, staged=staged, masked=public.mask_ssn(values["ssn"]),
            kind_words=KINDS.get(values["kind"], ""), by_words=BY.get(values["by"], ""))))
    return await _send_case(request, values)


async def _send_case(request: Request, values: dict[str, str]) -> Response:
    """The last step: open the case (the record is held at once), then file the staged
    evidence with it. The number and the secret are shown once."""
    store, cfg = request.app.state.store, request.app.state.config
    kept = None
    if values.get("evidence_token"):
        try:
            kept = public.staged_evidence(cfg.cases_dir, values["evidence_token"])
        except e.ValidationError as exc:
            values["evidence_token"] = ""
            return _no_store(render(request, "public/correction.html", _correction_ctx(
                "evidence", values, {"evidence": _reason(exc)}), status=422))
    try:
        case, secret = await run_in_threadpool(
            public.open_case_public, store, ssn=values["ssn"], last_name=values["last_name"],
            date_of_birth=values["date_of_birth"], first_name=values["first_name"],
            kind=values["kind"], opened_by=values["by"], contact=values["contact"],
            rules=cfg.rules)
    except e.NotFoundError as exc:
        return _no_store(render(request, "public/correction.html", _correction_ctx(
            "about", values, {}, notice=_reason(exc)), status=404))
    evidence_problem = None
    if kept is not None:
        try:
            await run_in_threadpool(
                public.file_evidence, store, case.number, kept.path.read_bytes(),
                kept.file_name, evidence_type=values["evidence_type"],
                cases_dir=cfg.cases_dir, rules=cfg.rules,
                alive_on=parse_day(values.get("alive_on"), "alive_on"))
            public.discard_staged(kept)
        except e.VitalstatError as exc:
            evidence_problem = _reason(exc)
    return _no_store(render(request, "public/case_opened.html", {
        "number": case.number, "secret": secret, "review_days": REVIEW_DAYS,
        "evidence_filed": kept is not None and evidence_problem is None,
        "evidence_problem": evidence_problem}, status=201))


# ---------------------------------------------------------------- check a case

_STATE_WORDS = {
    "open": ("Open: we are reviewing it", "badge-warn",
             "The listing is on hold while we look: banks and agencies that match people "
             "against the file get no match on you."),
    "awaiting-approval": ("Decision being checked", "badge-warn",
                          "A decision has been proposed. A second member of staff must "
                          "approve it before it takes effect; the listing stays on hold."),
    "reinstated": ("Corrected: you are no longer listed as dead", "badge-ok",
                   "The listing has been taken off the file. Every bank and agency that "
                   "received it is sent a deletion and a correction notice with its next "
                   "delivery."),
    "closed": ("Corrected, and every recipient told", "badge-ok",
               "The listing has been taken off the file, and every bank and agency that "
               "ever received it has been sent the correction."),
    "rejected": ("Not changed: the listing stands", "badge-bad",
                 "We reviewed the case and kept the listing."),
}


def _step_words(step: public.PublicStep) -> str:
    who = "by you" if step.by_you else "by our staff"
    if step.what == "opened":
        return f"Case opened {who}"
    if step.what == "evidence":
        kind = public.EVIDENCE_TYPES.get(step.outcome, step.outcome).split(" (")[0]
        return f"Evidence received ({kind.lower()}), sent {who}"
    if step.what == "proposed":
        return ("A decision to take the listing off was proposed; a second person must "
                "approve it" if step.outcome == "reinstate" else
                "A decision to keep the listing was proposed; a second person must "
                "approve it")
    if step.what == "decided":
        return ("Decided: the listing was taken off the file" if step.outcome == "reinstate"
                else "Decided: the listing stands")
    if step.what == "approval-refused":
        return "The proposed decision was sent back for more review"
    if step.what == "notified":
        if step.outcome in ("", "0"):
            return "No bank or agency had received the listing: nothing more to correct"
        return (f"All {step.outcome} banks and agencies that received the listing have been "
                "sent the correction")
    return step.what


def _case_ctx(request: Request, view: public.PublicCase, secret: str, **extra: Any
              ) -> dict[str, Any]:
    title, badge, meaning = _STATE_WORDS.get(view.state, (view.state, "badge-warn", ""))
    return {"case": view, "secret": secret, "base_url": str(request.base_url).rstrip("/"),
            "state_title": title, "badge": badge, "meaning": meaning,
            "kind_words": KINDS.get(view.kind, view.kind),
            "steps": [(_when(s.at), _step_words(s)) for s in view.steps],
            "evidence": [{**ev, "type_words": public.EVIDENCE_TYPES.get(
                ev["type"], ev["type"]).split(" (")[0], "when": _when(ev["received_at"])}
                for ev in view.evidence],
            "opened": _when(view.opened_at), "decided": _when(view.decided_at),
            "evidence_types": public.EVIDENCE_TYPES, "review_days": REVIEW_DAYS,
            "max_mb": public.EVIDENCE_MAX_BYTES // (1024 * 1024), **_errors_ctx({}),
            **extra}


def _case_form(request: Request, number: str, errors: dict[str, str],
               notice: str | None = None, status: int = 200) -> Response:
    return _no_store(render(request, "public/case.html", {
        "values": {"number": number}, "notice": notice, **_errors_ctx(errors)},
        status=status))


@page(router, "GET", "/ui/public/case", Permission.PUBLIC)
def case_form(request: Request) -> Response:
    return _case_form(request, "", {})


def _number_and_secret(form: FormData) -> tuple[str, str, dict[str, str]]:
    number, secret = _text(form, "number", 40), _text(form, "secret", 200)
    errors = {}
    if not number:
        errors["number"] = "Enter the case number, like C-000001."
    if not secret:
        errors["secret"] = "Enter the secret you were given when the case was opened."
    return number, secret, errors


@page(router, "POST", "/ui/public/case", Permission.PUBLIC)
async def case_status(request: Request) -> Response:
    form = await request.form()
    number, secret, errors = _number_and_secret(form)
    if errors:
        return _case_form(request, number, errors, status=422)
    try:
        view = await run_in_threadpool(public.public_case, request.app.state.store, number,
                                       secret)
    except e.NotFoundError as exc:
        return _case_form(request, number, {}, notice=_reason(exc) + ". Check both and "
                          "try again: they are on the page you saw when you opened the case.",
                          status=404)
    return _no_store(render(request, "public/case_status.html",
                            _case_ctx(request, view, secret)))


@page(router, "POST", "/ui/public/case/evidence", Permission.PUBLIC)
async def case_evidence(request: Request) -> Response:
    form = await request.form()
    number, secret, errors = _number_and_secret(form)
    if errors:
        return _case_form(request, number, errors, status=422)
    store, cfg = request.app.state.store, request.app.state.config
    try:
        view = await run_in_threadpool(public.public_case, store, number, secret)
    except e.NotFoundError as exc:
        return _case_form(request, number, {}, notice=_reason(exc), status=404)
    upload = form.get("evidence")
    kind = _text(form, "evidence_type")
    alive_text = _text(form, "alive_on")
    problems: dict[str, str] = {}
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems["evidence"] = "Choose a file to send."
    else:
        try:
            data = await run_in_threadpool(public.read_upload, upload.file)
            public.check_evidence(data)
        except e.ValidationError as exc:
            problems["evidence"] = _reason(exc)
    if kind not in public.EVIDENCE_TYPES:
        problems["evidence_type"] = "Choose what the file is."
    alive_on = None
    try:
        alive_on = parse_day(alive_text, "alive_on")
    except e.ValidationError:
        problems["alive_on"] = "Enter the date as year-month-day, for example 2026-11-20."
    if alive_on is not None and kind != "evidence-of-life":
        problems["alive_on"] = ("Only proof that you are alive carries this date: leave it "
                                "empty, or choose that kind of file.")
    if not problems:
        try:
            await run_in_threadpool(
                public.add_public_evidence, store, number, secret, data,
                upload.filename if isinstance(upload, UploadFile) else "evidence",
                evidence_type=kind, cases_dir=cfg.cases_dir, rules=cfg.rules,
                alive_on=alive_on)
        except e.ValidationError as exc:
            problems["evidence"] = _reason(exc)
        except e.ConflictError:
            problems["evidence"] = ("this case no longer takes evidence: a decision on it "
                                    "is being made or has been made. If you have new "
                                    "evidence, write to the registry's office with the "
                                    "case number")
    if problems:
        return _no_store(render(request, "public/case_status.html", _case_ctx(
            request, view, secret, **_errors_ctx(problems), upload_values={
                "evidence_type": kind, "alive_on": alive_text}), status=422))
    view = await run_in_threadpool(public.public_case, store, number, secret)
    return _no_store(render(request, "public/case_status.html", _case_ctx(
        request, view, secret, added="Thank you: your file was received and added to the case.")))


@page(router, "POST", "/ui/public/case/letter", Permission.PUBLIC)
async def case_letter(request: Request) -> Response:
    form = await request.form()
    number, secret, errors = _number_and_secret(form)
    if errors:
        return _case_form(request, number, errors, status=422)
    try:
        name, data, _code = await run_in_threadpool(
            public.public_letter, request.app.state.store, number, secret,
            request.app.state.config.cases_dir)
    except e.NotFoundError as exc:
        return _case_form(request, number, {}, notice=_reason(exc), status=404)
    return _no_store(Response(data, media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="reinstatement-letter-{name}"'}))


# ---------------------------------------------------------------- who saw my record


@page(router, "GET", "/ui/public/accounting", Permission.PUBLIC)
def accounting_form(request: Request) -> Response:
    return render(request, "public/accounting.html",
                  {"values": {}, "entries": None, **_errors_ctx({})})


@page(router, "POST", "/ui/public/accounting", Permission.PUBLIC)
async def accounting_view(request: Request) -> Response:
    form = await request.form()
    values = {name: _text(form, name, 200) for name in ("ssn", "last_name", "date_of_birth")}
    errors: dict[str, str] = {}
    _check_person(values, errors, first_required=False)
    if errors:
        return _no_store(render(request, "public/accounting.html", {
            "values": values, "entries": None, **_errors_ctx(errors)}, status=422))
    try:
        view = await run_in_threadpool(
            accounting.accounting_for_person, request.app.state.store, values["ssn"],
            last_name=values["last_name"], date_of_birth=values["date_of_birth"],
            rule=request.app.state.config.embargo)
    except e.NotFoundError as exc:
        return _no_store(render(request, "public/accounting.html", {
            "values": values, "entries": None, "notice": _reason(exc).capitalize() + ".",
            **_errors_ctx({})}, status=404))
    bases = {b.code: f"{b.title} ({b.citation})" for b in
             await run_in_threadpool(list_bases, request.app.state.store)}
    entries = [{"when": _when(x.disclosed_at), "recipient": x.recipient,
                "address": x.recipient_address, "nature": x.nature.replace("_", " "),
                "purpose": x.purpose, "basis": bases.get(x.basis, x.basis),
                "reference": x.reference} for x in view.entries]
    return _no_store(render(request, "public/accounting.html", {
        "values": {}, "entries": entries, "masked": public.mask_ssn(values["ssn"]),
        **_errors_ctx({})}))
