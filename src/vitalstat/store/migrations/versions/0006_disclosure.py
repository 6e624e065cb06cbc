"""Accountable disclosure: legal bases (seeded), matching agreements' approvals, requests,
their subjects and approvals, the accounting of disclosures; subscribers get an address.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("address", sa.Text))
    bases = op.create_table(
        "legal_bases",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("citation", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("approvals", sa.Text, nullable=False),
        sa.Column("needs", sa.Text, nullable=False),
        sa.Column("min_signer_rank", sa.String(32)),
        sa.Column("max_subjects", sa.Integer),
        sa.Column("hidden_from_subject", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_legal_bases"),
    )
    op.create_table(
        "matching_agreements",
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("board_approved_on", sa.String(10), nullable=False),
        sa.Column("notice_on", sa.String(10), nullable=False),
        sa.Column("renewed", sa.Boolean, nullable=False),
        sa.Column("authority", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name="pk_matching_agreements"),
    )
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("agency_address", sa.Text, nullable=False),
        sa.Column("signer", sa.Text, nullable=False),
        sa.Column("signer_rank", sa.String(32), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("relevance", sa.Text, nullable=False),
        sa.Column("letter_reference", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("court_order", sa.Text, nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("subject_count", sa.Integer, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.String(32), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("answered_at", sa.String(32)),
        sa.Column("answer_sha256", sa.String(64)),
        sa.Column("disclosed", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_requests"),
    )
    op.create_table(
        "disclosure_subjects",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9)),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("middle_name", sa.Text, nullable=False),
        sa.Column("suffix", sa.String(8), nullable=False),
        sa.Column("date_of_birth", sa.String(10)),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("case_status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_subjects"),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"],
                                name="fk_disclosure_subjects_request_id_disclosure_requests"),
    )
    op.create_index("ix_disclosure_subjects_request_id", "disclosure_subjects",
                    ["request_id"])
    op.create_table(
        "disclosure_approvals",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("approved_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_approvals"),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"],
                                name="fk_disclosure_approvals_request_id_disclosure_requests"),
    )
    op.create_index("ix_disclosure_approvals_request_id", "disclosure_approvals",
                    ["request_id"])
    op.create_table(
        "disclosure_accounting",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("ssn", sa.String(9), nullable=False),
        sa.Column("disclosed_at", sa.String(32), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("nature", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("recipient_address", sa.Text, nullable=False),
        sa.Column("hidden_from_subject", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_disclosure_accounting"),
        sa.ForeignKeyConstraint(["request_id"], ["disclosure_requests.id"],
                                name="fk_disclosure_accounting_request_id_disclosure_requests"),
    )
    op.create_index("ix_disclosure_accounting_ssn", "disclosure_accounting", ["ssn"])
    # An accounting entry is never changed (only purged, after its retention).
    message = "accounting entries are never changed; they are purged only after retention"
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER disclosure_accounting_no_update BEFORE UPDATE ON "
                   f"disclosure_accounting BEGIN SELECT RAISE(ABORT, '{message}'); END")
    else:
        op.execute("CREATE FUNCTION disclosure_accounting_unchanged() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{message}' "
                   "USING ERRCODE = 'P0001'; END $$")
        op.execute("CREATE TRIGGER disclosure_accounting_no_update BEFORE UPDATE ON "
                   "disclosure_accounting FOR EACH STATEMENT EXECUTE FUNCTION "
                   "disclosure_accounting_unchanged()")
    # The shipped legal bases (domain.disclosure.DEFAULT_BASES, as they are today).
    from vitalstat.domain.disclosure import DEFAULT_BASES
    from vitalstat.store.disclosure import basis_values
    from vitalstat.store.repo import utc_now

    op.bulk_insert(bases, [basis_values(b, at=utc_now(),
                                        by="migration 0006") for b in DEFAULT_BASES])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER disclosure_accounting_no_update ON disclosure_accounting")
        op.execute("DROP FUNCTION disclosure_accounting_unchanged()")
    for table in ("disclosure_accounting", "disclosure_approvals", "disclosure_subjects",
                  "disclosure_requests", "matching_agreements", "legal_bases"):
        op.drop_table(table)
    op.drop_column("subscribers", "address")
