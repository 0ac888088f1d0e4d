"""outbox claims: the outbox's lease columns become the claim columns every claimable table has

Revision ID: 0007_outbox_claims
Revises: 0006_announce_drafts
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_outbox_claims"
down_revision: str | None = "0006_announce_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (("leased_by", "claimed_by"), ("lease_until", "claim_expires_at"))


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(old, new_column_name=new)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(new, new_column_name=old)
