"""Every route, called as every role and without a token, against the one policy table.

The expected table is derived from what the app itself uses: each route's declared
permission (``x-permission``) and ``domain.access.POLICY``. Allowed calls may still fail
for other reasons (a missing body, an unknown SSN); what is checked is that they get
past authorization, and that denied calls are refused before anything else.
"""

from __future__ import annotations

import re

import pytest

from vitalstat.domain.access import POLICY, Permission, Role, roles_for
from vitalstat.web.authz import operations
from web_helpers import OLD, World

_PARAMS = {"ssn": OLD, "number": "C-000001", "job_id": "0123456789abcdef", "name": "open-bank",
           "release_id": "1", "delivery_id": "1", "code": "ABCD-ABCD-ABCD-ABCD",
           "kind": "funeral-home", "source_id": "fh-9", "event_id": "1",
           "agreement_id": "CMA-1"}


def _routes(world: World) -> list[tuple[str, str, Permission]]:
    found = operations(world.app)
    for method, path, perm in found:
        assert perm is not None, (method, path)
    return [(m, p, perm) for m, p, perm in found if perm is not None]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _PARAMS[m.group(1)], path)


def _code(resp) -> str | None:
    if resp.headers.get("content-type", "").startswith("application/json"):
        body = resp.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"]["code"]
    return None


def test_every_route_as_every_role_matches_the_policy(sqlite_world: World) -> None:
    world = sqlite_world
    routes = _routes(world)
    assert len(routes) >= 60
    table = {(m, p): roles_for(perm) for m, p, perm in routes}
    # the table is not trivial: every role but admin is refused somewhere, anonymous
    # callers everywhere but the public desk
    for role in Role:
        if role is not Role.ADMIN:
            assert any(role not in roles for roles in table.values()), role
    tried = 0
    for method, path, perm in routes:
        url = _url(path)
        anonymous = world.client.request(method, url)
        if perm is Permission.PUBLIC:
            assert _code(anonymous) not in ("unauthenticated", "forbidden"), (method, path)
        else:
            assert anonymous.status_code == 401, (method, path)
            assert _code(anonymous) == "unauthenticated"
            assert anonymous.headers["www-authenticate"] == "Bearer"
        for role in Role:
            resp = world.client.request(method, url, headers=world.auth(role.value))
            tried += 1
            if role in table[(method, path)]:
                assert resp.status_code not in (401, 403), (method, path, role, resp.text)
                assert resp.status_code < 500, (method, path, role, resp.text)
            else:
                assert resp.status_code == 403, (method, path, role, resp.status_code)
                assert _code(resp) == "forbidden"
    assert tried == len(routes) * len(Role)


def test_a_route_without_a_permission_cannot_be_registered(sqlite_world: World) -> None:
    from fastapi import FastAPI

    from vitalstat.web.authz import check_routes

    app = FastAPI()

    @app.get("/sneaky")
    def sneaky() -> dict[str, str]:
        return {"everything": "here"}

    with pytest.raises(RuntimeError, match="name no permission"):
        check_routes(app)


def test_the_policy_names_every_permission() -> None:
    assert set(POLICY) == set(Permission)
    assert POLICY[Permission.PUBLIC] == frozenset(Role)
    # nothing but the public desk is open to every role
    assert all(roles != frozenset(Role) for p, roles in POLICY.items()
               if p is not Permission.PUBLIC)
    # an agency records disclosure requests and collects their answers, nothing else
    agency = {k for k, v in POLICY.items() if Role.AGENCY in v and k is not Permission.PUBLIC}
    assert agency == {Permission.DISCLOSURES_REQUEST, Permission.DISCLOSURES_READ,
                      Permission.DISCLOSURES_ANSWER, Permission.BASES_READ}
    # the audit log is checked by auditors, never by those whose acts it records alone
    assert roles_for(Permission.AUDIT_READ) == {Role.ADMIN, Role.AUDITOR}


def test_a_revoked_or_forged_token_is_refused(sqlite_world: World) -> None:
    from vitalstat.services.tokens import list_tokens, revoke_token

    world = sqlite_world
    ok = world.client.get(f"/records/{OLD}", headers=world.auth("auditor"))
    assert ok.status_code == 200
    token = world.tokens["auditor"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = world.client.get(f"/records/{OLD}", headers={"Authorization": f"Bearer {forged}"})
    assert bad.status_code == 401
    info = next(t for t in list_tokens(world.store) if t.name == "auditor-1")
    revoke_token(world.store, info.id, actor="admin")
    again = world.client.get(f"/records/{OLD}", headers=world.auth("auditor"))
    assert again.status_code == 401 and _code(again) == "unauthenticated"
    junk = world.client.get(f"/records/{OLD}", headers={"Authorization": "Bearer nope"})
    assert junk.status_code == 401
