"""Accountable disclosure: legal bases, request validation, approvals, minimal answers,
accounting visibility and retention. Pure: standard library and dataclasses only.

The rules come from DOMAIN.md section 4 ("Disclosure to other agencies"):

* Privacy Act 5 U.S.C. 552a(b)(7): a civil or criminal law-enforcement activity
  authorised by law, on a *written* request from the head of the agency naming the
  records wanted and the activity.
* SSA's stricter 20 CFR 401.155 (POMS GN 03312.001-.110): (b) serious or violent crime
  where the subject is indicted or convicted (**suspects: no**); (c) fraud or abuse in
  income or health programmes; national-security requests go to the **Privacy
  Officer**. A valid request is in writing, names the subject (first and last name, SSN
  and DOB; without an SSN: name, DOB and one more identifier), the exact records wanted
  and why they are relevant, and is signed by a supervisor not below section chief.
  Name + SSN that match more than one record: no disclosure. Never reveal the true
  holder of an SSN that belongs to someone else.
* Accounting of disclosures, 552a(c): date, nature, purpose, recipient name and address
  of every disclosure, kept at least 5 years or the life of the record, whichever is
  longer; shown to the individual on request except (b)(7) law-enforcement entries.
* Computer matching (CMPPA 1988, 552a(o),(p),(u)): bulk matching needs a written
  agreement approved by a Data Integrity Board, effective 30-40 days after notice,
  lasting 18 months (+12 once); no adverse action on a match until it is independently
  verified and the person has had notice and 30 days to contest.

Legal bases are *data* (:class:`LegalBasis`, seeded from :data:`DEFAULT_BASES` and
editable by an admin), but an edit may not go below the floors the law sets
(:func:`basis_problems`): every basis needs a second user's approval, bulk needs a
matching agreement and its Data Integrity Board, 401.155(b) needs an indictment or
conviction, national security the Privacy Officer.

Deny by default: a request is ``pending`` until every approval its basis lists is in,
and only an ``approved`` request is ever answered.

The package: ``bases`` (legal bases, floors, approvals), ``requests`` (parsing and
validation), ``answers`` (subject resolution, minimisation, accounting, retention).
"""

from __future__ import annotations

from vitalstat.domain.disclosure.answers import (
    ACCOUNTING_YEARS,
    MATCHING_NOTICE,
    AccountingEntry,
    PersonView,
    RecordView,
    Resolution,
    may_purge,
    minimise,
    person_view,
    resolve_subject,
    retention_ends,
)
from vitalstat.domain.disclosure.bases import (
    DEFAULT_BASES,
    Approval,
    ApprovalRecord,
    CaseStatus,
    Field,
    LegalBasis,
    Need,
    Rank,
    RequestState,
    approval_missing,
    basis_problems,
    check_approver,
)
from vitalstat.domain.disclosure.requests import (
    NOTICE_DAYS,
    REQUEST_KEYS,
    SUBJECT_KEYS,
    DisclosureRequest,
    MatchingAgreement,
    Subject,
    agreement_problems,
    parse_request,
    parse_subject,
    parse_subject_spec,
    request_problems,
)

__all__ = [
    "ACCOUNTING_YEARS",
    "DEFAULT_BASES",
    "MATCHING_NOTICE",
    "NOTICE_DAYS",
    "REQUEST_KEYS",
    "SUBJECT_KEYS",
    "AccountingEntry",
    "Approval",
    "ApprovalRecord",
    "CaseStatus",
    "DisclosureRequest",
    "Field",
    "LegalBasis",
    "MatchingAgreement",
    "Need",
    "PersonView",
    "Rank",
    "RecordView",
    "RequestState",
    "Resolution",
    "Subject",
    "agreement_problems",
    "approval_missing",
    "basis_problems",
    "check_approver",
    "may_purge",
    "minimise",
    "parse_request",
    "parse_subject",
    "parse_subject_spec",
    "person_view",
    "request_problems",
    "resolve_subject",
    "retention_ends",
]

