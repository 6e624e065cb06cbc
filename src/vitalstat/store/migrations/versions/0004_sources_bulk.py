"""A per-source daily surge ceiling; two-person bulk actions on held records.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("surge_ceiling", sa.Integer))
        batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "bulk_actions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("selection", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposed_at", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_bulk_actions"),
    )
    op.create_table(
        "bulk_action_items",
        sa.Column("bulk_id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.PrimaryKeyConstraint("bulk_id", "ssn", name="pk_bulk_action_items"),
        sa.ForeignKeyConstraint(["bulk_id"], ["bulk_actions.id"],
                                name="fk_bulk_action_items_bulk_id_bulk_actions"),
    )


def downgrade() -> None:
    op.drop_table("bulk_action_items")
    op.drop_table("bulk_actions")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("note")
        batch.drop_column("surge_ceiling")
