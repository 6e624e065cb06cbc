"""The interface's frame in a real browser: sign-in, roles in the header, plain errors."""

from __future__ import annotations

from playwright.sync_api import expect


def test_sign_in_shows_the_role_and_sign_out_ends_it(live, page, sign_in, shot):
    page.goto(f"{live.url}/ui/")
    expect(page.get_by_role("link", name="Staff and subscriber sign-in").first).to_be_visible()
    sign_in(page, "caseworker")
    expect(page.locator("header")).to_contain_text("caseworker-1 (caseworker)")
    shot(page, "start-caseworker")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("header")).not_to_contain_text("caseworker-1")


def test_a_bad_token_is_refused_in_plain_words(live, page):
    page.goto(f"{live.url}/ui/sign-in")
    page.get_by_label("API token").fill("vs_000000000000_not-a-real-token-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("was not accepted")
    expect(page.locator("header")).not_to_contain_text("Signed in as")
