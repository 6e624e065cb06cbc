"""The reference a match runs against, on both backends."""

from __future__ import annotations

import pytest

from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import DeathRecord, RecordStatus
from vitalstat.domain.reports import ProofLevel
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services.matching import reference_for
from vitalstat.store import Store


def test_reference_is_published_and_held_records_and_knows_what_is_held_now(
        store: Store) -> None:
    with store.transaction() as tx:
        for ssn, status in (("123456789", RecordStatus.PUBLISHED),
                            ("223456789", RecordStatus.HELD),
                            ("323456789", RecordStatus.WITHDRAWN)):
            tx.save_record(DeathRecord(
                ssn=ssn, name=PersonName("SMITH", "ANN"), status=status,
                date_of_death=PartialDate.parse("2020-05-01"),
                date_of_birth=PartialDate.parse("1940-01-00"), proof=ProofLevel("P"),
                report_count=1), now="2026-11-01T00:00:00+00:00", existed=False)
    ref = reference_for(store, None)
    assert ref.table is not None
    assert ref.table.column("ssn").to_pylist() == ["123456789", "223456789"]
    assert ref.held_now == {"223456789", "323456789"}
    with pytest.raises(NotFoundError, match="no release 7"):
        reference_for(store, "7")
    with pytest.raises(ValidationError, match="not a release number"):
        reference_for(store, "r1")
