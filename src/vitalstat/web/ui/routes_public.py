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

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from vitalstat import errors as e
from vitalstat.domain.access import Permission
from vitalstat.domain.identity import mask_ssn, parse_day
from vitalstat.services import accounting, public
from vitalstat.services.disclosure_bases import list_bases
from vitalstat.web.ui.base import NavItem, page, render
from vitalstat.web.ui.formats import today
from vitalstat.web.ui.public_words import (
    BY,
    CORRECTION,
    KINDS,
    NOT_LISTED,
    PERSON,
    REVIEW_DAYS,
    STATE_WORDS,
    STEP_TITLES,
    STEPS,
    check_person,
    errors_ctx,
    no_store,
    partial_day,
    reason,
    step_words,
    text,
    when,
)

router = APIRouter()
NAV: list[NavItem] = [
    NavItem("Am I listed?", "/ui/public/listed", Permission.PUBLIC),
    NavItem("Ask for a correction", "/ui/public/correction", Permission.PUBLIC),
    NavItem("Check a case", "/ui/public/case", Permission.PUBLIC),
    NavItem("Who saw my record", "/ui/public/accounting", Permission.PUBLIC),
]

# ---------------------------------------------------------------- am I listed?


@page(router, "GET", "/ui/public/listed", Permission.PUBLIC)
def listed_form(request: Request) -> Response:
    return render(request, "public/listed.html", {"values": {}, **errors_ctx({})})


@page(router, "POST", "/ui/public/listed", Permission.PUBLIC)
async def listed(request: Request) -> Response:
    form = await request.form()
    values = {name: text(form, name, 200) for name in PERSON}
    errors: dict[str, str] = {}
    check_person(values, errors)
    if errors:
        return no_store(render(request, "public/listed.html",
                                {"values": values, **errors_ctx(errors)}, status=422))
    cfg = request.app.state.config
    found = await run_in_threadpool(
        public.open_file_listing, request.app.state.store, values["ssn"],
        last_name=values["last_name"], first_name=values["first_name"],
        date_of_birth=values["date_of_birth"], today=today(), rule=cfg.embargo)
    return no_store(render(request, "public/listed_answer.html", {
        "values": values, "found": found, "not_listed": NOT_LISTED,
        "masked": mask_ssn(values["ssn"]),
        "dod": partial_day(found.date_of_death) if found else ""}))


# ---------------------------------------------------------------- ask for a correction


def _correction_ctx(step: str, values: dict[str, str], errors: dict[str, str],
                    **extra: Any) -> dict[str, Any]:
    return {"step": step, "steps": STEPS, "step_titles": STEP_TITLES, "values": values,
            "kinds": KINDS, "by_options": BY, "evidence_types": public.EVIDENCE_TYPES,
            "max_mb": public.EVIDENCE_MAX_BYTES // (1024 * 1024), **errors_ctx(errors),
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
            errors["evidence"] = reason(exc)
    if values.get("evidence_token") and "evidence" not in errors:
        try:
            kept = public.staged_evidence(cfg.cases_dir, values["evidence_token"])
            staged = {"file_name": kept.file_name, "kind": kept.kind,
                      "size_kb": max(1, kept.size // 1024)}
        except e.ValidationError as exc:
            values["evidence_token"] = ""
            errors["evidence"] = reason(exc)
        if values.get("evidence_type") not in public.EVIDENCE_TYPES:
            errors["evidence_type"] = "Choose what the file is."
    if values.get("alive_on"):
        try:
            day = parse_day(values["alive_on"], "alive_on")
            if values.get("evidence_type") != "evidence-of-life":
                errors["alive_on"] = ("Only proof that you are alive carries this date: "
                                      "leave it empty, or choose that kind of file.")
            elif day is not None and day > today():
                errors["alive_on"] = "This date is in the future."
        except e.ValidationError:
            errors["alive_on"] = "Enter the date as year-month-day, for example 2026-11-20."
    return staged


@page(router, "POST", "/ui/public/correction", Permission.PUBLIC)
async def correction(request: Request) -> Response:
    form = await request.form()
    values = {name: text(form, name) for name in CORRECTION}
    step = text(form, "step")
    goto = text(form, "goto")
    errors: dict[str, str] = {}
    store = request.app.state.store
    if step not in STEPS:  # arriving with details carried over ("Am I listed?")
        values["by"] = values["by"] or "person"
        return no_store(render(request, "public/correction.html",
                                _correction_ctx("about", values, {})))
    if goto in STEPS and STEPS.index(goto) < STEPS.index(step):  # back, nothing checked
        return no_store(render(request, "public/correction.html",
                                _correction_ctx(goto, values, {})))
    staged: dict[str, Any] = {}
    notice = None
    if step == "about":
        check_person(values, errors)
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
                notice = reason(exc)
    elif step == "wrong":
        if values["kind"] not in KINDS:
            errors["kind"] = "Choose what is wrong."
    elif step == "evidence":
        staged = await _stage(request, form, values, errors)
    if errors or notice:
        status = 422 if errors else 404
        return no_store(render(request, "public/correction.html", _correction_ctx(
            step, values, errors, staged=staged, notice=notice), status=status))
    if step != "review":
        target = STEPS[STEPS.index(step) + 1]
        return no_store(render(request, "public/correction.html", _correction_ctx(
            target, values, errors, staged=staged, masked=mask_ssn(values["ssn"]),
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
            return no_store(render(request, "public/correction.html", _correction_ctx(
                "evidence", values, {"evidence": reason(exc)}), status=422))
    try:
        case, secret = await run_in_threadpool(
            public.open_case_public, store, ssn=values["ssn"], last_name=values["last_name"],
            date_of_birth=values["date_of_birth"], first_name=values["first_name"],
            kind=values["kind"], opened_by=values["by"], contact=values["contact"],
            rules=cfg.rules)
    except e.NotFoundError as exc:
        return no_store(render(request, "public/correction.html", _correction_ctx(
            "about", values, {}, notice=reason(exc)), status=404))
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
            evidence_problem = reason(exc)
    return no_store(render(request, "public/case_opened.html", {
        "number": case.number, "secret": secret, "review_days": REVIEW_DAYS,
        "evidence_filed": kept is not None and evidence_problem is None,
        "evidence_problem": evidence_problem}, status=201))


# ---------------------------------------------------------------- check a case

def _case_ctx(request: Request, view: public.PublicCase, secret: str, **extra: Any
              ) -> dict[str, Any]:
    title, badge, meaning = STATE_WORDS.get(view.state, (view.state, "badge-warn", ""))
    return {"case": view, "secret": secret, "base_url": str(request.base_url).rstrip("/"),
            "state_title": title, "badge": badge, "meaning": meaning,
            "kind_words": KINDS.get(view.kind, view.kind),
            "steps": [(when(s.at), step_words(s)) for s in view.steps],
            "evidence": [{**ev, "type_words": public.EVIDENCE_TYPES.get(
                ev["type"], ev["type"]).split(" (")[0], "when": when(ev["received_at"])}
                for ev in view.evidence],
            "opened": when(view.opened_at), "decided": when(view.decided_at),
            "evidence_types": public.EVIDENCE_TYPES, "review_days": REVIEW_DAYS,
            "max_mb": public.EVIDENCE_MAX_BYTES // (1024 * 1024), **errors_ctx({}),
            **extra}


def _case_form(request: Request, number: str, errors: dict[str, str],
               notice: str | None = None, status: int = 200) -> Response:
    return no_store(render(request, "public/case.html", {
        "values": {"number": number}, "notice": notice, **errors_ctx(errors)},
        status=status))


@page(router, "GET", "/ui/public/case", Permission.PUBLIC)
def case_form(request: Request) -> Response:
    return _case_form(request, "", {})


def _number_and_secret(form: FormData) -> tuple[str, str, dict[str, str]]:
    number, secret = text(form, "number", 40), text(form, "secret", 200)
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
        return _case_form(request, number, {}, notice=reason(exc) + ". Check both and "
                          "try again: they are on the page you saw when you opened the case.",
                          status=404)
    return no_store(render(request, "public/case_status.html",
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
        return _case_form(request, number, {}, notice=reason(exc), status=404)
    upload = form.get("evidence")
    kind = text(form, "evidence_type")
    alive_text = text(form, "alive_on")
    problems: dict[str, str] = {}
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems["evidence"] = "Choose a file to send."
    else:
        try:
            data = await run_in_threadpool(public.read_upload, upload.file)
            public.check_evidence(data)
        except e.ValidationError as exc:
            problems["evidence"] = reason(exc)
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
            problems["evidence"] = reason(exc)
        except e.ConflictError:
            problems["evidence"] = ("this case no longer takes evidence: a decision on it "
                                    "is being made or has been made. If you have new "
                                    "evidence, write to the registry's office with the "
                                    "case number")
    if problems:
        return no_store(render(request, "public/case_status.html", _case_ctx(
            request, view, secret, **errors_ctx(problems), upload_values={
                "evidence_type": kind, "alive_on": alive_text}), status=422))
    view = await run_in_threadpool(public.public_case, store, number, secret)
    return no_store(render(request, "public/case_status.html", _case_ctx(
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
        return _case_form(request, number, {}, notice=reason(exc), status=404)
    return no_store(Response(data, media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="reinstatement-letter-{name}"'}))


# ---------------------------------------------------------------- who saw my record


@page(router, "GET", "/ui/public/accounting", Permission.PUBLIC)
def accounting_form(request: Request) -> Response:
    return render(request, "public/accounting.html",
                  {"values": {}, "entries": None, **errors_ctx({})})


@page(router, "POST", "/ui/public/accounting", Permission.PUBLIC)
async def accounting_view(request: Request) -> Response:
    form = await request.form()
    values = {name: text(form, name, 200) for name in ("ssn", "last_name", "date_of_birth")}
    errors: dict[str, str] = {}
    check_person(values, errors, first_required=False)
    if errors:
        return no_store(render(request, "public/accounting.html", {
            "values": values, "entries": None, **errors_ctx(errors)}, status=422))
    try:
        view = await run_in_threadpool(
            accounting.accounting_for_person, request.app.state.store, values["ssn"],
            last_name=values["last_name"], date_of_birth=values["date_of_birth"],
            rule=request.app.state.config.embargo)
    except e.NotFoundError as exc:
        return no_store(render(request, "public/accounting.html", {
            "values": values, "entries": None, "notice": reason(exc).capitalize() + ".",
            **errors_ctx({})}, status=404))
    bases = {b.code: f"{b.title} ({b.citation})" for b in
             await run_in_threadpool(list_bases, request.app.state.store)}
    entries = [{"when": when(x.disclosed_at), "recipient": x.recipient,
                "address": x.recipient_address, "nature": x.nature.replace("_", " "),
                "purpose": x.purpose, "basis": bases.get(x.basis, x.basis),
                "reference": x.reference} for x in view.entries]
    return no_store(render(request, "public/accounting.html", {
        "values": {}, "entries": entries, "masked": mask_ssn(values["ssn"]),
        **errors_ctx({})}))
