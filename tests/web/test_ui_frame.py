"""The interface's frame without a browser: deny by default, CSRF, safe redirects."""

from __future__ import annotations

import pytest

from vitalstat.domain.access import Permission
from vitalstat.web.ui.base import CSRF_COOKIE, page_permissions
from web_helpers import World


def _csrf(world: World) -> str:
    world.client.get("/ui/sign-in")
    return world.client.cookies[CSRF_COOKIE]


def test_every_page_names_a_permission(sqlite_world: World):
    pages = page_permissions(sqlite_world.app)
    assert ("GET", "/ui/", Permission.PUBLIC) in pages
    assert all(isinstance(p, Permission) for _m, _path, p in pages)


def test_sign_in_sets_an_httponly_strict_cookie_and_refuses_open_redirects(
        sqlite_world: World):
    csrf = _csrf(sqlite_world)
    r = sqlite_world.client.post("/ui/sign-in", data={
        "token": sqlite_world.tokens["caseworker"], "csrf": csrf,
        "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.mark.parametrize("csrf", [None, "wrong"])
def test_a_post_without_the_csrf_value_is_refused(sqlite_world: World, csrf):
    _csrf(sqlite_world)
    data = {"token": sqlite_world.tokens["admin"], **({"csrf": csrf} if csrf else {})}
    r = sqlite_world.client.post("/ui/sign-in", data=data, follow_redirects=False)
    assert r.status_code == 403
    assert "expired or came from another site" in r.text
    assert "vs_session" not in r.headers.get("set-cookie", "")


def test_an_unknown_page_is_a_page_in_plain_words_not_json(sqlite_world: World):
    r = sqlite_world.client.get("/ui/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "There is no such page here." in r.text
    api = sqlite_world.client.get("/no-such-endpoint")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not-found"


def test_an_unexpected_failure_in_a_page_is_a_plain_page_without_details(
        sqlite_world: World, monkeypatch):
    from vitalstat.web.ui import routes_home

    def broken(request, name, context=None, **kw):
        raise RuntimeError("boom 123-45-6789")

    monkeypatch.setattr(routes_home, "render", broken)
    r = sqlite_world.client.get("/ui/")
    assert r.status_code == 500
    assert "Something went wrong on our side" in r.text
    assert "boom" not in r.text and "6789" not in r.text


def test_a_body_over_the_limit_is_refused_while_it_arrives(sqlite_world: World):
    from vitalstat.web import authz

    with sqlite_world.store.transaction(write=False) as tx:
        before = len(tx.events())
    big = b"x" * (authz.BODY_LIMIT + 1)
    api = sqlite_world.client.post("/reports", content=big, headers={
        **sqlite_world.auth("registrar"), "Idempotency-Key": "k1",
        "Content-Type": "application/json"})
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "too-large"
    page = sqlite_world.client.post("/ui/sign-in", content=big, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413
    assert "too large" in page.text and page.headers["content-type"].startswith("text/html")
    with sqlite_world.store.transaction(write=False) as tx:
        assert len(tx.events()) == before  # nothing was stored


def test_a_planted_csrf_cookie_never_reaches_the_page(sqlite_world: World):
    planted = '"><script>alert(1)</script>'
    sqlite_world.client.cookies.set(CSRF_COOKIE, planted, path="/ui")
    r = sqlite_world.client.get("/ui/sign-in")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "alert(1)" not in r.text
    fresh = r.cookies.get(CSRF_COOKIE)
    assert fresh and fresh != planted and f'value="{fresh}"' in r.text
