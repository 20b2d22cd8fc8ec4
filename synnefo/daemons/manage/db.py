"""snf-manage db upgrade|current: create or migrate the schema."""
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="database schema")
    actions = parser.add_subparsers(dest="db_command", required=True)
    up = actions.add_parser("upgrade", help="create or migrate the schema to the latest version")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=upgrade)
    cur = actions.add_parser("current", help="show the schema version")
    cur.set_defaults(func=current)


def _engine(ctx):
    return make_engine(ctx.settings.db_url, here=ctx.settings.here)


def upgrade(args, ctx) -> int:
    engine = _engine(ctx)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine, args.revision)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    print(f"schema: {before or 'empty'} -> {after}")
    return 0


def current(args, ctx) -> int:
    engine = _engine(ctx)
    try:
        rev = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    print(f"schema: {rev or 'empty'} (latest {head})")
    return 0 if rev == head else 1
