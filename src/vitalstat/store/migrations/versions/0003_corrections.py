"""Correction cases, their timeline and evidence, evidence of life, two-person hold decisions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("opened_by", sa.String(32), nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("record_restricted", sa.Boolean, nullable=False),
        sa.Column("proposed", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("opened_at", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("closed_at", sa.String(32)),
        sa.Column("letter_code", sa.String(32)),
        sa.Column("letter_sha256", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_ssn", "cases", ["ssn"])
    op.create_table(
        "case_steps",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_steps"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_steps_case_id_cases"),
    )
    op.create_index("ix_case_steps_case_id", "case_steps", ["case_id"])
    op.create_table(
        "case_evidence",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_evidence"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name="fk_case_evidence_case_id_cases"),
    )
    op.create_index("ix_case_evidence_case_id", "case_evidence", ["case_id"])
    op.create_table(
        "life_evidence",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("alive_on", sa.String(10), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_life_evidence"),
    )
    op.create_index("ix_life_evidence_ssn", "life_evidence", ["ssn"])
    op.create_table(
        "hold_decisions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposed_at", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.String(32)),
        sa.PrimaryKeyConstraint("id", name="pk_hold_decisions"),
    )
    op.create_index("ix_hold_decisions_ssn", "hold_decisions", ["ssn"])


def downgrade() -> None:
    for table in ("hold_decisions", "life_evidence", "case_evidence", "case_steps", "cases"):
        op.drop_table(table)
