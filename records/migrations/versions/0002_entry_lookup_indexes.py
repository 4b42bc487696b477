"""Indexes for number lookup: list entries by value and by kind.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.create_index("ix_list_entries_value", ["value"], unique=False)
        batch_op.create_index("ix_list_entries_kind", ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_list_entries_kind")
        batch_op.drop_index("ix_list_entries_value")
