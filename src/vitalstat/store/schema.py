"""The registry's tables (SQLAlchemy Core). Migrations in ``migrations/`` build exactly this.

Dates are text ``YYYY-MM-DD`` with ``00`` for unknown parts (see ``domain.identity``);
times are ISO-8601 UTC text, so both backends store and compare them identically.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = [
    "DEATH_COLUMNS",
    "api_tokens",
    "audit_checkpoints",
    "audit_leaves",
    "batches",
    "bulk_action_items",
    "bulk_actions",
    "case_evidence",
    "case_secrets",
    "case_steps",
    "cases",
    "deliveries",
    "delivery_ledger",
    "disclosure_accounting",
    "disclosure_approvals",
    "disclosure_requests",
    "disclosure_subjects",
    "events",
    "hold_decisions",
    "idempotency_keys",
    "legal_bases",
    "life_evidence",
    "match_jobs",
    "match_reviews",
    "matching_agreements",
    "metadata",
    "records",
    "releases",
    "reports",
    "signing_keys",
    "source_days",
    "sources",
    "subscribers",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Integer on SQLite (so it is the rowid alias), BIGINT on PostgreSQL.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("registered_by", String(200), nullable=False),
    # deaths this source may report in one day; NULL: the VITALSTAT_SURGE_CEILING default
    Column("surge_ceiling", Integer),
    Column("note", Text, nullable=False, server_default=""),
    UniqueConstraint("kind", "source_id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_pk", Integer, ForeignKey("sources.id"), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("reports_new", Integer, nullable=False),
    Column("reports_duplicate", Integer, nullable=False),
    Column("lines_quarantined", Integer, nullable=False),
    UniqueConstraint("source_pk", "file_sha256"),
)

#: New reports a source sent each day (UTC), the surge ceiling's count: one row read and
#: bumped per batch, where summing the day's batches grew with every batch (an API client
#: sends one a request). Kept in the batch's own transaction (migration 0010).
source_days = Table(
    "source_days",
    metadata,
    Column("source_pk", Integer, ForeignKey("sources.id"), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("reports_new", Integer, nullable=False),
)

def _death_columns() -> list[Column[object]]:
    """What a report says and a record holds about one death (fresh objects per table)."""
    return [
        Column("last_name", Text, nullable=False),
        Column("suffix", String(8), nullable=False),
        Column("first_name", Text, nullable=False),
        Column("middle_name", Text, nullable=False),
        Column("proof", String(1), nullable=False),
        Column("date_of_death", String(10)),
        Column("date_of_birth", String(10)),
        Column("state", String(2), nullable=False),
        Column("zip_residence", String(5), nullable=False),
        Column("zip_payment", String(5), nullable=False),
    ]


#: Names of those columns: the set-based record path copies exactly these.
DEATH_COLUMNS: tuple[str, ...] = tuple(c.name for c in _death_columns())

reports = Table(
    "reports",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False),
    Column("source_pk", Integer, ForeignKey("sources.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("action", String(1), nullable=False),
    Column("ssn", String(9), nullable=False),
    *_death_columns(),
    Column("sex", String(1), nullable=False),
    Column("reporter_name", Text, nullable=False),
    Column("reporter_relationship", Text, nullable=False),
    Column("reporter_contact", Text, nullable=False),
    Column("source_report_id", Text, nullable=False),
    # SHA-256 of the payload as 32 bytes (migration 0011): the hex text took 64 in the row
    # and 64 again in the unique index, a fifth of what a bulk load writes.
    Column("payload_hash", LargeBinary(32), nullable=False),
    # One index serves both lookups by SSN and per-source de-duplication, and grows in
    # SSN order (sequential appends when a file is sorted, as DMF files are).
    UniqueConstraint("ssn", "source_pk", "payload_hash"),
)

records = Table(
    "records",
    metadata,
    Column("ssn", String(9), primary_key=True),
    *_death_columns(),
    Column("status", String(16), nullable=False),
    Column("review_reasons", Text, nullable=False),  # space-separated ReviewReason codes
    Column("restricted", Boolean, nullable=False),
    Column("report_count", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    # Partial: only records that are not plainly published (the short work queues), so
    # bulk loads of published records pay nothing for it.
    Index("ix_records_unpublished", "status", sqlite_where=text("status <> 'published'"),
          postgresql_where=text("status <> 'published'")),
    sqlite_with_rowid=False,
)

#: Append-only from day one: triggers (see the first migration) refuse UPDATE and DELETE.
events = Table(
    "events",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("occurred_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON
)


# ---------------------------------------------------------------- releases (0002)

#: One row per immutable release; ``id`` is the release number (1, 2, ...).
releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("built_at", String(32), nullable=False),
    Column("built_by", String(200), nullable=False),
    Column("directory", Text, nullable=False),
    Column("previous_id", Integer, ForeignKey("releases.id")),
    Column("record_count", Integer, nullable=False),
    Column("adds", Integer, nullable=False),
    Column("changes", Integer, nullable=False),
    Column("deletes", Integer, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
)

#: Public halves of release signing keys, active and retired (the private key is a file).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("public_key", Text, nullable=False),  # minisign public key line (base64)
    Column("created_at", String(32), nullable=False),
    Column("retired_at", String(32)),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tier", String(32), nullable=False),
    Column("certified_until", String(10)),
    Column("agreement_id", String(200)),
    Column("agreement_start", String(10)),
    Column("agreement_end", String(10)),
    Column("suspended", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("address", Text),  # postal address, for the accounting of disclosures (0006)
    UniqueConstraint("name"),
)

#: One row per delivery (or logged export) to a subscriber.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("release_id", Integer, ForeignKey("releases.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # full | update | export
    Column("tier", String(32), nullable=False),  # the tier applied at delivery time
    Column("delivered_at", String(32), nullable=False),
    Column("delivered_by", String(200), nullable=False),
    Column("path", Text, nullable=False),
    Column("record_count", Integer, nullable=False),
)

#: Every record version ever delivered: who got which SSN at which version, when.
delivery_ledger = Table(
    "delivery_ledger",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("release_id", Integer, ForeignKey("releases.id"), nullable=False),
    Column("ssn", String(9), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(1), nullable=False),  # " " full, A, C or D
    Column("delivered_at", String(32), nullable=False),
    Index("ix_delivery_ledger_subscriber_id", "subscriber_id", "ssn"),
    Index("ix_delivery_ledger_ssn", "ssn"),
)


# ------------------------------------------------------------- corrections (0003)

#: Correction cases ("resurrection"); the number shown to people is ``case_number(id)``.
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ssn", String(9), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("opened_by", String(32), nullable=False),
    Column("contact", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("record_restricted", Boolean, nullable=False),
    Column("proposed", String(16), nullable=False),  # '' when nothing is proposed
    Column("proposed_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("decided_at", String(32)),
    Column("closed_at", String(32)),
    Column("letter_code", String(32)),
    Column("letter_sha256", String(64)),
    Index("ix_cases_ssn", "ssn"),
)

#: Every step of every case, in order: the case's timeline.
case_steps = Table(
    "case_steps",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("what", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_case_steps_case_id", "case_id"),
)

#: Evidence filed with a case: the file's name, size and SHA-256 (the bytes are kept in
#: the evidence directory under their hash).
case_evidence = Table(
    "case_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Index("ix_case_evidence_case_id", "case_id"),
)

#: Days on which a person is known to have been alive (from a case, later subscribers).
life_evidence = Table(
    "life_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ssn", String(9), nullable=False),
    Column("alive_on", String(10), nullable=False),
    Column("source", Text, nullable=False),  # e.g. case:C-000001
    Column("recorded_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Index("ix_life_evidence_ssn", "ssn"),
)

#: Two-person decisions on held records: one user proposes, a different one approves.
hold_decisions = Table(
    "hold_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ssn", String(9), nullable=False),
    Column("action", String(16), nullable=False),  # release | reject
    Column("reasons", Text, nullable=False),  # the review reasons the decision covers
    Column("note", Text, nullable=False),
    Column("proposed_by", String(200), nullable=False),
    Column("proposed_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # proposed | approved
    Column("approved_by", String(200)),
    Column("approved_at", String(32)),
    Index("ix_hold_decisions_ssn", "ssn"),
)


# ------------------------------------------------------------ bulk actions (0004)

#: A change to many held records at once: one user proposes (the selection is frozen
#: into ``bulk_action_items``), a second, different user approves or refuses it.
bulk_actions = Table(
    "bulk_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action", String(16), nullable=False),  # release | reject
    Column("selection", Text, nullable=False),  # canonical JSON: how the records were chosen
    Column("note", Text, nullable=False),
    Column("proposed_by", String(200), nullable=False),
    Column("proposed_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # proposed | applied | refused
    Column("decided_by", String(200)),
    Column("decided_at", String(32)),
    Column("decision_note", Text, nullable=False, server_default=""),
)

bulk_action_items = Table(
    "bulk_action_items",
    metadata,
    Column("bulk_id", Integer, ForeignKey("bulk_actions.id"), primary_key=True),
    Column("ssn", String(9), primary_key=True),
    Column("outcome", String(16)),  # released | rejected | skipped (no longer held); NULL
)


# -------------------------------------------------------------- disclosure (0006)

#: Legal bases for disclosure (seeded from ``domain.disclosure.DEFAULT_BASES``; an admin
#: edits them). Lists are space-separated codes.
legal_bases = Table(
    "legal_bases",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("citation", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("approvals", Text, nullable=False),
    Column("needs", Text, nullable=False),
    Column("min_signer_rank", String(32)),
    Column("max_subjects", Integer),  # NULL: bulk (matching agreement only)
    Column("hidden_from_subject", Boolean, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

#: What a computer matching agreement needs beyond the dates and party kept on the
#: benefits-agency subscriber (``subscribers.agreement_*``): the Data Integrity Board's
#: approval and the notice.
matching_agreements = Table(
    "matching_agreements",
    metadata,
    Column("agreement_id", String(200), primary_key=True),
    Column("board_approved_on", String(10), nullable=False),
    Column("notice_on", String(10), nullable=False),
    Column("renewed", Boolean, nullable=False),
    Column("authority", Text, nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

#: Disclosure requests, valid or refused, and where each one stands.
disclosure_requests = Table(
    "disclosure_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("basis", String(64), nullable=False),
    Column("agency", Text, nullable=False),
    Column("agency_address", Text, nullable=False),
    Column("signer", Text, nullable=False),
    Column("signer_rank", String(32), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("relevance", Text, nullable=False),
    Column("letter_reference", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("court_order", Text, nullable=False),
    Column("agreement_id", String(200), nullable=False),
    Column("subject_count", Integer, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("reasons", Text, nullable=False),  # refusal or denial reasons, one a line
    Column("decided_by", String(200)),
    Column("decided_at", String(32)),
    Column("answered_at", String(32)),
    Column("answer_sha256", String(64)),
    Column("disclosed", Integer),  # subjects whose record went out
)

#: The people a request names, as given (normalised), and what the answer found.
disclosure_subjects = Table(
    "disclosure_subjects",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("disclosure_requests.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("ssn", String(9)),
    Column("last_name", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("middle_name", Text, nullable=False),
    Column("suffix", String(8), nullable=False),
    Column("date_of_birth", String(10)),
    Column("state", String(2), nullable=False),
    Column("zip", String(10), nullable=False),
    Column("case_status", String(16), nullable=False),
    Column("outcome", String(16)),  # found | no-record | ambiguous, once answered
    Index("ix_disclosure_subjects_request_id", "request_id"),
)

disclosure_approvals = Table(
    "disclosure_approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("disclosure_requests.id"), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("roles", Text, nullable=False),
    Column("approved_at", String(32), nullable=False),
    Index("ix_disclosure_approvals_request_id", "request_id"),
)

#: The accounting of disclosures (5 U.S.C. 552a(c)): one row per person's record
#: disclosed in answer to a request. Deliveries to subscribers are accounted from the
#: delivery ledger, not copied here.
disclosure_accounting = Table(
    "disclosure_accounting",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("disclosure_requests.id"), nullable=False),
    Column("ssn", String(9), nullable=False),
    Column("disclosed_at", String(32), nullable=False),
    Column("basis", String(64), nullable=False),
    Column("nature", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("recipient_address", Text, nullable=False),
    Column("hidden_from_subject", Boolean, nullable=False),
    Index("ix_disclosure_accounting_ssn", "ssn"),
)


# ------------------------------------------------------------------- audit (0005)

#: The audit log's leaves: event ``event_id`` is leaf ``leaf_index`` (0-based, event-id
#: order) with this RFC 9162 leaf hash, recorded by the checkpoint that first covered it.
#: Append-only (triggers, see migration 0005).
audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("leaf_index", _BigId, primary_key=True, autoincrement=False),
    Column("event_id", _BigId, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    UniqueConstraint("event_id"),
)

#: Signed checkpoints of the audit log (size, root, time): append-only (triggers).
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tree_size", _BigId, nullable=False),
    Column("root_hash", String(64), nullable=False),
    Column("log_time", String(32), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", Text, nullable=False),  # base64 Ed25519 over the checkpoint body
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
)


# --------------------------------------------------------------------- HTTP API (0007)

#: API tokens: ``vs_<id>_<secret>``; the row is found by ``id``, the secret checked
#: against its argon2 hash. Revoked tokens stay (the events name them).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("subscriber", String(200)),  # the subscriber a ``subscriber`` token speaks for
    Column("secret_hash", Text, nullable=False),  # argon2id, PHC string
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", String(32)),
    Index("ix_api_tokens_name", "name"),
)

#: Answers to requests sent with an ``Idempotency-Key``: the same key and body get the
#: same answer again, the same key with another body is refused.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_sha256", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),  # canonical JSON
    Column("created_at", String(32), nullable=False),
)

#: Match jobs submitted over the API (a file in, a decisions file out).
match_jobs = Table(
    "match_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("actor", String(200), nullable=False),
    Column("subscriber", String(200)),
    Column("state", String(16), nullable=False),  # queued | running | done | failed
    Column("input_name", Text, nullable=False),
    Column("input_path", Text, nullable=False),
    Column("output_path", Text, nullable=False),
    Column("rows", Integer),
    Column("counts", Text),  # canonical JSON
    Column("error", Text),
    Column("created_at", String(32), nullable=False),
    Column("finished_at", String(32)),
)

#: The hash of the secret a person got when opening a case without an account.
case_secrets = Table(
    "case_secrets",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("secret_hash", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)


# ------------------------------------------------- subscriber review marks (web UI)

#: A person's mark on a ``review`` row of a match job: the same person as the death
#: record, or not. Marks are only added: the newest row for (job, row) is the mark in
#: force, the earlier ones its history.
match_reviews = Table(
    "match_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("match_jobs.id"), nullable=False),
    Column("row", Integer, nullable=False),  # 0-based position in the decisions file
    Column("row_id", Text, nullable=False),  # the file's own ``id`` of that row
    Column("mark", String(16), nullable=False),  # same-person | not-same-person
    Column("marked_by", String(200), nullable=False),
    Column("marked_at", String(32), nullable=False),
    Index("ix_match_reviews_job_id", "job_id", "row"),
)
