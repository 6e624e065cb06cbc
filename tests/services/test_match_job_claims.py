"""Match jobs run once, however many server processes offer them (both stores)."""

from __future__ import annotations

from pathlib import Path

from registered import ensure_source
from vitalstat.services.ingest import ingest_file
from vitalstat.services.match_jobs import (
    get_job,
    requeue_interrupted_jobs,
    run_job,
    submit_job,
    unfinished_jobs,
)
from vitalstat.store import Store


def _publish_one(store: Store, tmp_path: Path) -> None:
    vital = tmp_path / "vital.csv"
    vital.write_text("ssn,last_name,first_name,date_of_death,date_of_birth,proof\n"
                     "323456789,Brown,Carol,2012-03-04,1940-05-06,P\n")
    ensure_source(store, "state-vital-records", "ca")
    ingest_file(store, vital, source_kind="state-vital-records", source_id="ca", actor="clerk")


def _queued(store: Store, tmp_path: Path, name: str = "c.csv") -> str:
    upload = tmp_path / name
    upload.write_text("id,ssn,first_name,last_name,dob\na,823456789,No,Body,1970-01-01\n")
    return submit_job(store, upload, input_name=name, actor="analyst",
                      jobs_dir=tmp_path / "jobs").id


def test_a_job_claimed_by_one_runner_is_left_alone_by_another(store: Store, tmp_path: Path):
    job = _queued(store, tmp_path)
    with store.transaction() as tx:
        assert tx.claim_match_job(job) is True
        assert tx.claim_match_job(job) is False  # the second process finds it taken
    # a second runner offered the same job does not run it again
    assert run_job(store, job).state == "running"
    assert unfinished_jobs(store) == []
    with store.transaction(write=False) as tx:
        assert tx.events(kind="match.run") == []


def test_jobs_left_running_are_requeued_once_and_then_run(store: Store, tmp_path: Path):
    job = _queued(store, tmp_path)
    with store.transaction() as tx:
        tx.claim_match_job(job)  # the server that ran it stopped here
    assert unfinished_jobs(store) == []
    assert requeue_interrupted_jobs(store) == [job]
    assert requeue_interrupted_jobs(store) == []  # nothing left running
    assert unfinished_jobs(store) == [job]
    _publish_one(store, tmp_path)
    assert run_job(store, job).state == "done"
    assert get_job(store, job).counts == {"match": 0, "review": 0, "none": 1}
    with store.transaction(write=False) as tx:
        kinds = [e["kind"] for e in tx.events(subject=f"match-job:{job}")]
    assert kinds == ["match.job-submitted", "match.job-requeued"]
