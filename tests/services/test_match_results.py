"""Review marks on a finished match job (both stores): each mark is a row and an event in
one transaction, a mark can be changed with its history kept, the download carries the
mark in force; a paging property; refusals change nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services.match_jobs import MatchJob, run_job, submit_job
from vitalstat.services.match_results import (
    MARK_COLUMNS,
    Mark,
    mark_row,
    results_page,
    results_with_marks,
)
from vitalstat.store import Store
from web_helpers import OLD, _seed

ROWS = ("id,ssn,first_name,last_name,dob\n"
        f"a,{OLD},Robert,Jones,1938-02-20\n"
        f"b,{OLD[:8]}8,Robert,Jones,1938-02-20\n"
        f"c,{OLD},Rob,Jones,1938-02-20\n"
        f"d,{OLD},Richard,Jones,1938-02-20\n"
        f"e,,Robert,Jones,1938-02-20\n"
        "g,12A456789,No,Body,1961-02-30\n")


@pytest.fixture
def job(store: Store, tmp_path: Path) -> Iterator[MatchJob]:
    _seed(store, tmp_path)
    upload = tmp_path / "upload.csv"
    upload.write_text(ROWS)
    queued = submit_job(store, upload, input_name="customers.csv", actor="bank-clerk",
                        jobs_dir=tmp_path / "jobs", subscriber="open-bank")
    done = run_job(store, queued.id)
    assert done.state == "done", done.error
    yield done


def _decisions(job: MatchJob) -> list[str]:
    return [r["decision"] for r in csv.DictReader(job.output.open())]


def _download(store: Store, job: MatchJob) -> list[dict[str, str]]:
    return list(csv.DictReader(results_with_marks(store, job).open()))


def test_a_mark_is_a_row_and_an_event_and_can_be_changed(store: Store, job: MatchJob):
    review = [i for i, d in enumerate(_decisions(job)) if d == "review"]
    assert len(review) >= 2
    row = review[0]
    first = mark_row(store, job, row, "same-person", actor="alice")
    assert first.mark is not None and first.mark.mark == "same-person"
    second = mark_row(store, job, row, "not-same-person", actor="bob")
    assert [(m.mark, m.by) for m in second.history] == [("same-person", "alice"),
                                                        ("not-same-person", "bob")]
    with store.transaction(write=False) as tx:
        events = [json.loads(e["detail"]) for e in tx.events(kind="match.review-marked")]
    assert events == [
        {"row": row, "id": first.id, "mark": "same-person", "previous": None},
        {"row": row, "id": first.id, "mark": "not-same-person", "previous": "same-person"}]
    got = _download(store, job)
    assert list(got[0])[-3:] == list(MARK_COLUMNS)
    assert (got[row]["review_mark"], got[row]["review_marked_by"]) == ("not-same-person",
                                                                         "bob")
    assert all(r["review_mark"] == "" for i, r in enumerate(got) if i != row)


def test_refusals_change_nothing(store: Store, job: MatchJob):
    decisions = _decisions(job)
    not_review = next(i for i, d in enumerate(decisions) if d != "review")
    review = decisions.index("review")
    for row, mark, field in [(not_review, "same-person", "row"), (len(decisions), "same-person",
                             "row"), (-1, "same-person", "row"), (review, "dead", "mark")]:
        with pytest.raises(ValidationError) as caught:
            mark_row(store, job, row, mark, actor="alice")
        assert caught.value.field == field
    with store.transaction(write=False) as tx:
        assert tx.match_review_rows(job.id) == []
        assert tx.events(kind="match.review-marked") == []
    unfinished = MatchJob(**{**{f: getattr(job, f) for f in job.__dataclass_fields__},
                             "state": "running"})
    with pytest.raises(NotFoundError):
        results_page(store, unfinished)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 20), st.sampled_from(list(Mark))), max_size=6))
def test_the_download_carries_the_last_mark_of_every_row(store: Store, job: MatchJob,
                                                         marks) -> None:
    # examples share the job, so the model is what the registry holds before + this draw
    review = [i for i, d in enumerate(_decisions(job)) if d == "review"]
    with store.transaction(write=False) as tx:
        before = tx.match_review_rows(job.id)
    history: dict[int, list[str]] = {}
    for r in before:
        history.setdefault(r["row"], []).append(r["mark"])
    for pick, mark in marks:
        row = review[pick % len(review)]
        mark_row(store, job, row, mark.value, actor="clerk")
        history.setdefault(row, []).append(mark.value)
    got = _download(store, job)
    assert [r["review_mark"] for r in got] == [history[i][-1] if i in history else ""
                                              for i in range(len(got))]
    shown = results_page(store, job, show="review", limit=50).rows
    assert {r.row: [m.mark for m in r.history] for r in shown if r.history} == history


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["all", "match", "review", "none", "problems"]), st.integers(1, 4))
def test_pages_cover_the_filtered_rows_once_in_order(store: Store, job: MatchJob, show: str,
                                                     size: int) -> None:
    decisions = _decisions(job)
    first = results_page(store, job, show=show, limit=size)
    seen = []
    for offset in range(0, first.total, size):
        seen += [r.row for r in results_page(store, job, show=show, offset=offset,
                                             limit=size).rows]
    if show == "all":
        assert seen == list(range(len(decisions)))
    elif show == "problems":
        assert seen == [5]  # the row with the SSN with a letter and 1961-02-30
    else:
        assert seen == [i for i, d in enumerate(decisions) if d == show]
    assert first.total == len(seen)
    assert first.counts["problems"] == 1
