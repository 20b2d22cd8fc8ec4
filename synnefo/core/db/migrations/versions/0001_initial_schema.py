"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 15:58:06.689459
"""
from alembic import op
import sqlalchemy as sa
import synnefo.core.db.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('backends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('driver', sa.String(length=64), nullable=False),
    sa.Column('rapi_url', sa.String(length=1024), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('credentials_ref', sa.String(length=255), nullable=True),
    sa.Column('options', synnefo.core.db.types.JSONText(), nullable=True),
    sa.Column('drained', sa.Boolean(), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backends')),
    sa.UniqueConstraint('name', name=op.f('uq_backends_name'))
    )
    with op.batch_alter_table('backends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backends_updated'), ['updated'], unique=False)

    op.create_table('flavors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('ram_mib', sa.Integer(), nullable=False),
    sa.Column('disk_gib', sa.Integer(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flavors')),
    sa.UniqueConstraint('name', name=op.f('uq_flavors_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('max_servers', sa.Integer(), nullable=False),
    sa.Column('max_cores', sa.Integer(), nullable=False),
    sa.Column('max_ram_mib', sa.Integer(), nullable=False),
    sa.Column('max_disk_gib', sa.Integer(), nullable=False),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_updated'), ['updated'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('images',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('backend_ref', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('min_disk_gib', sa.Integer(), nullable=False),
    sa.Column('min_ram_mib', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_images_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images'))
    )
    with op.batch_alter_table('images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_updated'), ['updated'], unique=False)

    op.create_table('image_metadata',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_image_metadata_image_id_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_metadata')),
    sa.UniqueConstraint('image_id', 'key', name=op.f('uq_image_metadata_image_id_key'))
    )
    op.create_table('servers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('flavor_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('backend_id', sa.Integer(), nullable=True),
    sa.Column('operstate', sa.String(length=16), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('task', sa.String(length=32), nullable=True),
    sa.Column('task_job_id', sa.BigInteger(), nullable=True),
    sa.Column('backend_job_id', sa.BigInteger(), nullable=True),
    sa.Column('backend_opcode', sa.String(length=64), nullable=True),
    sa.Column('backend_status', sa.String(length=16), nullable=True),
    sa.Column('backend_logmsg', sa.Text(), nullable=True),
    sa.Column('backend_event_time', synnefo.core.db.types.UTCDateTime(), nullable=True),
    sa.Column('state_event_time', synnefo.core.db.types.UTCDateTime(), nullable=True),
    sa.Column('state_job_id', sa.BigInteger(), nullable=True),
    sa.Column('fault_message', sa.Text(), nullable=True),
    sa.Column('nics_event_time', synnefo.core.db.types.UTCDateTime(), nullable=True),
    sa.Column('build_progress', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('deleted_at', synnefo.core.db.types.UTCDateTime(), nullable=True),
    sa.Column('reconciled_at', synnefo.core.db.types.UTCDateTime(), nullable=True),
    sa.Column('created', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated', synnefo.core.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['backend_id'], ['backends.id'], name=op.f('fk_servers_backend_id_backends')),
    sa.ForeignKeyConstraint(['flavor_id'], ['flavors.id'], name=op.f('fk_servers_flavor_id_flavors')),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_servers_image_id_images'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_servers_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servers'))
    )
    with op.batch_alter_table('servers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servers_backend_id'), ['backend_id'], unique=False)
        batch_op.create_index('ix_servers_owner_deleted', ['owner_id', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_servers_reconciled_at'), ['reconciled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_servers_updated'), ['updated'], unique=False)

    op.create_table('nics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('mac', sa.String(length=17), nullable=True),
    sa.Column('ipv4', sa.String(length=15), nullable=True),
    sa.Column('ipv6', sa.String(length=45), nullable=True),
    sa.Column('link', sa.String(length=255), nullable=True),
    sa.Column('network', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['server_id'], ['servers.id'], name=op.f('fk_nics_server_id_servers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nics')),
    sa.UniqueConstraint('server_id', 'index', name=op.f('uq_nics_server_id_index'))
    )
    op.create_table('server_metadata',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['server_id'], ['servers.id'], name=op.f('fk_server_metadata_server_id_servers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_server_metadata')),
    sa.UniqueConstraint('server_id', 'key', name=op.f('uq_server_metadata_server_id_key'))
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; dropping indexes first fails on MySQL when a
    # foreign key still needs them.
    for table in ("nics", "server_metadata", "servers", "image_metadata", "api_tokens",
                  "images", "users", "flavors", "backends"):
        op.drop_table(table)
