"""Calls carry the agent's call reference, the dialled hotline and the graduated-response step.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screened_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("hotline", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ladder_step", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_screened_calls_ref"), ["ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_screened_calls_hotline"), ["hotline"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screened_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screened_calls_hotline"))
        batch_op.drop_index(batch_op.f("ix_screened_calls_ref"))
        batch_op.drop_column("ladder_step")
        batch_op.drop_column("hotline")
        batch_op.drop_column("ref")
