"""The dashboard and the transparency report in a real browser: the four charts drawn,
the audit log checked from the page (htmx, with its progress text), the public report
with its year selector, and both at a phone's width."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect

from dashboard_helpers import seed_activity
from vitalstat.services import audit

CHARTS = ("Deaths reported per month, by source kind", "Records held or pending, by reason",
          "Time to correction: case opened to record corrected",
          f"Disclosure requests in {datetime.now(UTC).year}, by legal basis and outcome")


def test_the_auditor_sees_the_four_charts_and_verifies_the_log(live, page, sign_in, shot):
    seed_activity(live.store, live.tmp)
    signed = audit.write_checkpoint(live.store, keys=live.tmp / "keys", actor="auditor-1")
    sign_in(page, "auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    for title in CHARTS:  # each chart is an image named by its title, with its table
        expect(page.get_by_role("img", name=title)).to_be_visible()
        expect(page.get_by_role("table", name=f"{title} (the numbers)")).to_be_visible()
    bars = page.locator("#chart-reports rect.bar")
    expect(bars.first).to_be_visible()
    assert bars.count() >= 8
    expect(page.get_by_role("row", name="published").first).to_be_visible()
    expect(page.locator("#audit-h + dl")).to_contain_text(
        f"number {signed.id}, covering the first {signed.signed.size} events")

    page.get_by_role("button", name="Verify the log now").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("OK: the audit log is intact")
    expect(verdict).to_contain_text("entries were recomputed and 1 signed checkpoint checked")
    expect(page.locator("#verify-progress")).to_be_hidden()  # the progress text is gone
    shot(page, "dashboard")


def test_the_progress_text_shows_while_the_check_runs(live, page, sign_in):
    sign_in(page, "admin")
    page.goto(f"{live.url}/ui/dashboard")
    held = []

    def slow(route):  # hold the answer back until the progress text was seen
        held.append(route)

    page.route("**/ui/dashboard/verify", slow)
    with page.expect_request("**/ui/dashboard/verify"):
        page.get_by_role("button", name="Verify the log now").click()
    expect(page.locator("#verify-progress")).to_be_visible()
    expect(page.locator("#verify-progress")).to_contain_text("Checking every entry")
    expect(page.get_by_role("button", name="Verify the log now")).to_be_disabled()
    for _ in range(400):  # the route handler runs when Playwright next reads its events
        if held:
            break
        page.wait_for_timeout(25)
    assert held, "the check was not sent"
    held[0].continue_()
    expect(page.locator("#verdict")).to_contain_text("OK: the audit log is intact")


def test_the_public_transparency_report_and_its_year_selector(live, page, shot):
    seed_activity(live.store, live.tmp)
    year = datetime.now(UTC).year
    page.goto(f"{live.url}/ui/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transparency").click()
    expect(page.get_by_role("heading", name=f"Transparency report {year}")).to_be_visible()
    expect(page.get_by_role("img", name=CHARTS[3])).to_be_visible()
    expect(page.get_by_role("heading", name="What the legal bases mean")).to_be_visible()
    expect(page.get_by_text("Dashboard", exact=True)).to_have_count(0)  # staff only
    shot(page, "transparency")

    page.get_by_label("Year").select_option(str(year - 1))
    page.get_by_role("button", name="Show that year").click()
    expect(page.get_by_role("heading", name=f"Transparency report {year - 1}")).to_be_visible()
    expect(page.get_by_text(f"No requests in {year - 1}.").first).to_be_visible()


def test_both_pages_fit_a_phone(live, page, sign_in, shot):
    seed_activity(live.store, live.tmp)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live.url}/ui/transparency")
    expect(page.get_by_role("img", name=CHARTS[3])).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 375, f"the transparency page is {wide} px wide at 375"
    shot(page, "transparency-mobile")
    sign_in(page, "registrar")
    page.goto(f"{live.url}/ui/dashboard")
    for title in CHARTS:
        expect(page.get_by_role("img", name=title)).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 375, f"the dashboard is {wide} px wide at 375"
    expect(page.get_by_text("needs the auditor or administrator role")).to_be_visible()
    shot(page, "dashboard-mobile")
