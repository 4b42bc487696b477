"""Why an entry was lifted, by whom and when (the appeal flow keeps the reason with the entry).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records.base import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lifted_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("lifted_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("lifted_at", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_column("lifted_at")
        batch_op.drop_column("lifted_by")
        batch_op.drop_column("lifted_reason")
