"""announce drafts

Revision ID: 0006_announce_drafts
Revises: 0005_outbox
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_announce_drafts"
down_revision: str | None = "0005_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announce_drafts",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("repo", sa.String(length=400), nullable=False),
        sa.Column("timezone", sa.String(length=100), nullable=False),
        sa.Column("refused", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_announce_drafts")),
    )
    with op.batch_alter_table("announce_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announce_drafts_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index("ix_announce_drafts_member", ["guild_id", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("announce_drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_announce_drafts_member")
        batch_op.drop_index(batch_op.f("ix_announce_drafts_expires_at"))
    op.drop_table("announce_drafts")
