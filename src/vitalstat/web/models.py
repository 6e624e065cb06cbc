"""Response and request bodies shared by the routers (pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from vitalstat.domain.records import DeathRecord

__all__ = ["PublicRecord", "RecordOut", "ReportIn", "public_fields", "public_record",
           "record_out"]


class PublicRecord(BaseModel):
    """The DMF's public fields of a record (what a subscriber's files carry)."""

    ssn: str
    last_name: str
    first_name: str
    middle_name: str
    suffix: str
    date_of_death: str | None
    date_of_birth: str | None
    proof: str
    state: str
    zip_residence: str
    zip_payment: str


class RecordOut(PublicRecord):
    status: str
    review_reasons: list[str]
    restricted: bool
    report_count: int
    version: int


def public_fields(rec: DeathRecord) -> dict[str, str | None]:
    """The :class:`PublicRecord` of ``rec`` as a plain dict (the same keys, in order):
    what the lookup answers, without building the model only to dump it again."""
    return {"ssn": rec.ssn, "last_name": rec.name.last, "first_name": rec.name.first,
            "middle_name": rec.name.middle, "suffix": rec.name.suffix,
            "date_of_death": rec.date_of_death.iso() if rec.date_of_death else None,
            "date_of_birth": rec.date_of_birth.iso() if rec.date_of_birth else None,
            "proof": rec.proof.value, "state": rec.state, "zip_residence": rec.zip_residence,
            "zip_payment": rec.zip_payment}


def public_record(rec: DeathRecord) -> PublicRecord:
    return PublicRecord(**public_fields(rec))


def record_out(rec: DeathRecord) -> RecordOut:
    return RecordOut(**public_record(rec).model_dump(), status=rec.status.value,
                     review_reasons=[r.value for r in rec.review_reasons],
                     restricted=rec.restricted, report_count=rec.report_count,
                     version=rec.version)


_FIELD = Field(default=None, max_length=200)


class ReportIn(BaseModel):
    """One death report: the columns of the CSV schema (README "File formats")."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = _FIELD
    ssn: str = Field(max_length=20)
    last_name: str = Field(max_length=200)
    first_name: str | None = _FIELD
    middle_name: str | None = _FIELD
    suffix: str | None = _FIELD
    date_of_death: str = Field(max_length=20)
    date_of_birth: str | None = _FIELD
    proof: str | None = _FIELD
    sex: str | None = _FIELD
    state: str | None = _FIELD
    zip_residence: str | None = _FIELD
    zip_payment: str | None = _FIELD
    source_report_id: str | None = _FIELD
    reporter_name: str | None = _FIELD
    reporter_relationship: str | None = _FIELD
    reporter_contact: str | None = _FIELD
