"""drop servers.suspended (nothing read or wrote it)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot drop a column in place (Alembic copies the table there).
    with op.batch_alter_table('servers') as batch:
        batch.drop_column('suspended')


def downgrade() -> None:
    # Existing rows need a value for the NOT NULL column; the default is then dropped again,
    # so the schema is 0001's.
    with op.batch_alter_table('servers') as batch:
        batch.add_column(sa.Column('suspended', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('servers') as batch:
        batch.alter_column('suspended', existing_type=sa.Boolean(), existing_nullable=False,
                           server_default=None)
