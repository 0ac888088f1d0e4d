"""learner queue index: /find-partner reads the best few of each group from an index

Revision ID: 0008_learner_queue_index
Revises: 0007_outbox_claims
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_learner_queue_index"
down_revision: str | None = "0007_outbox_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_learners_queue",
        "learners",
        [
            "guild_id",
            "project_id",
            "role",
            "timezone",
            sa.text("(partner_left_at IS NOT NULL)"),
            sa.text("coalesce(waiting_since, announced_at)"),
            "id",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_learners_queue", table_name="learners")
