"""Releases, signing keys, subscribers, deliveries and the delivery ledger.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("built_at", sa.String(32), nullable=False),
        sa.Column("built_by", sa.String(200), nullable=False),
        sa.Column("directory", sa.Text, nullable=False),
        sa.Column("previous_id", sa.Integer),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("adds", sa.Integer, nullable=False),
        sa.Column("changes", sa.Integer, nullable=False),
        sa.Column("deletes", sa.Integer, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.ForeignKeyConstraint(["previous_id"], ["releases.id"],
                                name="fk_releases_previous_id_releases"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("retired_at", sa.String(32)),
        sa.PrimaryKeyConstraint("key_id", name="pk_signing_keys"),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("certified_until", sa.String(10)),
        sa.Column("agreement_id", sa.String(200)),
        sa.Column("agreement_start", sa.String(10)),
        sa.Column("agreement_end", sa.String(10)),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("name", name="uq_subscribers_name"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("delivered_at", sa.String(32), nullable=False),
        sa.Column("delivered_by", sa.String(200), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"],
                                name="fk_deliveries_subscriber_id_subscribers"),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name="fk_deliveries_release_id_releases"),
    )
    op.create_table(
        "delivery_ledger",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("subscriber_id", sa.Integer, nullable=False),
        sa.Column("release_id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(1), nullable=False),
        sa.Column("delivered_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_ledger"),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"],
                                name="fk_delivery_ledger_delivery_id_deliveries"),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"],
                                name="fk_delivery_ledger_subscriber_id_subscribers"),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name="fk_delivery_ledger_release_id_releases"),
    )
    op.create_index("ix_delivery_ledger_subscriber_id", "delivery_ledger",
                    ["subscriber_id", "ssn"])
    op.create_index("ix_delivery_ledger_ssn", "delivery_ledger", ["ssn"])


def downgrade() -> None:
    for table in ("delivery_ledger", "deliveries", "subscribers", "signing_keys", "releases"):
        op.drop_table(table)
