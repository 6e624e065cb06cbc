"""A source's new reports per day (the surge ceiling's count), kept as a counter.

0009 indexed batches by (source, received_at) so the count read only the day's batches;
it still read every one of them, and an API client sends one batch a request, so each
ingest cost more than the last through the day. The counter is one row per source and
day, bumped in the batch's transaction; filled here from the batches so far. The index,
which served only that count, goes.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_days",
        sa.Column("source_pk", sa.Integer, sa.ForeignKey("sources.id"), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("reports_new", sa.Integer, nullable=False),
    )
    # received_at is ISO-8601 UTC text: its first ten characters are the UTC day
    op.execute("INSERT INTO source_days (source_pk, day, reports_new) "
               "SELECT source_pk, substr(received_at, 1, 10), sum(reports_new) FROM batches "
               "GROUP BY source_pk, substr(received_at, 1, 10)")
    op.drop_index("ix_batches_source_received", table_name="batches")


def downgrade() -> None:
    op.create_index("ix_batches_source_received", "batches", ["source_pk", "received_at"])
    op.drop_table("source_days")
