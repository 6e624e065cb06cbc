"""A subscriber's lookup (``GET /records/{ssn}``, 90% of the API's load): its answers
pinned byte for byte (status, headers, body: the golden file), and every change to the
token or the subscriber's standing applying to the very next request (nothing is
remembered between requests). Both stores."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from vitalstat.services.subscribers import (
    resume_subscriber,
    suspend_subscriber,
    update_subscriber,
)
from vitalstat.services.tokens import list_tokens, revoke_token
from web_helpers import ANN, OLD, VITAL, World

GOLDEN = Path(__file__).parent / "golden" / "lookup_answers.json"
FORGED = "vs_0123456789ab_" + "a" * 32


def _answers(world: World) -> list[dict[str, object]]:
    cases = [("subscriber", OLD), ("subscriber", ANN), ("subscriber-cert", ANN),
             ("subscriber-cert", VITAL), ("subscriber", "623456789"),
             ("subscriber", "223-45-6789"), ("subscriber", "12345"),
             ("subscriber", "666456789"), (None, OLD), ("forged", OLD), ("agency", OLD)]
    out = []
    for who, ssn in cases:
        headers = ({} if who is None else {"Authorization": f"Bearer {FORGED}"}
                   if who == "forged" else world.auth(who))
        r = world.client.get(f"/records/{ssn}", headers=headers)
        out.append({"who": who, "ssn": ssn, "status": r.status_code,
                    "headers": sorted([k, v] for k, v in r.headers.items()),
                    "body": r.content.decode()})
    return out


def test_lookup_answers_are_pinned_byte_for_byte(world: World) -> None:
    got = _answers(world)
    if os.environ.get("VITALSTAT_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_standing_and_revocation_apply_to_the_next_lookup(world: World) -> None:
    def status(who: str = "subscriber-cert", ssn: str = ANN) -> int:
        return world.client.get(f"/records/{ssn}", headers=world.auth(who)).status_code

    assert status() == 200  # certified: a death inside the embargo
    update_subscriber(world.store, "cert-bank", tier="open", actor="clerk")
    assert status() == 404  # open tier now: not until the embargo ends
    update_subscriber(world.store, "cert-bank", tier="certified", actor="clerk",
                      certified_until=date(2099, 12, 31))
    assert status() == 200
    suspend_subscriber(world.store, "cert-bank", actor="clerk")
    assert status() == 404 and status(ssn=OLD) == 404  # suspended: nothing at all
    resume_subscriber(world.store, "cert-bank", actor="clerk")
    assert status() == 200
    info = next(t for t in list_tokens(world.store) if t.name == "cert-bank-app")
    revoke_token(world.store, info.id, actor="admin")
    gone = world.client.get(f"/records/{ANN}", headers=world.auth("subscriber-cert"))
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"
    assert gone.json()["error"]["code"] == "unauthenticated"
    assert status("subscriber", OLD) == 200  # another token of the same kind still works


def test_the_openapi_names_one_bearer_scheme_on_every_guarded_operation(
        sqlite_world: World) -> None:
    """The guard is the bearer scheme itself (one dependency): the OpenAPI still shows
    the one ``HTTPBearer`` scheme, on exactly the operations that need a token."""
    spec = sqlite_world.app.openapi()
    assert spec["components"]["securitySchemes"] == {"HTTPBearer": {
        "type": "http", "description": "an API token: vs_<id>_<secret>", "scheme": "bearer"}}
    ops = [op for item in spec["paths"].values() for op in item.values()]
    assert len(ops) > 50
    for op in ops:
        public = op["x-permission"] == "public"
        assert op.get("security") == (None if public else [{"HTTPBearer": []}]), op
