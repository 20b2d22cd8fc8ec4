"""servers(owner_id, deleted, id) replaces servers(owner_id, deleted): a listing page is one
range of the index, whatever the marker

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:40:00
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Create before dropping: MariaDB needs an index led by owner_id for its foreign key.
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.create_index('ix_servers_owner_deleted_id', ['owner_id', 'deleted', 'id'],
                              unique=False)
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.drop_index('ix_servers_owner_deleted')


def downgrade() -> None:
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.create_index('ix_servers_owner_deleted', ['owner_id', 'deleted'], unique=False)
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.drop_index('ix_servers_owner_deleted_id')
