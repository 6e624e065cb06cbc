"""A report's payload hash is stored as its 32 bytes, no longer as 64 hex characters.

The hash sits in the row and again in the unique index that recognises a report sent
twice: as text it was 128 of the ~350 bytes a bulk load writes per report (and writes
twice, once to the WAL and once at the checkpoint). Values keep their meaning; readers
still see the hex (``store.repo.row_to_report``).

SQLite cannot change a column's type in place: each hash is decoded by a function
registered for this migration (SQLite 3.40 has no ``unhex``), then the table is rebuilt
with the new type (Alembic's batch mode). PostgreSQL converts in place with ``decode(..., 'hex')``.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _sqlite_function(name: str, fn: object) -> None:
    driver = op.get_bind().connection.driver_connection
    driver.create_function(name, 1, fn, deterministic=True)  # type: ignore[union-attr]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reports ALTER COLUMN payload_hash TYPE bytea "
                   "USING decode(payload_hash, 'hex')")
        return
    # decoded first (a TEXT column keeps a BLOB as it is), then the table rebuilt with
    # its new type, whose copy would otherwise turn the hex text into its ASCII bytes
    _sqlite_function("vitalstat_unhex", bytes.fromhex)
    op.execute("UPDATE reports SET payload_hash = vitalstat_unhex(payload_hash) "
               "WHERE typeof(payload_hash) = 'text'")
    with op.batch_alter_table("reports", recreate="always") as batch:
        batch.alter_column("payload_hash", type_=sa.LargeBinary(32),
                           existing_type=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reports ALTER COLUMN payload_hash TYPE varchar(64) "
                   "USING encode(payload_hash, 'hex')")
        return
    op.execute("UPDATE reports SET payload_hash = lower(hex(payload_hash)) "
               "WHERE typeof(payload_hash) = 'blob'")
    with op.batch_alter_table("reports", recreate="always") as batch:
        batch.alter_column("payload_hash", type_=sa.String(64),
                           existing_type=sa.LargeBinary(32), existing_nullable=False)
