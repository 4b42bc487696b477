"""One screened-call row per (call_id, node): the database refuses a second record of the same call.

The spool replay already skips records it finds stored; this makes the rule hold for every writer. Rows that
break it (written twice before this revision) are reduced to the earliest one first — nothing references
screened_calls by id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM screened_calls WHERE id NOT IN "
        "(SELECT keep FROM (SELECT MIN(id) AS keep FROM screened_calls GROUP BY call_id, node) AS earliest)"
    )
    op.create_index("uq_screened_calls_call_id_node", "screened_calls", ["call_id", "node"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_screened_calls_call_id_node", table_name="screened_calls")
