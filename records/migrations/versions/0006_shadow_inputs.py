"""Shadow-mode inputs: what screening saw on each call, kept a few days for replaying candidate changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from records.base import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shadow_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("caller_raw", sa.String(length=200), nullable=True),
        sa.Column("listened", sa.Boolean(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=24), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("route", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_inputs")),
    )
    with op.batch_alter_table("shadow_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shadow_inputs_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shadow_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shadow_inputs_at"))
    op.drop_table("shadow_inputs")
