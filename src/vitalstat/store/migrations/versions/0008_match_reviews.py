"""Subscriber review marks on match-job rows (web interface).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_reviews",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("row_id", sa.Text, nullable=False),
        sa.Column("mark", sa.String(16), nullable=False),
        sa.Column("marked_by", sa.String(200), nullable=False),
        sa.Column("marked_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_match_reviews"),
        sa.ForeignKeyConstraint(["job_id"], ["match_jobs.id"],
                                name="fk_match_reviews_job_id_match_jobs"),
    )
    op.create_index("ix_match_reviews_job_id", "match_reviews", ["job_id", "row"])


def downgrade() -> None:
    op.drop_table("match_reviews")
