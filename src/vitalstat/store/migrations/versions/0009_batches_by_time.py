"""Batches by source and time: the surge ceiling's count of a source's last day.

Before, that count read every batch the source ever sent (the unique index leads with
the source only); a source sending one report a request over the API adds a batch
each time.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_batches_source_received", "batches", ["source_pk", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_batches_source_received", table_name="batches")
