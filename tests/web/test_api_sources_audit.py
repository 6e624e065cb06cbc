"""Sources, bulk hold actions and the audit log over the API, on both backends: a source
registered then ingested from, an unregistered one refused with its code, a bulk
release under the two-person rule with token identities, checkpoints, proofs a third
party checks, and verification catching a hand edit made with the trigger dropped."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from vitalstat.audit.verify import check_files
from vitalstat.services.keys import PUBLIC
from web_helpers import World


def _reports(ssns: list[str], dob: str = "1930-02-03") -> list[dict[str, str]]:
    return [{"ssn": s, "last_name": f"Person{n}", "first_name": "Test",
             "date_of_death": "2011-01-02", "date_of_birth": dob, "proof": "P",
             "reporter_name": "J. Doe"} for n, s in enumerate(ssns)]


def _ingest(world: World, source_id: str, reports: list[dict[str, str]], key: str,
            kind: str = "funeral-home"):
    return world.client.post("/reports", json={"source_kind": kind, "source_id": source_id,
                                               "reports": reports},
                             headers={**world.auth("registrar"), "Idempotency-Key": key})


def test_register_a_source_then_ingest_and_an_unregistered_one_is_refused(
        world: World) -> None:
    reg = world.auth("registrar")
    refused = _ingest(world, "fh-new", _reports(["523456701"]), "k-1")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unregistered-source"
    made = world.client.post("/sources", headers=reg, json={
        "kind": "funeral-home", "source_id": "fh-new", "surge_ceiling": 2,
        "note": "opened 2026"})
    assert made.status_code == 201, made.text
    assert (made.json()["registered_by"], made.json()["surge_ceiling"]) == ("registrar-1", 2)
    twice = world.client.post("/sources", headers=reg,
                              json={"kind": "funeral-home", "source_id": "fh-new"})
    assert twice.status_code == 409
    ok = _ingest(world, "fh-new", _reports(["523456701"]), "k-2")
    assert ok.status_code == 201 and ok.json()["reports_new"] == 1
    listed = world.client.get("/sources", headers=world.auth("auditor")).json()
    mine = next(s for s in listed if s["source_id"] == "fh-new")
    assert (mine["reports"], mine["batches"]) == (1, 1)
    cleared = world.client.patch("/sources/funeral-home/fh-new", headers=reg,
                                 json={"surge_ceiling": None})
    assert cleared.status_code == 200 and cleared.json()["surge_ceiling"] is None
    nobody = world.client.patch("/sources/family/nobody", headers=reg,
                                json={"surge_ceiling": 1})
    assert nobody.status_code == 404
    negative = world.client.patch("/sources/funeral-home/fh-new", headers=reg,
                                  json={"surge_ceiling": -1})
    assert negative.status_code == 422
    with world.store.transaction(write=False) as tx:
        actors = {(e["kind"], e["actor"]) for e in tx.events(subject="source:funeral-home/fh-new")}
    assert {("source.registered", "registrar-1"), ("source.updated", "registrar-1")} <= actors


def test_bulk_release_needs_a_second_token(world: World) -> None:
    world.client.post("/sources", headers=world.auth("registrar"),
                      json={"kind": "funeral-home", "source_id": "fh-surge",
                            "surge_ceiling": 2})
    ssns = [f"52345670{n}" for n in range(1, 5)]
    held = _ingest(world, "fh-surge", _reports(ssns), "surge-1")
    assert held.status_code == 201 and held.json()["batch_reasons"] == ["source-surge"]
    batch = held.json()["batch_id"]
    proposed = world.client.post("/holds/bulk", headers=world.auth("approver"), json={
        "action": "release", "reason": "the home's year-end file", "batch": batch})
    assert proposed.status_code == 201, proposed.text
    bulk = proposed.json()
    assert (bulk["state"], bulk["size"], bulk["proposed_by"]) == ("proposed", 4, "approver-1")
    number = bulk["number"]
    shown = world.client.get(f"/holds/bulk/{number}", headers=world.auth("auditor")).json()
    assert sorted(shown["outcomes"]) == ssns
    same = world.client.post(f"/holds/bulk/{number}/approve", headers=world.auth("approver"))
    assert same.status_code == 422 and same.json()["error"]["code"] == "self-approval"
    assert world.client.get(f"/holds/{ssns[0]}", headers=world.auth("approver")
                            ).json()["status"] == "held"
    done = world.client.post(f"/holds/bulk/{number}/approve", headers=world.auth("approver-2"))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "applied" and done.json()["tally"] == {"published": 4}
    assert world.client.get(f"/holds/{ssns[0]}", headers=world.auth("approver")
                            ).json()["status"] == "published"
    late = world.client.post(f"/holds/bulk/{number}/refuse", headers=world.auth("admin"),
                             json={"reason": "too late"})
    assert late.status_code == 409
    # a second proposal, refused: nothing changes
    more = _ingest(world, "fh-surge", _reports(["623456701", "623456702", "623456703"]),
                   "surge-2")
    second = world.client.post("/holds/bulk", headers=world.auth("caseworker"), json={
        "action": "release", "reason": "same again", "batch": more.json()["batch_id"]}).json()
    refused = world.client.post(f"/holds/bulk/{second['number']}/refuse",
                                headers=world.auth("approver"), json={"reason": "check first"})
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert world.client.get("/holds/623456701", headers=world.auth("approver")
                            ).json()["status"] == "held"
    listed = world.client.get("/holds/bulk?state=applied", headers=world.auth("registrar"))
    assert [b["number"] for b in listed.json()] == [number]
    nothing = world.client.post("/holds/bulk", headers=world.auth("approver"), json={
        "action": "release", "reason": "x", "batch": 999_999})
    assert nothing.status_code == 404


def _save(tmp: Path, name: str, content: bytes) -> Path:
    path = tmp / name
    path.write_bytes(content)
    return path


def _drop_update_trigger(world: World) -> None:
    """What someone holding the database owner's password could do (no command does)."""
    with world.store.engine.begin() as conn:
        if world.store.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER events_append_only ON events"))


def test_checkpoints_proofs_and_verify_catches_a_hand_edit(world: World) -> None:
    aud = world.auth("auditor")
    first = world.client.post("/audit/checkpoint", headers=aud)
    assert first.status_code == 200, first.text
    assert first.json()["new"] is True
    size1 = first.json()["checkpoint"]["size"]
    again = world.client.post("/audit/checkpoint", headers=aud).json()
    assert again["new"] is False and again["id"] == first.json()["id"]
    world.client.post("/sources", headers=world.auth("registrar"),
                      json={"kind": "family", "source_id": "fam-2"})
    size2 = world.client.post("/audit/checkpoint", headers=aud).json()["checkpoint"]["size"]
    assert size2 > size1
    listed = world.client.get("/audit/checkpoints", headers=aud).json()
    assert [c["size"] for c in listed] == [size1, size2]
    assert listed[0]["created_by"] == "auditor-1"
    verdict = world.client.get("/audit/verify", headers=aud)
    assert verdict.status_code == 200
    assert verdict.json() == {"ok": True, "entries": size2, "checkpoints": 2,
                              "covered": size2, "pending": 0}

    key = Path(world.config.keys) / PUBLIC
    grew = world.client.get(f"/audit/proofs/consistency?first={size1}&second={size2}")
    assert grew.status_code == 200  # no token: hashes and signed checkpoints only
    assert check_files(_save(world.tmp, "grew.json", grew.content), [key]).startswith("ok:")
    assert world.client.get("/audit/proofs/inclusion/3").status_code == 401
    proof = world.client.get(f"/audit/proofs/inclusion/3?size={size1}", headers=aud)
    assert proof.status_code == 200 and proof.json()["leaf_index"] == 2
    assert check_files(_save(world.tmp, "p3.json", proof.content), [key]).startswith(
        "ok: event 3")
    unknown = world.client.get(f"/audit/proofs/consistency?first={size1}&second={size2 + 5}")
    assert unknown.status_code == 404

    _drop_update_trigger(world)
    with world.store.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'mallory' WHERE id = 3"))
    bad = world.client.get("/audit/verify", headers=aud)
    assert bad.status_code == 409
    err = bad.json()["error"]
    assert err["code"] == "audit-log" and err["event_id"] == 3
    assert "first bad entry: event 3" in err["message"]
    edited = world.client.get("/audit/proofs/inclusion/3", headers=aud)
    assert edited.status_code == 409 and edited.json()["error"]["event_id"] == 3


def test_new_error_codes_have_their_statuses() -> None:
    from vitalstat import errors as e
    from vitalstat.web.errors import status_for

    assert status_for(e.RoleRequired("needs admin")) == 403
    assert status_for(e.AuditLogError("edited", event_id=3)) == 409
    assert status_for(e.DisclosureRefused("D-000001", ["missing signer"])) == 422
    assert status_for(e.SelfApprovalError("same user")) == 422
    assert status_for(e.UnregisteredSourceError("who?")) == 422
    assert status_for(e.ProofError("bad path")) == 422


def test_verify_against_a_checkpoint_kept_elsewhere(world: World) -> None:
    aud = world.auth("auditor")
    kept = world.client.post("/audit/checkpoint", headers=aud).json()["checkpoint"]
    ok = world.client.post("/audit/verify", json={"checkpoints": [kept]}, headers=aud)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    sig = kept["signature"]
    forged = {**kept, "signature": ("B" if sig[0] == "A" else "A") + sig[1:]}
    bad = world.client.post("/audit/verify", json={"checkpoints": [forged]}, headers=aud)
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "audit-log"
    junk = world.client.post("/audit/verify", json={"checkpoints": [{"format": "x"}]},
                             headers=aud)
    assert junk.status_code == 422


def test_numbers_in_paths_are_ascii_digits_that_fit(sqlite_world: World) -> None:
    # "²" and "١" are str.isdigit(); 19 digits do not fit a database id
    world = sqlite_world
    for path in ("/holds/bulk/B-{}", "/disclosures/D-{}", "/cases/C-{}"):
        for digits in ("²", "١", "9" * 19):
            resp = world.client.get(path.format(digits), headers=world.auth("admin"))
            assert resp.status_code == 422, (path, digits, resp.text)
            assert resp.json()["error"]["code"] == "invalid"
        assert world.client.get(path.format("9" * 18), headers=world.auth("admin")
                                ).status_code == 404
