"""The caseworker / approver pages in a real browser: a hold released by two people, a
case decided and approved, a disclosure request approved; screenshots of each page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from disclosure_helpers import disclosure_request
from staff_helpers import AGED, add_held_records
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.records import RecordStatus
from vitalstat.services import cases as case_svc
from vitalstat.services.disclosure import submit_request
from vitalstat.services.registry import show_record
from web_helpers import OLD

Shot = Callable[[Any, str], Any]
SignIn = Callable[[Any, str], None]
RULES = IntegrityRules()  # the live server's (seeded_app's default config)


def _other_person(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context


def test_a_caseworker_proposes_releasing_a_hold_and_a_second_person_approves(
        live: Any, page: Any, browser: Any, sign_in: SignIn, shot: Shot) -> None:
    add_held_records(live.store, live.tmp)
    sign_in(page, "caseworker")
    page.goto(f"{live.url}/ui/staff/holds")
    expect(page.get_by_role("heading", name="Holds queue")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("4 records waiting")
    shot(page, "staff-holds")

    # filtering by reason swaps the table in place (htmx) and keeps the filter in the URL
    page.get_by_label("Reason").select_option("age-over-limit")
    expect(page.get_by_role("table")).to_contain_text("1 record waiting (filtered)")
    expect(page).to_have_url(re.compile(r"reason=age-over-limit"))
    assert AGED not in page.url and "6789" not in page.url
    page.get_by_role("row").filter(has_text="DI OH").get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("DI OH"))).to_be_visible()
    record_url = page.url
    assert "6789" not in record_url
    expect(page.get_by_text("the person could have been older than the age limit")
           ).to_be_visible()
    stale = page.context.new_page()  # the same person, in a tab opened before proposing
    stale.goto(record_url)
    shot(page, "staff-record")

    page.get_by_label("Why release it").fill("Born 1930 per the certificate: 1890 was a "
                                             "keying error")
    page.get_by_role("button", name="Propose releasing the hold").click()
    expect(page.get_by_role("status").filter(has_text="Your release is proposed")
           ).to_be_visible()
    expect(page.get_by_text("caseworker-1 proposed to release this record")).to_be_visible()
    expect(page.get_by_role("button", name="Approve the release")).to_be_disabled()
    expect(page.get_by_text("You proposed this release; a second, different person must "
                            "approve it")).to_be_visible()

    # approving one's own proposal from the stale tab: the service refuses, in plain words
    stale.get_by_label("Why release it").fill("me again")
    stale.get_by_role("button", name="Propose releasing the hold").click()
    expect(stale.get_by_role("heading", name="That did not work")).to_be_visible()
    expect(stale.get_by_role("alert")).to_contain_text(
        "proposed this change and cannot also approve it")
    expect(stale.get_by_text("A second person must approve this")).to_be_visible()
    shot(stale, "staff-self-approval-refused")

    other = _other_person(browser)
    try:
        approver = other.new_page()
        sign_in(approver, "approver-2")
        approver.goto(record_url)
        expect(approver.get_by_text("caseworker-1 proposed to release this record")
               ).to_be_visible()
        approver.get_by_label("Why you agree").fill("Certificate checked: born 1930")
        approver.get_by_role("button", name="Approve the release").click()
        expect(approver.get_by_role("status").filter(has_text="The hold is released")
               ).to_be_visible()
        expect(approver.locator("#h-rec + dl")).to_contain_text("published")
        history = approver.locator(".staff-history")
        expect(history).to_contain_text("caseworker-1 proposed releasing the hold")
        expect(history).to_contain_text("caseworker-1 was refused (hold-release)")
        expect(history).to_contain_text(
            "approver-2 released the hold, proposed by caseworker-1: now published")
        expect(approver.get_by_role("heading", name="Decision")).to_be_visible()
        expect(approver.get_by_text("there is no hold to decide")).to_be_visible()
        shot(approver, "staff-record-released")
    finally:
        other.close()
    view = show_record(live.store, AGED)
    assert view.record is not None and view.record.status is RecordStatus.PUBLISHED

    # two funeral homes spell Ann differently: the report that differs is marked
    page.goto(f"{live.url}/ui/staff/holds")
    page.get_by_role("row").filter(has_text="ANNE MARIE SMITH").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Report 2: funeral-home")).to_be_visible()
    expect(page.locator("dd.differs")).to_have_text("ANN differs")
    shot(page, "staff-record-compare")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live.url}/ui/staff/holds")
    expect(page.get_by_role("table")).to_contain_text("3 records waiting")
    shot(page, "staff-holds-mobile")
    page.get_by_role("link", name=re.compile(r"R-\d+")).first.click()
    expect(page.get_by_role("button", name="Propose releasing the hold")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "staff-record-mobile")


def test_a_case_rejected_by_a_caseworker_waits_for_an_approver(
        live: Any, page: Any, browser: Any, sign_in: SignIn, shot: Shot) -> None:
    case = case_svc.open_case(live.store, ssn=OLD, kind="erroneous-death", opened_by="person",
                              contact="bob@example.org", actor="caseworker-1",
                              rules=RULES)
    letter = live.tmp / "passport-scan.txt"
    letter.write_text("synthetic identity document\n", encoding="utf-8")
    case_svc.add_evidence(live.store, case.number, letter, evidence_type="identity-document",
                          actor="caseworker-1", cases_dir=live.tmp / "cases",
                          rules=RULES)
    sign_in(page, "caseworker")
    page.goto(f"{live.url}/ui/staff/cases")
    page.get_by_role("link", name=case.number).click()
    expect(page.get_by_role("heading", name=f"Case {case.number}: erroneous-death")
           ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download passport-scan.txt").click()
    assert download.value.suggested_filename == "passport-scan.txt"
    page.get_by_label("Reject: the listing stands").check()
    page.get_by_label("Why").fill("The passport belongs to a namesake")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Decided by caseworker-1: reject")).to_be_visible()
    expect(page.get_by_text("Waiting for a second person to approve it")).to_be_visible()
    shot(page, "staff-case")

    other = _other_person(browser)
    try:
        approver = other.new_page()
        sign_in(approver, "approver")
        approver.goto(page.url.split("?")[0])
        approver.get_by_role("button", name="Approve").click()
        expect(approver.get_by_role("status").filter(has_text="Rejected")).to_be_visible()
        expect(approver.locator(".staff-history")).to_contain_text("approver-1 decided")
    finally:
        other.close()


def test_an_approver_approves_a_disclosure_request(
        live: Any, page: Any, sign_in: SignIn, shot: Shot) -> None:
    from datetime import UTC, datetime

    view = submit_request(live.store, disclosure_request("routine-use"), actor="agency-1",
                          today=datetime.now(UTC).date())
    sign_in(page, "approver")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Disclosure requests").click()
    expect(page.get_by_role("table")).to_contain_text("Office of the Inspector General")
    page.get_by_role("link", name=view.number).click()
    expect(page.get_by_text("Still waiting for: a second person")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("***-**-6789")
    shot(page, "staff-disclosure")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Approved: every approval")
           ).to_be_visible()
    expect(page.locator(".staff-history")).to_contain_text("approver-1 approved")
