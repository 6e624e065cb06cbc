"""Initial registry schema: sources, batches, reports, records, append-only events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("kind", "source_id", name="uq_sources_kind"),
    )
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_pk", sa.Integer, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("reports_new", sa.Integer, nullable=False),
        sa.Column("reports_duplicate", sa.Integer, nullable=False),
        sa.Column("lines_quarantined", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.ForeignKeyConstraint(["source_pk"], ["sources.id"],
                                name="fk_batches_source_pk_sources"),
        sa.UniqueConstraint("source_pk", "file_sha256", name="uq_batches_source_pk"),
    )
    op.create_table(
        "reports",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("source_pk", sa.Integer, nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("action", sa.String(1), nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("suffix", sa.String(8), nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("middle_name", sa.Text, nullable=False),
        sa.Column("proof", sa.String(1), nullable=False),
        sa.Column("date_of_death", sa.String(10)),
        sa.Column("date_of_birth", sa.String(10)),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip_residence", sa.String(5), nullable=False),
        sa.Column("zip_payment", sa.String(5), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("reporter_name", sa.Text, nullable=False),
        sa.Column("reporter_relationship", sa.Text, nullable=False),
        sa.Column("reporter_contact", sa.Text, nullable=False),
        sa.Column("source_report_id", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"],
                                name="fk_reports_batch_id_batches"),
        sa.ForeignKeyConstraint(["source_pk"], ["sources.id"],
                                name="fk_reports_source_pk_sources"),
        sa.UniqueConstraint("ssn", "source_pk", "payload_hash", name="uq_reports_ssn"),
    )
    op.create_table(
        "records",
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("suffix", sa.String(8), nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("middle_name", sa.Text, nullable=False),
        sa.Column("proof", sa.String(1), nullable=False),
        sa.Column("date_of_death", sa.String(10)),
        sa.Column("date_of_birth", sa.String(10)),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip_residence", sa.String(5), nullable=False),
        sa.Column("zip_payment", sa.String(5), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("review_reasons", sa.Text, nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("report_count", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("ssn", name="pk_records"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_records_unpublished", "records", ["status"],
                    sqlite_where=sa.text("status <> 'published'"),
                    postgresql_where=sa.text("status <> 'published'"))
    op.create_table(
        "events",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    _make_events_append_only()


def _make_events_append_only() -> None:
    """Refuse UPDATE and DELETE on events at the database itself, on both backends."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'P0001'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()"
        )


def downgrade() -> None:
    raise NotImplementedError("the registry's first schema cannot be downgraded")
