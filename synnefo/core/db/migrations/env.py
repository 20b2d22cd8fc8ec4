"""Alembic environment: the connection is always handed in by synnefo.core.db.migrate."""
from alembic import context

from synnefo.core.db.models import Base

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; use snf-manage db upgrade")
run_migrations_online()
