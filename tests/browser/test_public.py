"""The public pages in a real browser, as a member of the public (no account): the
correction flow end to end, keyboard use, and the pages at phone width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from disclosure_helpers import disclosure_request
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.services import cases
from vitalstat.services.cases import verify_letter

ROBERT = {"Social Security number": "223-45-6789", "Last name": "Jones",
          "First name": "Robert", "Date of birth": "1938-02-20"}
PDF = b"%PDF-1.4\n% synthetic passport scan\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _fill(page: Any, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=False).first.fill(value)


def _disclose_robert(live: Any) -> str:
    """An agency asks for Robert's record, an approver approves, the agency collects."""
    body = disclosure_request("routine-use", subjects=[{
        "ssn": "223-45-6789", "first_name": "Robert", "last_name": "Jones",
        "date_of_birth": "1938-02-20"}])
    with httpx.Client(base_url=live.url, timeout=30) as api:
        def auth(who: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {live.tokens[who]}"}
        made = api.post("/disclosures", json=body, headers=auth("agency"))
        assert made.status_code == 201, made.text
        number: str = made.json()["number"]
        assert api.post(f"/disclosures/{number}/approve",
                        headers=auth("approver")).status_code == 200
        assert api.post(f"/disclosures/{number}/answer",
                        headers=auth("agency")).status_code == 200
    return number


def test_the_correction_flow_end_to_end_as_a_member_of_the_public(
        live: Any, page: Any, shot: Any, tmp_path: Path) -> None:
    # an agency was given Robert's record (before he noticed; a withdrawn record is
    # answered like no record, so this happens first)
    disclosure = _disclose_robert(live)

    # 1. Am I listed?  Yes: Robert's death (2010) is on the open file
    page.goto(f"{live.url}/ui/")
    page.get_by_role("link", name="Am I listed?").first.click()
    expect(page.get_by_role("heading", name="Am I listed as dead?")).to_be_visible()
    _fill(page, ROBERT)
    shot(page, "public-listed-form")
    page.get_by_role("button", name="Check the open file").click()
    expect(page.get_by_role("heading", name="The open file lists a death")).to_be_visible()
    expect(page.get_by_text("14 September 2010")).to_be_visible()
    assert "223-45-6789" not in page.url and "223456789" not in page.url
    shot(page, "public-listed")

    # 2. Ask for a correction: the details come along; four steps
    page.get_by_role("button", name="Ask for a correction").click()
    expect(page.get_by_role("heading", name="Step 1 of 4: About you")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Jones")
    expect(page.get_by_label("I am asking for myself")).to_be_checked()
    page.get_by_label("How we can reach you").fill("robert.jones@example.org")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Step 2 of 4: What is wrong")).to_be_visible()
    page.get_by_label("I am alive, but I am listed as dead").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Step 3 of 4: Evidence")).to_be_visible()
    scan = tmp_path / "passport.pdf"
    scan.write_bytes(PDF)
    page.get_by_label("Evidence file").set_input_files(str(scan))
    page.get_by_label("What the file is").select_option("identity-document")
    shot(page, "public-correction-evidence")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Step 4 of 4: Check and send")).to_be_visible()
    expect(page.get_by_text("passport.pdf (PDF document")).to_be_visible()
    expect(page.get_by_text("XXX-XX-6789")).to_be_visible()
    shot(page, "public-correction-review")
    page.get_by_role("button", name="Send my request").click()

    # 3. The number and the secret, once, in large type
    expect(page.get_by_role("heading", name="Your case is open")).to_be_visible()
    number = page.locator("#case-number").inner_text().strip()
    secret = page.locator("#case-secret").inner_text().strip()
    assert number.startswith("C-") and len(secret) >= 24
    expect(page.get_by_text("We show the secret only this once")).to_be_visible()
    shot(page, "public-case-opened")
    with live.store.transaction(write=False) as tx:
        record = tx.get_record("223456789")
    assert record is not None and record.status.value == "held"

    def show_case() -> None:
        page.goto(f"{live.url}/ui/public/case")
        page.get_by_label("Case number").fill(number)
        page.get_by_label("Case secret").fill(secret)
        page.get_by_role("button", name="Show my case").click()

    # 4. The status page: open, evidence on file
    show_case()
    expect(page.get_by_role("heading", name=f"Case {number}")).to_be_visible()
    expect(page.get_by_text("Open: we are reviewing it")).to_be_visible()
    expect(page.get_by_role("cell", name="Case opened by you")).to_be_visible()
    expect(page.get_by_text("passport.pdf: An identity document")).to_be_visible()
    shot(page, "public-case-open")

    # 5. Staff decide, with the services (a caseworker; the record is not a state
    #    vital record, so one person may reinstate)
    cfg_cases = live.tmp / "cases"
    cases.decide_case(live.store, number, "reinstate", reason="passport seen in person",
                      actor="caseworker-1", cases_dir=cfg_cases, rules=IntegrityRules())

    # 6. Corrected: the letter, and it verifies
    show_case()
    expect(page.get_by_text("Corrected")).to_be_visible()
    expect(page.get_by_role("cell", name="Decided: the listing was taken off the file")
           ).to_be_visible()
    code = page.locator("#letter-code").inner_text().strip()
    shot(page, "public-case-corrected")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the letter").click()
    letter = tmp_path / "letter.html"
    download.value.save_as(str(letter))
    assert code in letter.read_text(encoding="utf-8")
    check = verify_letter(live.store, code, letter)
    assert check.number == number and check.file_matches is True
    public_check = page.request.get(f"{live.url}/letters/{code}")  # what a bank does
    assert public_check.ok and public_check.json()["number"] == number

    # 7. Who saw my record: the agency's answer about Robert is listed
    page.get_by_role("link", name="Who saw my record").first.click()
    _fill(page, {k: v for k, v in ROBERT.items() if k != "First name"})
    page.get_by_role("button", name="Show who saw my record").click()
    row = page.get_by_role("row").filter(has_text=disclosure)
    expect(row).to_contain_text("Office of the Inspector General")
    expect(row).to_contain_text("benefit fraud case 2026-017")
    shot(page, "public-accounting")


def test_not_listed_answers_in_one_sentence_and_offers_a_case(live: Any, page: Any) -> None:
    # Ann died in 2025: inside the embargo, so not on the open file
    page.goto(f"{live.url}/ui/public/listed")
    _fill(page, {"Social Security number": "123-45-6789", "Last name": "Smith",
                 "First name": "Ann", "Date of birth": "1950-04-11"})
    page.get_by_role("button", name="Check the open file").click()
    expect(page.get_by_text("We found no listing on the open file for these details."
                            )).to_be_visible()
    expect(page.get_by_text("2025")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask for a correction")).to_be_visible()


def test_the_forms_work_from_the_keyboard_and_name_the_wrong_field(
        live: Any, page: Any, shot: Any) -> None:
    page.goto(f"{live.url}/ui/public/listed")
    page.get_by_label("Social Security number").focus()
    page.keyboard.type("666-12-3456")
    page.keyboard.press("Tab")
    page.keyboard.type("Jones")
    page.keyboard.press("Tab")
    page.keyboard.type("Robert")
    page.keyboard.press("Enter")  # submits the form
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Social Security number")
    expect(summary).to_contain_text("never issued")
    expect(summary).to_contain_text("Date of birth")
    expect(page.get_by_label("Social Security number")).to_have_attribute(
        "aria-invalid", "true")
    shot(page, "public-listed-errors")

    # the correction steps: Enter moves forward (never back), Space picks a choice
    page.goto(f"{live.url}/ui/public/correction")
    _fill(page, ROBERT)
    page.get_by_label("How we can reach you").fill("r@example.org")
    page.get_by_label("How we can reach you").press("Enter")
    expect(page.get_by_role("heading", name="Step 2 of 4: What is wrong")).to_be_visible()
    page.get_by_label("I am alive, but I am listed as dead").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 3 of 4: Evidence")).to_be_visible()
    page.get_by_role("button", name="Back").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Step 2 of 4: What is wrong")).to_be_visible()
    expect(page.get_by_label("I am alive, but I am listed as dead")).to_be_checked()


def test_the_pages_fit_a_phone(live: Any, page: Any, shot: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("listed", "correction", "case", "accounting"):
        page.goto(f"{live.url}/ui/public/{path}")
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"), path
    page.goto(f"{live.url}/ui/public/correction")
    shot(page, "public-correction-mobile")
