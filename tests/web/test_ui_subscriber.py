"""Subscriber pages without a browser: who may see what, CSRF, bad input, what each
action changes in the store (both stores via ``world``)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from subscriber_helpers import CUSTOMERS, delivery_with_notice, wait_for, xlsx_bytes
from vitalstat.services.match_jobs import run_job, submit_job
from vitalstat.web.ui.base import CSRF_COOKIE
from web_helpers import OLD, World

PAGES = ["/ui/subscriber/match", "/ui/subscriber/deliveries"]


def _sign_in(world: World, who: str) -> str:
    world.client.get("/ui/sign-in")
    csrf = world.client.cookies[CSRF_COOKIE]
    r = world.client.post("/ui/sign-in", data={"token": world.tokens[who], "csrf": csrf},
                          follow_redirects=False)
    assert r.status_code == 303
    return csrf


def _upload(world: World, csrf: str, name: str, body: bytes) -> str:
    r = world.client.post("/ui/subscriber/match", data={"csrf": csrf},
                          files={"file": (name, body, "application/octet-stream")},
                          follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def _events(world: World, kind: str) -> list[dict]:
    with world.store.transaction(write=False) as tx:
        return [json.loads(e["detail"]) for e in tx.events(kind=kind)]


@pytest.mark.parametrize("path", [*PAGES, "/ui/subscriber/jobs/0123456789abcdef"])
def test_every_page_needs_a_sign_in(sqlite_world: World, path: str):
    r = sqlite_world.client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/sign-in?next=")


@pytest.mark.parametrize(("who", "path"), [("registrar", PAGES[0]), ("auditor", PAGES[0]),
                                           ("registrar", PAGES[1]), ("caseworker", PAGES[1])])
def test_a_role_without_the_permission_is_refused(sqlite_world: World, who: str, path: str):
    _sign_in(sqlite_world, who)
    r = sqlite_world.client.get(path)
    assert r.status_code == 403
    assert "this page needs another role" in r.text


def test_the_nav_shows_the_subscriber_links(sqlite_world: World):
    _sign_in(sqlite_world, "subscriber")
    r = sqlite_world.client.get("/ui/")
    assert 'href="/ui/subscriber/match"' in r.text and "My deliveries" in r.text


def test_an_upload_without_the_csrf_value_is_refused_and_queues_nothing(sqlite_world: World):
    _sign_in(sqlite_world, "subscriber")
    r = sqlite_world.client.post("/ui/subscriber/match",
                                 files={"file": ("c.csv", CUSTOMERS.encode(), "text/csv")},
                                 follow_redirects=False)
    assert r.status_code == 403
    assert _events(sqlite_world, "match.job-submitted") == []


def test_upload_results_filter_mark_and_download(world: World):
    csrf = _sign_in(world, "subscriber")
    job_id = _upload(world, csrf, "customers.csv", CUSTOMERS.encode())
    job = wait_for(world.store, job_id)
    assert job.state == "done" and job.subscriber == "open-bank"
    page = world.client.get(f"/ui/subscriber/jobs/{job_id}")
    assert page.status_code == 200
    assert "3 rows" in page.text and "Download results (CSV)" in page.text
    # the bad row is matched on the rest, its problems shown on it
    assert "Bad value: SSN not usable" in page.text and "day 30 does not exist" in page.text
    decisions = {r["id"]: r["decision"] for r in csv.DictReader(job.output.open())}
    review = [i for i, d in decisions.items() if d == "review"]
    assert "d" in review and decisions["g"] == "none"
    only = world.client.get(f"/ui/subscriber/jobs/{job_id}?show=review")
    assert only.status_code == 200
    assert ">d</td>" in only.text and ">g</td>" not in only.text
    bad = world.client.get(f"/ui/subscriber/jobs/{job_id}?show=problems")
    assert ">g</td>" in bad.text and ">d</td>" not in bad.text

    row = list(decisions).index("d")
    marked = world.client.post(f"/ui/subscriber/jobs/{job_id}/rows/{row}",
                               data={"mark": "not-same-person", "csrf": csrf},
                               headers={"HX-Request": "true"})
    assert marked.status_code == 200
    assert marked.text.lstrip().startswith(f'<tr id="row-{row}"')  # the row, in place
    assert "<strong>Not the same person</strong>" in marked.text
    again = world.client.post(f"/ui/subscriber/jobs/{job_id}/rows/{row}",
                              data={"mark": "same-person", "csrf": csrf},
                              follow_redirects=False)
    assert again.status_code == 303  # a plain form goes back to the page
    with world.store.transaction(write=False) as tx:
        history = tx.match_review_rows(job_id, row)
    assert [(h["mark"], h["marked_by"], h["row_id"]) for h in history] == [
        ("not-same-person", "subscriber-1", "d"), ("same-person", "subscriber-1", "d")]
    assert [(e["row"], e["mark"], e["previous"]) for e in
            _events(world, "match.review-marked")] == [
        (row, "not-same-person", None), (row, "same-person", "not-same-person")]
    shown = world.client.get(f"/ui/subscriber/jobs/{job_id}?show=review")
    assert "Earlier marks (1)" in shown.text

    got = world.client.get(f"/ui/subscriber/jobs/{job_id}/results.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(got.text))}
    assert rows["d"]["review_mark"] == "same-person"
    assert rows["d"]["review_marked_by"] == "subscriber-1"
    assert rows["g"]["review_mark"] == "" and rows["g"]["decision"] == "none"
    api = world.client.get(f"/match/jobs/{job_id}/results", headers=world.auth("subscriber"))
    assert api.text == got.text  # the API serves the same file


def test_another_subscriber_sees_nothing_of_the_job(sqlite_world: World):
    w = sqlite_world
    job_id = _upload(w, _sign_in(w, "subscriber"), "c.csv", CUSTOMERS.encode())
    assert wait_for(w.store, job_id).state == "done"
    csrf = _sign_in(w, "subscriber-cert")
    for path in (f"/ui/subscriber/jobs/{job_id}", f"/ui/subscriber/jobs/{job_id}/results.csv",
                 f"/ui/subscriber/jobs/{job_id}/progress"):
        assert w.client.get(path).status_code == 404, path
    r = w.client.post(f"/ui/subscriber/jobs/{job_id}/rows/1",
                      data={"mark": "same-person", "csrf": csrf})
    assert r.status_code == 404
    assert "c.csv" not in w.client.get("/ui/subscriber/match").text
    with w.store.transaction(write=False) as tx:
        assert tx.match_review_rows(job_id) == []


@pytest.mark.parametrize(("query", "field"), [("show=bogus", "show"), ("page=x", "page"),
                                              ("page=0", "page"), ("page=9", "page")])
def test_a_bad_filter_or_page_names_the_field(sqlite_world: World, query: str, field: str):
    w = sqlite_world
    job_id = _upload(w, _sign_in(w, "subscriber"), "c.csv", CUSTOMERS.encode())
    assert wait_for(w.store, job_id).state == "done"
    r = w.client.get(f"/ui/subscriber/jobs/{job_id}?{query}")
    assert r.status_code == 422, r.text
    assert f"{field}:" in r.text


def test_marking_refuses_a_bad_mark_and_a_row_that_is_not_review(sqlite_world: World):
    w = sqlite_world
    csrf = _sign_in(w, "subscriber")
    job_id = _upload(w, csrf, "c.csv", CUSTOMERS.encode())
    assert wait_for(w.store, job_id).state == "done"
    cases = [("1", "dead"), ("2", "same-person"), ("7", "same-person"), ("x", "same-person")]
    for row, mark in cases:
        r = w.client.post(f"/ui/subscriber/jobs/{job_id}/rows/{row}",
                          data={"mark": mark, "csrf": csrf})
        assert r.status_code == 422, (row, mark, r.text)
        assert ("mark:" if mark == "dead" else "row:") in r.text
    assert "only review rows are marked" in w.client.post(
        f"/ui/subscriber/jobs/{job_id}/rows/2", data={"mark": "same-person", "csrf": csrf}).text
    with w.store.transaction(write=False) as tx:
        assert tx.match_review_rows(job_id) == []


def test_a_wrong_kind_of_file_names_the_file_field(sqlite_world: World):
    w = sqlite_world
    csrf = _sign_in(w, "subscriber")
    r = w.client.post("/ui/subscriber/match", data={"csrf": csrf},
                      files={"file": ("notes.txt", b"id\n1\n", "text/plain")})
    assert r.status_code == 422
    assert "notes.txt: file: expected a .csv, .xlsx or .parquet file name" in r.text
    for files in ({"file": ("", b"", "application/octet-stream")}, None):
        r = w.client.post("/ui/subscriber/match", data={"csrf": csrf}, files=files)
        assert r.status_code == 400 and "Choose a file to upload" in r.text
    assert _events(w, "match.job-submitted") == []


def test_an_excel_file_is_matched_like_its_csv(sqlite_world: World):
    w = sqlite_world
    csrf = _sign_in(w, "subscriber")
    body = xlsx_bytes([["id", "ssn", "first_name", "last_name", "dob"],
                       ["a", int(OLD), "Robert", "Jones", "1938-02-20"]])
    job = wait_for(w.store, _upload(w, csrf, "customers.xlsx", body))
    assert job.state == "done" and job.input_name == "customers.xlsx"
    (row,) = list(csv.DictReader(job.output.open()))
    assert (row["id"], row["decision"], row["dmf_ssn"]) == ("a", "match", OLD)


def test_an_excel_file_with_bad_cells_is_refused_naming_each_cell(sqlite_world: World):
    w = sqlite_world
    csrf = _sign_in(w, "subscriber")
    body = xlsx_bytes([["id", "ssn", "first_name"], ["a", 12.5, "Ann"], ["b", True, "Bo"]])
    r = w.client.post("/ui/subscriber/match", data={"csrf": csrf},
                      files={"file": ("people.xlsx", body, "application/octet-stream")})
    assert r.status_code == 422
    assert "line 2: sheet &#39;Sheet&#39; cell B2 (ssn): 12.5 is a decimal number" in r.text
    assert "line 3: sheet &#39;Sheet&#39; cell B3 (ssn): TRUE/FALSE" in r.text
    assert _events(w, "match.job-submitted") == []


def test_a_failed_job_says_why_in_plain_words(sqlite_world: World):
    w = sqlite_world
    csrf = _sign_in(w, "subscriber")
    job = wait_for(w.store, _upload(w, csrf, "c.csv", b"id,colour\n1,red\n"))
    assert job.state == "failed"
    r = w.client.get(f"/ui/subscriber/jobs/{job.id}")
    assert "This file could not be matched" in r.text and "unknown column(s): colour" in r.text


def test_the_progress_fragment_polls_until_the_job_ends(sqlite_world: World):
    w = sqlite_world
    _sign_in(w, "subscriber")
    upload = w.tmp / "upload.csv"
    upload.write_text(CUSTOMERS)
    # queued by the service, not handed to the runner: it stays queued until run here
    job = submit_job(w.store, upload, input_name="c.csv", actor="subscriber-1",
                     jobs_dir=w.config.jobs_dir, subscriber="open-bank")
    page = w.client.get(f"/ui/subscriber/jobs/{job.id}")
    assert 'hx-trigger="every 1s"' in page.text and '<progress id="job-progress"' in page.text
    wait = w.client.get(f"/ui/subscriber/jobs/{job.id}/progress")
    assert wait.text.lstrip().startswith('<div id="job-status"')  # a fragment, no page
    assert "waiting to start" in wait.text and 'value="1"' in wait.text
    assert run_job(w.store, job.id).state == "done"
    done = w.client.get(f"/ui/subscriber/jobs/{job.id}/progress")
    assert "every 1s" not in done.text and "Download results (CSV)" in done.text


def test_deliveries_list_files_and_correction_notices(world: World):
    first, second, case = delivery_with_notice(world.store, world.tmp)
    _sign_in(world, "subscriber")
    r = world.client.get("/ui/subscriber/deliveries")
    assert r.status_code == 200
    assert f"Delivery {first}: release 1, full file" in r.text
    assert f"Delivery {second}: release 2, update" in r.text
    assert "Remove each person below from your death list" in r.text
    assert f"<td data-label=\"SSN\">{OLD}</td><td data-label=\"Case\">{case}</td>" in r.text
    assert f'href="/ui/subscriber/deliveries/{second}/files/corrections.csv"' in r.text
    got = world.client.get(f"/ui/subscriber/deliveries/{first}/files/full.dmf")
    assert got.status_code == 200 and OLD.encode() in got.content
    sig = world.client.get(f"/ui/subscriber/deliveries/{second}/files/manifest.json.minisig")
    assert sig.status_code == 200
    assert world.client.get(f"/ui/subscriber/deliveries/{first}/files/..%2Fx"
                            ).status_code == 404
    # cert-bank: none of open-bank's deliveries, not even by number
    _sign_in(world, "subscriber-cert")
    mine = world.client.get("/ui/subscriber/deliveries")
    assert "has had no delivery yet" in mine.text and OLD not in mine.text
    assert world.client.get(f"/ui/subscriber/deliveries/{first}/files/full.dmf"
                            ).status_code == 404
    # staff with the permission choose the subscriber
    _sign_in(world, "auditor")
    staff = world.client.get("/ui/subscriber/deliveries?subscriber=open-bank")
    assert staff.status_code == 200 and f"Delivery {second}" in staff.text


def test_big_results_are_paged_with_real_links(sqlite_world: World, monkeypatch):
    from vitalstat.web.ui import routes_subscriber

    monkeypatch.setattr(routes_subscriber, "PAGE_SIZE", 2)
    w = sqlite_world
    job_id = _upload(w, _sign_in(w, "subscriber"), "c.csv", CUSTOMERS.encode())
    assert wait_for(w.store, job_id).state == "done"
    first = w.client.get(f"/ui/subscriber/jobs/{job_id}")
    assert "Page 1 of 2" in first.text and ">a</td>" in first.text and ">g</td>" not in first.text
    assert f'href="/ui/subscriber/jobs/{job_id}?show=all&amp;page=2" rel="next"' in first.text
    second = w.client.get(f"/ui/subscriber/jobs/{job_id}?show=all&page=2")
    assert "Page 2 of 2" in second.text and ">g</td>" in second.text
    assert ">a</td>" not in second.text and 'rel="prev"' in second.text
