"""keypairs, login failures, disabled users, key_name/user_data/personality on servers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:50:00
"""
from alembic import op
import sqlalchemy as sa
import synnefo.core.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keypairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=8), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_keypairs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keypairs')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_keypairs_user_id_name'))
    )
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('at', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)
        batch_op.create_index('ix_login_failures_scope_subject_at', ['scope', 'subject', 'at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('user_data', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('personality', synnefo.core.db.types.JSONText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.drop_column('personality')
        batch_op.drop_column('user_data')
        batch_op.drop_column('key_name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled')
    op.drop_table('login_failures')
    op.drop_table('keypairs')
