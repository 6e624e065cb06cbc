"""Words and form helpers of the public pages (``routes_public``): labels, plain-word
states and steps, reading and checking form values, dates in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.responses import Response
from starlette.datastructures import FormData

from vitalstat import errors as e
from vitalstat.domain.cases import CaseKind
from vitalstat.domain.identity import PersonName, normalize_ssn, parse_day
from vitalstat.services import public
from vitalstat.web.errors import mask

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

PERSON = ("ssn", "last_name", "first_name", "date_of_birth")
CORRECTION = (*PERSON, "by", "contact", "kind", "evidence_token", "evidence_type",
               "alive_on")
STEPS = ("about", "wrong", "evidence", "review")
STEP_TITLES = {"about": "About you", "wrong": "What is wrong", "evidence": "Evidence",
                "review": "Check and send"}


def text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def reason(exc: e.VitalstatError) -> str:
    message = str(exc)
    field = getattr(exc, "field", None)
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2:]
    return mask(message)


def no_store(response: Response) -> Response:
    """Pages that carry an SSN, a case secret or a letter are never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def check_person(values: dict[str, str], errors: dict[str, str], *,
                  first_required: bool = True) -> None:
    """Format checks of the person's details (the services check them against the
    record); each problem is put under its field."""
    if not values["ssn"]:
        errors["ssn"] = "Enter your 9-digit Social Security number."
    else:
        try:
            normalize_ssn(values["ssn"])
        except e.ValidationError as exc:
            why = reason(exc)
            errors["ssn"] = f"{why[:1].upper()}{why[1:]}: check the number on your card."
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


def when(iso: str | None) -> str:
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


def partial_day(listed: str) -> str:
    """A date as listed, in words: ``14 September 2010``, ``September 2010`` or ``2010``
    (the DMF allows an unknown day or month)."""
    parts = listed.split("-")
    if len(parts) == 3:
        return when(listed)
    if len(parts) == 2:
        return f"{date(int(parts[0]), int(parts[1]), 1):%B %Y} (day not known)"
    return f"{listed} (day and month not known)"


def errors_ctx(errors: dict[str, str]) -> dict[str, Any]:
    return {"errors": errors, "labels": LABELS}


STATE_WORDS = {
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


def step_words(step: public.PublicStep) -> str:
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
