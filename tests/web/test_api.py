"""The API's behaviour on both backends: idempotent ingest, tier-filtered lookups, the
two-person rule with token identities, cases (also without an account), matching."""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from pathlib import Path

from vitalstat.services.matching import run_match
from web_helpers import ANN, OLD, VITAL, World

REPORT = {"ssn": "423-45-6789", "last_name": "Green", "first_name": "Dora",
          "date_of_death": "2011-01-02", "date_of_birth": "1930-02-03", "proof": "P"}


def _events(world: World, kind: str) -> list[dict]:
    with world.store.transaction(write=False) as tx:
        return tx.events(kind=kind)


def test_ingest_json_is_idempotent_by_key_and_names_the_token(world: World) -> None:
    body = {"source_kind": "funeral-home", "source_id": "fh-1", "reports": [REPORT]}
    head = {**world.auth("registrar"), "Idempotency-Key": "k-1"}
    first = world.client.post("/reports", json=body, headers=head)
    assert first.status_code == 201, first.text
    assert first.json()["reports_new"] == 1 and first.json()["records_created"] == 1
    again = world.client.post("/reports", json=body, headers=head)
    assert again.status_code == 201 and again.json() == first.json()
    batches = _events(world, "reports.ingested")
    assert [e["actor"] for e in batches][-1] == "registrar-1"
    assert len([e for e in batches if e["actor"] == "registrar-1"]) == 1  # no second change
    other = world.client.post("/reports", json={**body, "source_id": "fh-2"}, headers=head)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency-key-reused"
    missing = world.client.post("/reports", json=body, headers=world.auth("registrar"))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid"
    # the same key is another caller's own key: no clash between callers
    mine = world.client.post("/reports", json=body,
                             headers={**world.auth("admin"), "Idempotency-Key": "k-1"})
    assert mine.status_code == 201 and mine.json()["already_ingested"]


def test_ingest_file_upload_and_bad_lines_without_personal_data(world: World,
                                                                caplog) -> None:
    head = {**world.auth("registrar"), "Idempotency-Key": "f-1"}
    data = (b"ssn,last_name,first_name,date_of_death\n"
            b"523456789,White,Eve,2009-05-06\n")
    resp = world.client.post("/reports/file", headers=head,
                             data={"source_kind": "family", "source_id": "fam-1"},
                             files={"file": ("family.csv", data, "text/csv")})
    assert resp.status_code == 201, resp.text
    assert resp.json()["lines"] == 1 and resp.json()["format"] == "csv"
    bad = (b"ssn,last_name,first_name,date_of_death\n"
           b"666456789,Black,Fay,2009-05-06\n")
    with caplog.at_level(logging.DEBUG):
        resp = world.client.post("/reports/file",
                                 headers={**world.auth("registrar"), "Idempotency-Key": "f-2"},
                                 data={"source_kind": "family", "source_id": "fam-1"},
                                 files={"file": ("bad.csv", bad, "text/csv")})
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "bad-lines"
    assert err["problems"] == [{"line": 2, "field": "ssn",
                                "reason": "area number 666 is never issued"}]
    assert "666456789" not in resp.text and "Traceback" not in resp.text
    assert "666456789" not in caplog.text and "Black" not in caplog.text


def test_lookup_is_cut_to_what_the_subscriber_may_receive(world: World) -> None:
    def get(ssn: str, who: str):
        return world.client.get(f"/records/{ssn}", headers=world.auth(who))

    ok = get(OLD, "subscriber")  # open tier, past the embargo
    assert ok.status_code == 200
    assert ok.json()["last_name"] == "JONES" and "status" not in ok.json()
    refused = [get(ssn, "subscriber") for ssn in (ANN, VITAL, "623456789")]
    assert {r.status_code for r in refused} == {404}
    assert len({r.json()["error"]["message"] for r in refused}) == 1  # nothing told apart
    assert get(ANN, "subscriber-cert").status_code == 200  # certified: inside the embargo
    assert get(VITAL, "subscriber-cert").status_code == 404  # restricted: agencies only
    staff = get(VITAL, "caseworker").json()
    assert staff["record"]["restricted"] is True
    assert staff["reports"][0]["source_kind"] == "state-vital-records"
    bad = get("666-45-6789", "caseworker")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid-ssn"


def test_two_person_rule_over_the_api_uses_the_token_identities(world: World) -> None:
    head = {**world.auth("registrar"), "Idempotency-Key": "old-1"}
    too_old = {**REPORT, "ssn": "723456789", "date_of_birth": "1850-01-01"}
    body = {"source_kind": "funeral-home", "source_id": "fh-1", "reports": [too_old]}
    assert world.client.post("/reports", json=body, headers=head).status_code == 201
    queue = world.client.get("/holds", headers=world.auth("approver")).json()
    assert [r["ssn"] for r in queue] == ["723456789"]
    url = "/holds/723456789/release"
    first = world.client.post(url, json={"reason": "age checked"}, headers=world.auth("approver"))
    assert first.status_code == 200 and first.json()["outcome"] == "proposed"
    same = world.client.post(url, json={"reason": "again"}, headers=world.auth("approver"))
    assert same.status_code == 422 and same.json()["error"]["code"] == "self-approval"
    assert "approver-1" in same.json()["error"]["message"]  # the proposer is named
    second = world.client.post(url, json={"reason": "agreed"}, headers=world.auth("approver-2"))
    assert second.status_code == 200 and second.json()["outcome"] == "applied"
    assert second.json()["record"]["status"] == "published"
    with world.store.transaction(write=False) as tx:
        actors = [e["actor"] for e in tx.events(subject="record:723456789")]
    assert "approver-1" in actors and "approver-2" in actors


def test_cases_and_letters_over_the_api(world: World) -> None:
    cw = world.auth("caseworker")
    opened = world.client.post("/cases", headers=cw, json={
        "ssn": ANN, "kind": "erroneous-death", "by": "person", "contact": "ann@example.org"})
    assert opened.status_code == 201, opened.text
    number = opened.json()["number"]
    assert world.client.get(f"/holds/{ANN}", headers=cw).json()["status"] == "held"
    ev = world.client.post(f"/cases/{number}/evidence", headers=cw,
                           data={"type": "identity-document"},
                           files={"file": ("id.txt", b"synthetic id document", "text/plain")})
    assert ev.status_code == 201 and ev.json()["evidence"][0]["type"] == "identity-document"
    done = world.client.post(f"/cases/{number}/decision", headers=cw,
                             json={"outcome": "reinstate", "reason": "identity seen"})
    assert done.status_code == 200, done.text
    assert done.json()["state"] in ("reinstated", "closed")
    code = done.json()["letter_code"]
    check = world.client.get(f"/letters/{code}")  # anyone may check a letter
    assert check.status_code == 200 and check.json()["number"] == number
    assert {s["actor"] for s in done.json()["timeline"]} == {"caseworker-1"}


def test_a_person_opens_a_case_without_an_account(world: World) -> None:
    # the surname and date of birth must agree with the record: one 404 otherwise,
    # whether the SSN is unknown or a detail is wrong
    unknown = world.client.post("/public/cases", json={
        "ssn": "423456789", "last_name": "Jones", "date_of_birth": "1938-02-20",
        "contact": "rob@example.org"})
    wrong_dob = world.client.post("/public/cases", json={
        "ssn": OLD, "last_name": "Jones", "date_of_birth": "1938-02-21",
        "contact": "rob@example.org"})
    assert unknown.status_code == wrong_dob.status_code == 404
    assert unknown.json() == wrong_dob.json()
    resp = world.client.post("/public/cases", json={
        "ssn": OLD, "last_name": "Jones", "date_of_birth": "1938-02-20",
        "contact": "rob@example.org"})
    assert resp.status_code == 201, resp.text
    number, secret = resp.json()["number"], resp.json()["secret"]
    status = world.client.get(f"/public/cases/{number}", headers={"X-Case-Secret": secret})
    assert status.status_code == 200
    assert status.json() == {**status.json(), "number": number, "state": "open"}
    assert "contact" not in status.json() and "ssn" not in status.json()
    wrong = world.client.get(f"/public/cases/{number}", headers={"X-Case-Secret": "x" * 32})
    nobody = world.client.get("/public/cases/C-999999", headers={"X-Case-Secret": secret})
    assert wrong.status_code == nobody.status_code == 404
    assert wrong.json() == nobody.json()
    with world.store.transaction(write=False) as tx:
        stored = tx.case_secret_hash(int(number[2:]))
    assert stored and secret not in stored and stored.startswith("$argon2id$")
    assert world.client.get(f"/holds/{OLD}", headers=world.auth("caseworker")
                            ).json()["status"] == "held"


def _engine_decision(world: World, row: dict[str, str], subscriber: str | None) -> dict:
    path = world.tmp / "one.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["id", *row])
        w.writeheader()
        w.writerow({"id": "r1", **row})
    run_match(world.store, path, world.tmp / "one-out.csv", actor="t", subscriber=subscriber)
    with (world.tmp / "one-out.csv").open() as fh:
        return next(csv.DictReader(fh))


def test_one_row_match_decides_as_the_file_engine(world: World) -> None:
    rows = [
        {"ssn": OLD, "first_name": "Robert", "last_name": "Jones", "dob": "1938-02-20"},
        {"ssn": "223456780", "first_name": "Bob", "last_name": "Jones", "dob": "1938-02-20"},
        {"ssn": ANN, "first_name": "Ann", "last_name": "Smith", "dob": "1950-04-11"},
        {"ssn": "823456789", "first_name": "Nobody", "last_name": "Here", "dob": "1970-01-01"},
    ]
    paths = set()
    for who, sub in (("caseworker", None), ("subscriber", "open-bank")):
        for row in rows:
            got = world.client.post("/match", json=row, headers=world.auth(who))
            assert got.status_code == 200, got.text
            want = _engine_decision(world, row, sub)
            g = got.json()
            paths.add(g["path"])
            assert (g["decision"], g["dmf_ssn"], g["reasons"]) == (
                want["decision"], want["dmf_ssn"], want["reasons"]), (who, row)
    assert paths == {"pre-pass", "scored"}
    ann = world.client.post("/match", json=rows[2], headers=world.auth("subscriber")).json()
    assert ann["decision"] == "none"  # inside the embargo: open tier may not have it


def test_match_job_submit_poll_download(world: World) -> None:
    data = ("id,ssn,first_name,last_name,dob\n"
            f"a,{OLD},Robert,Jones,1938-02-20\nb,823456789,No,Body,1970-01-01\n").encode()
    sub = world.client.post("/match/jobs", headers=world.auth("subscriber"),
                            files={"file": ("customers.csv", data, "text/csv")})
    assert sub.status_code == 202, sub.text
    job = sub.json()["id"]
    deadline = time.monotonic() + 120
    while True:
        state = world.client.get(f"/match/jobs/{job}", headers=world.auth("subscriber")).json()
        if state["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state["state"] == "done", state
    assert state["counts"]["match"] == 1
    got = world.client.get(state["results"], headers=world.auth("subscriber"))
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(r["id"], r["decision"]) for r in rows] == [("a", "match"), ("b", "none")]
    # another caller cannot see it
    other = world.client.get(f"/match/jobs/{job}", headers=world.auth("subscriber-cert"))
    assert other.status_code == 404


def test_release_delivery_and_signed_downloads(world: World) -> None:
    built = world.client.post("/releases", headers=world.auth("registrar"))
    assert built.status_code == 200 and built.json()["built"], built.text
    rid = built.json()["release"]["id"]
    manifest = world.client.get(f"/releases/{rid}/files/manifest.json",
                                headers=world.auth("auditor"))
    assert manifest.status_code == 200 and b'"release"' in manifest.content
    assert world.client.get(f"/releases/{rid}/files/..%2Fx", headers=world.auth("auditor")
                            ).status_code in (404, 422)
    sent = world.client.post("/subscribers/open-bank/deliveries", headers=world.auth("admin"))
    assert sent.status_code == 201, sent.text
    did = sent.json()["id"]
    mine = world.client.get(f"/deliveries/{did}/files/full.dmf", headers=world.auth("subscriber"))
    assert mine.status_code == 200 and OLD.encode() in mine.content
    assert ANN.encode() not in mine.content  # embargoed for the open tier
    sig = world.client.get(f"/deliveries/{did}/files/manifest.json.minisig",
                           headers=world.auth("subscriber"))
    assert sig.status_code == 200
    theirs = world.client.get(f"/deliveries/{did}/files/full.dmf",
                              headers=world.auth("subscriber-cert"))
    assert theirs.status_code == 404
    listed = world.client.get("/subscribers/open-bank/deliveries",
                              headers=world.auth("subscriber-cert"))
    assert listed.status_code == 404


def test_health_metrics_and_logs_carry_no_ssn(sqlite_world: World, caplog) -> None:
    world = sqlite_world
    assert world.client.get("/health").json()["status"] == "ok"
    with caplog.at_level(logging.DEBUG):
        world.client.get(f"/records/{OLD}", headers=world.auth("subscriber"))
        world.client.get("/records/666456789", headers=world.auth("subscriber"))
    text = world.client.get("/metrics").text
    assert 'route="/records/{ssn}",status="200"' in text
    assert "vitalstat_http_request_seconds_bucket" in text
    server_log = "\n".join(r.getMessage() for r in caplog.records
                           if r.name.startswith(("vitalstat", "uvicorn")))
    assert OLD not in text and OLD not in server_log and "666456789" not in server_log
    assert "/records/{ssn}" in server_log  # the access log names the route template
    spec = world.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    docs = world.client.get("/docs")
    assert docs.status_code == 200
    # works offline: every asset the page loads is served by the app itself
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert world.client.get(asset).status_code == 200, asset


def test_a_verified_token_is_not_hashed_again(sqlite_world: World, monkeypatch) -> None:
    from vitalstat.services import tokens

    world = sqlite_world
    verifier = world.app.state.verifier
    checks = []
    real = tokens.verify_secret

    def counting(stored: str, secret: str) -> bool:  # the real check, counted
        checks.append(1)
        return real(stored, secret)

    monkeypatch.setattr(tokens, "verify_secret", counting)
    verifier._verified.clear()
    for _ in range(20):
        world.client.get(f"/records/{OLD}", headers=world.auth("auditor"))
    assert len(checks) == 1
    monkeypatch.setattr(verifier, "ttl", -1.0)  # expired: checked again
    verifier._verified.clear()
    world.client.get(f"/records/{OLD}", headers=world.auth("auditor"))
    world.client.get(f"/records/{OLD}", headers=world.auth("auditor"))
    assert len(checks) == 3


def test_cases_dir_holds_evidence_by_hash(world: World) -> None:
    cw = world.auth("caseworker")
    number = world.client.post("/cases", headers=cw, json={
        "ssn": OLD, "kind": "erroneous-death", "by": "staff", "contact": "desk"}).json()["number"]
    world.client.post(f"/cases/{number}/evidence", headers=cw, data={"type": "other"},
                      files={"file": ("note.txt", b"a synthetic note", "text/plain")})
    import hashlib

    digest = hashlib.sha256(b"a synthetic note").hexdigest()
    assert (Path(world.config.cases_dir) / "evidence" / digest).is_file()


def test_the_server_runs_its_sync_routes_on_its_own_few_threads(sqlite_world: World) -> None:
    """The routes outside the event loop share ``ServerConfig.threads`` threads (not
    Starlette's 40, which fight the event loop for the GIL under load)."""
    from anyio import to_thread

    portal = sqlite_world.client.portal
    assert portal is not None
    tokens = portal.call(lambda: _tokens(to_thread))
    assert tokens == sqlite_world.config.threads == 8


async def _tokens(to_thread) -> float:  # type: ignore[no-untyped-def]
    return to_thread.current_default_thread_limiter().total_tokens
