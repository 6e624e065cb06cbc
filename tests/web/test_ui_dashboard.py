"""The dashboard and transparency pages without a browser (both stores): who may see
them, CSRF, bad input named, the numbers they show against what the services recorded,
and the audit log check (OK, altered, not possible)."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dashboard_helpers import CORRECTION_DAYS, PLAN, seed_activity
from vitalstat.domain.access import Permission, Role, allowed
from vitalstat.errors import ValidationError
from vitalstat.services import audit
from vitalstat.services.dashboard import dashboard, month_window
from vitalstat.services.sources import register_source
from vitalstat.web.ui.base import CSRF_COOKIE, page_permissions
from vitalstat.web.ui.routes_dashboard import parse_year, when
from web_helpers import World

TODAY = datetime.now(UTC).date()
HTMX = {"HX-Request": "true"}


def _sign_in(world: World, who: str) -> str:
    """Sign the test client in as ``who``; returns the CSRF value of its forms."""
    world.client.get("/ui/sign-in")
    csrf = world.client.cookies[CSRF_COOKIE]
    r = world.client.post("/ui/sign-in", data={"token": world.tokens[who], "csrf": csrf},
                          follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf


def _events(world: World) -> int:
    with world.store.transaction(write=False) as tx:
        return tx.event_count()


def test_the_pages_name_their_permissions(sqlite_world: World) -> None:
    pages = page_permissions(sqlite_world.app)
    assert ("GET", "/ui/dashboard", Permission.STATS_READ) in pages
    assert ("POST", "/ui/dashboard/verify", Permission.AUDIT_READ) in pages
    assert ("GET", "/ui/transparency", Permission.PUBLIC) in pages


def test_without_a_sign_in_the_dashboard_redirects_and_transparency_is_open(
        sqlite_world: World) -> None:
    c = sqlite_world.client
    r = c.get("/ui/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/sign-in?next=/ui/dashboard"
    c.get("/ui/sign-in")
    r = c.post("/ui/dashboard/verify", headers={"X-CSRF-Token": c.cookies[CSRF_COOKIE]},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/sign-in")
    r = c.get("/ui/transparency")
    assert r.status_code == 200 and "Transparency report" in r.text
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', r.text, re.S)
    assert nav is not None and "/ui/transparency" in nav.group(0)
    assert "/ui/dashboard" not in nav.group(0)  # not offered to whoever may not open it


def test_each_role_gets_exactly_what_the_policy_table_gives_it(sqlite_world: World) -> None:
    c = sqlite_world.client
    for role in Role:
        csrf = _sign_in(sqlite_world, role.value)
        page = c.get("/ui/dashboard")
        verify = c.post("/ui/dashboard/verify", headers={**HTMX, "X-CSRF-Token": csrf})
        may_read = allowed(role, Permission.STATS_READ)
        may_verify = allowed(role, Permission.AUDIT_READ)
        assert page.status_code == (200 if may_read else 403), role
        assert verify.status_code == (200 if may_verify else 403), role
        if not may_read:
            assert "this page needs another role" in page.text
        else:  # the button is offered only to whoever may use it
            assert ("Verify the log now" in page.text) is may_verify, role
        assert c.get("/ui/transparency").status_code == 200


def test_verifying_without_the_csrf_value_is_refused(sqlite_world: World) -> None:
    _sign_in(sqlite_world, "auditor")
    before = _events(sqlite_world)
    for headers in (HTMX, {**HTMX, "X-CSRF-Token": "forged"}):
        r = sqlite_world.client.post("/ui/dashboard/verify", headers=headers)
        assert r.status_code == 403 and "expired or came from another site" in r.text
    assert _events(sqlite_world) == before


def test_a_bad_year_is_a_page_naming_the_field(sqlite_world: World) -> None:
    _sign_in(sqlite_world, "auditor")
    for year in ("20x6", "1899", "10000", "２０２６", "-2026", " "):
        for path in ("/ui/transparency", "/ui/dashboard"):
            r = sqlite_world.client.get(path, params={"year": year})
            if not year.strip():  # left empty: this year
                assert r.status_code == 200 and f"{TODAY.year}" in r.text
                continue
            assert r.status_code == 422, (path, year)
            assert "year:" in r.text and "is not a year" in r.text


def test_the_dashboard_shows_what_the_services_recorded(world: World) -> None:
    seeded = seed_activity(world.store, world.tmp)
    d = dashboard(world.store, today=TODAY)
    assert d.months == month_window(TODAY, 12) and d.months[-1] == TODAY.strftime("%Y-%m")
    per_kind = dict(d.reports_by_month)
    for month, sent in seeded.months.items():
        i = d.months.index(month)
        for kind, n in sent.items():
            if month != d.months[-1]:  # this month also holds web_helpers' seed
                assert per_kind[kind][i] == n, (month, kind)
            else:
                assert per_kind[kind][i] >= n
    # every report was received inside the window: the months add up to the totals
    assert {k: sum(v) for k, v in per_kind.items()} == d.counts["reports_by_source_kind"]
    assert sorted(per_kind) == sorted({kind for sends in PLAN.values() for kind, _ in sends})
    assert dict(d.holds_by_reason) == d.counts["review_reasons"]
    assert {"single-unverified", "death-before-birth", "minor-non-vital",
            "conflicting-date-of-death"} <= set(dict(d.holds_by_reason))
    assert [round(x) for x in d.correction_days] == list(CORRECTION_DAYS)
    assert d.counts["records_by_status"]["withdrawn"] == len(seeded.corrected)
    cross = {(b, o): n for b, o, n in d.transparency.by_basis_and_outcome}
    assert cross == {("program-fraud", "answered"): 1, ("routine-use", "answered"): 1,
                     ("program-fraud", "denied"): 1, ("court-order", "pending"): 1,
                     ("program-fraud", "refused"): 1}
    assert d.audit.checkpoint_id is None and d.audit.since == d.audit.events

    _sign_in(world, "registrar")
    html = world.client.get("/ui/dashboard").text
    for chart in ("chart-reports", "chart-holds", "chart-corrections", "chart-disclosures"):
        assert f'<figure class="chart" id="{chart}">' in html
    assert html.count('<rect class="bar"') == (
        sum(1 for _, v in d.reports_by_month for x in v if x) + len(d.holds_by_reason)
        + len(CORRECTION_DAYS) + len(cross))
    assert f"{d.counts['records']:,} records from {d.counts['reports']:,} death reports" in html
    assert "No signed checkpoint yet" in html
    assert "Verify the log now" not in html  # a registrar reads stats, not the audit log
    assert re.search(r"\b\d{9}\b", html) is None  # counts only: no SSN on the page


def test_transparency_shows_the_numbers_of_the_api(world: World) -> None:
    seed_activity(world.store, world.tmp)
    api = world.client.get("/transparency", params={"year": TODAY.year}).json()
    html = world.client.get("/ui/transparency", params={"year": str(TODAY.year)}).text
    assert f"<dt>Requests recorded in {TODAY.year}</dt><dd>{api['requests']}</dd>" in html
    assert f"<dd>{api['records_disclosed']}</dd>" in html
    for count in api["by_basis"] + api["by_outcome"] + api["by_agency"]:
        assert f'<th scope="row">{count["name"]}</th><td>{count["count"]}</td>' in html
    assert {(c["basis"], c["outcome"], c["count"]) for c in api["by_basis_and_outcome"]} == {
        ("program-fraud", "answered", 1), ("routine-use", "answered", 1),
        ("program-fraud", "denied", 1), ("court-order", "pending", 1),
        ("program-fraud", "refused", 1)}
    assert html.count('<rect class="bar"') == len(api["by_basis_and_outcome"])
    assert "What the legal bases mean" in html and "20 CFR 401.155(c)" in html
    for private in ("123456789", "SMITH", "Smith", "Dana Reyes"):  # no subject, no signer
        assert private not in html
    other = world.client.get("/ui/transparency", params={"year": "2001"}).text
    assert "No requests in 2001." in other and '<rect class="bar"' not in other


def test_the_audit_status_and_the_check_of_the_log(world: World) -> None:
    csrf = _sign_in(world, "auditor")
    signed = audit.write_checkpoint(world.store, keys=world.config.keys, actor="auditor-1")
    html = world.client.get("/ui/dashboard").text
    assert f"number {signed.id}, covering the first {signed.signed.size} events" in html
    assert "at the request of auditor-1" in html and signed.signed.key_id in html
    assert "the checkpoint covers the whole log" in html

    before = _events(world)
    ok = world.client.post("/ui/dashboard/verify", headers={**HTMX, "X-CSRF-Token": csrf})
    assert ok.status_code == 200 and "<html" not in ok.text  # the verdict alone
    assert "OK: the audit log is intact" in ok.text
    assert f"All {before} entries were recomputed and 1 signed checkpoint checked" in ok.text
    page = world.client.post("/ui/dashboard/verify", data={"csrf": csrf})  # without script
    assert page.status_code == 200 and "<html" in page.text and "OK: the audit" in page.text
    assert _events(world) == before  # checking writes nothing
    register_source(world.store, kind="family", source_id="fam-9", actor="registrar-1")
    html = world.client.get("/ui/dashboard").text
    assert "<dt>Events since</dt><dd>1, not yet covered by a signed checkpoint" in html

    with world.store.engine.begin() as conn:  # what only the database owner could do
        if world.store.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER events_append_only ON events"))
        conn.execute(text("UPDATE events SET actor = 'mallory' WHERE id = 3"))
    bad = world.client.post("/ui/dashboard/verify", headers={**HTMX, "X-CSRF-Token": csrf})
    assert bad.status_code == 200  # a verdict, shown in place
    assert "does not check out" in bad.text and "first bad entry: event 3" in bad.text
    assert "The first bad entry is event 3." in bad.text


def test_a_check_that_cannot_run_says_why(sqlite_world: World, tmp_path: Path) -> None:
    csrf = _sign_in(sqlite_world, "admin")
    sqlite_world.app.state.config = dataclasses.replace(sqlite_world.config,
                                                        keys=tmp_path / "no-keys")
    r = sqlite_world.client.post("/ui/dashboard/verify", headers={**HTMX, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "could not be checked" in r.text and "not-found" in r.text
    r = sqlite_world.client.post("/ui/dashboard/verify", data={"csrf": csrf})
    assert r.status_code == 404 and "no public key" in r.text  # the plain error page


def test_the_dashboard_service_refuses_a_window_out_of_range(sqlite_world: World) -> None:
    for months in (0, 121):
        with pytest.raises(ValidationError, match="months") as caught:
            dashboard(sqlite_world.store, today=TODAY, months=months)
        assert caught.value.field == "months"
    assert month_window(datetime(2026, 2, 3).date(), 3) == ["2025-12", "2026-01", "2026-02"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12) | st.integers(-100, 20000).map(str))
def test_the_year_parser_takes_four_ascii_digits_in_range_or_names_the_field(text_: str
                                                                           ) -> None:
    today = TODAY
    try:
        year = parse_year(text_, today)
    except ValidationError as exc:
        assert exc.field == "year"
        value = text_.strip()
        assert not (value.isascii() and value.isdigit() and 1900 <= int(value) <= 9999)
        return
    if not text_.strip():
        assert year == today.year
    else:
        assert year == int(text_.strip()) and 1900 <= year <= 9999


@given(st.dates(min_value=date(1901, 1, 1)), st.integers(1, 120))
def test_the_month_window_is_consecutive_and_ends_this_month(today: date, months: int
                                                             ) -> None:
    window = month_window(today, months)
    assert len(window) == months and window[-1] == today.strftime("%Y-%m")
    for a, b in itertools.pairwise(window):
        ya, ma = map(int, a.split("-"))
        yb, mb = map(int, b.split("-"))
        assert (yb * 12 + mb) - (ya * 12 + ma) == 1


def test_times_are_shown_in_utc_to_the_second() -> None:
    assert when("2026-12-01T11:26:44.715501+00:00") == "2026-12-01 11:26:44 UTC"
    assert when("2026-12-01T06:26:44-05:00") == "2026-12-01 11:26:44 UTC"
    assert when("not a time") == "not a time"
