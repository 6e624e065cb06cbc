"""A subscriber in a real browser: upload a file, watch it finish, filter to review rows,
mark one in place, download the results; then the deliveries and a correction notice."""

from __future__ import annotations

import csv

from playwright.sync_api import expect

from subscriber_helpers import CUSTOMERS, delivery_with_notice


def test_a_subscriber_uploads_a_file_marks_a_row_and_downloads_results(
        live, page, sign_in, shot, tmp_path):
    sign_in(page, "subscriber")
    page.get_by_role("link", name="Match a file").first.click()
    expect(page.get_by_role("heading", name="Match a file")).to_be_visible()
    shot(page, "subscriber-match")
    upload = tmp_path / "customers.csv"
    upload.write_text(CUSTOMERS)
    page.get_by_label("Your file (.csv or .xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and match").click()
    expect(page.get_by_role("heading", name="Results of customers.csv")).to_be_visible()
    # the fragment polls until the job is done, then shows the results in place
    expect(page.get_by_text("Done. 3 rows", exact=False)).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Bad value: SSN not usable", exact=False)).to_be_visible()
    shot(page, "subscriber-results")

    page.get_by_role("link", name="Review (", exact=False).click()
    row = page.locator("tr", has=page.get_by_role("cell", name="d", exact=True))
    expect(row).to_be_visible()
    expect(page.get_by_role("cell", name="g", exact=True)).to_have_count(0)
    row.get_by_role("button", name="Not the same person").click()
    expect(row.get_by_text("Not the same person", exact=True).first).to_be_visible()
    expect(row.locator("strong")).to_have_text("Not the same person")
    row.get_by_role("button", name="Confirmed: same person").click()
    expect(row.locator("strong")).to_have_text("Confirmed: same person")
    expect(row.get_by_text("Earlier marks (1)")).to_be_visible()
    shot(page, "subscriber-review")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download results (CSV)").click()
    saved = tmp_path / "results.csv"
    info.value.save_as(saved)
    rows = {r["id"]: r for r in csv.DictReader(saved.open())}
    assert set(rows) == {"a", "d", "g"}
    assert rows["d"]["review_mark"] == "same-person"
    assert rows["g"]["decision"] == "none"

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    expect(page.get_by_role("button", name="Confirmed: same person").first).to_be_visible()
    shot(page, "subscriber-review-mobile")


def test_a_subscriber_sees_its_deliveries_and_a_correction_notice(live, page, sign_in, shot):
    _first, second, case = delivery_with_notice(live.store, live.tmp)
    sign_in(page, "subscriber")
    page.get_by_role("link", name="My deliveries").first.click()
    expect(page.get_by_role("heading", name=f"Delivery {second}: release 2, update"))\
        .to_be_visible()
    expect(page.get_by_role("heading", name="Correction notices (1)")).to_be_visible()
    expect(page.get_by_text("Remove each person below from your death list")).to_be_visible()
    expect(page.get_by_role("cell", name=case)).to_be_visible()
    shot(page, "subscriber-deliveries")
    with page.expect_download() as info:
        page.get_by_role("link", name="full.dmf").click()
    assert info.value.suggested_filename == "full.dmf"
