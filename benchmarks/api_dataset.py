"""The PostgreSQL datasets of ``benchmarks/api.py``, seeded with COPY and kept between runs.

A dataset is a database named after its shape, ``bench_api_<mine>_<total>_<users>``:

* user ``bench-main`` owns ``mine`` servers (the 1,000 servers of the throughput runs);
* user ``bench-pager`` owns ``pager`` servers (the first-versus-last page check);
* the other ``users - 2`` users share the rest of ``total`` servers;

owners are shuffled over the id range (fixed seed), so that reading one user's servers by
walking the primary key would show. Every server is ACTIVE, with one metadata item and one
NIC. The database is reused while its Alembic revision is the code's head and its
``bench_dataset`` table (tokens, ids) is complete; otherwise it is dropped and seeded again.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import sqlalchemy as sa

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Nic, Server, ServerMetadata
from synnefo.core.services import accounts, catalog
from synnefo.core.timeutil import utcnow

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN_HOURS = 24 * 365 * 10
FIELDS = ("main_user", "main_token", "pager_user", "pager_token", "show_id", "revision")


@dataclass(frozen=True)
class Shape:
    mine: int = 1000
    total: int = 100_000
    users: int = 1000
    pager: int = 10_000

    @property
    def name(self) -> str:
        return f"bench_api_{self.mine}_{self.total}_{self.users}_{self.pager}"


@dataclass(frozen=True)
class Dataset:
    url: str
    main_user: int
    main_token: str
    pager_user: int
    pager_token: str
    show_id: int          # one of bench-main's servers


def ensure(shape: Shape, admin_url: str = ADMIN_URL, log=print) -> Dataset:
    """The dataset of ``shape``, seeded now unless a complete copy exists."""
    url = sa.make_url(admin_url).set(database=shape.name).render_as_string(hide_password=False)
    found = _existing(admin_url, shape.name, url)
    if found is not None:
        return found
    log(f"seeding {shape.name} ({shape.total:,} servers, {shape.users:,} users)...")
    _recreate(admin_url, shape.name)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        return _seed(engine, url, shape)
    finally:
        engine.dispose()


def _existing(admin_url: str, name: str, url: str) -> Dataset | None:
    admin = sa.create_engine(admin_url)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    finally:
        admin.dispose()
    if not exists:
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("bench_dataset"):
                return None
            values = dict(conn.execute(sa.text("SELECT key, value FROM bench_dataset")).all())
    finally:
        engine.dispose()
    if set(values) != set(FIELDS) or values["revision"] != migrate.head_revision():
        return None
    return _dataset(url, values)


def _dataset(url: str, values: dict) -> Dataset:
    return Dataset(url=url, main_user=int(values["main_user"]), main_token=values["main_token"],
                   pager_user=int(values["pager_user"]), pager_token=values["pager_token"],
                   show_id=int(values["show_id"]))


def _recreate(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()


def _seed(engine: sa.Engine, url: str, shape: Shape) -> Dataset:
    session_factory = sa.orm.sessionmaker(engine)
    with session_factory.begin() as s:
        users = [accounts.create_user(s, f"bench-{i}", max_servers=shape.total)
                 for i in range(shape.users)]
        users[0].name, users[1].name = "bench-main", "bench-pager"
        flavor = catalog.create_flavor(s, "bench-flavor", 1, 512, 1)
        image = catalog.register_image(s, "bench-image", "bench.diskdump")
        backend = catalog.add_backend(s, "bench-backend", "fake")
        main_token, _ = accounts.issue_token(s, users[0], TOKEN_HOURS)
        pager_token, _ = accounts.issue_token(s, users[1], TOKEN_HOURS)
        owners = _owners(shape, [u.id for u in users])
        refs = {"flavor_id": flavor.id, "image_id": image.id, "backend_id": backend.id}
        user_ids = (users[0].id, users[1].id)
    with engine.begin() as conn:
        _copy_servers(conn, owners, refs)
        show_id = next(i for i, owner in enumerate(owners, 1) if owner == user_ids[0])
        values = {"main_user": user_ids[0], "main_token": main_token, "pager_user": user_ids[1],
                  "pager_token": pager_token, "show_id": show_id,
                  "revision": migrate.head_revision()}
        conn.exec_driver_sql("CREATE TABLE bench_dataset (key text PRIMARY KEY, value text)")
        conn.execute(sa.text("INSERT INTO bench_dataset VALUES (:k, :v)"),
                     [{"k": k, "v": str(v)} for k, v in values.items()])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return _dataset(url, {k: str(v) for k, v in values.items()})


def _owners(shape: Shape, user_ids: list[int]) -> list[int]:
    """The owner of each server id 1..total: mine, pager, then the rest spread evenly."""
    others = user_ids[2:]
    rest = shape.total - shape.mine - shape.pager
    owners = [user_ids[0]] * shape.mine + [user_ids[1]] * shape.pager \
        + [others[i % len(others)] for i in range(rest)]
    random.Random(14).shuffle(owners)
    return owners


def _copy_servers(conn, owners: list[int], refs: dict) -> None:
    """COPY the servers (explicit ids 1..n), their metadata and NICs; then move the sequences."""
    created = utcnow() - dt.timedelta(days=1)
    given = {"name": None, "owner_id": None, "operstate": "STARTED", "build_progress": 100,
             "created": created, "updated": created, **refs}
    columns = _columns(Server.__table__, given)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY servers (id, {', '.join(columns)}) FROM STDIN") as copy:
            for sid, owner in enumerate(owners, 1):
                row = dict(columns, name=f"bench-{sid}", owner_id=owner)
                copy.write_row((sid, *row.values()))
        with cur.copy("COPY server_metadata (server_id, key, value) FROM STDIN") as copy:
            for sid in range(1, len(owners) + 1):
                copy.write_row((sid, "role", f"r{sid % 7}"))
        with cur.copy('COPY nics (server_id, "index", mac, ipv4, network) FROM STDIN') as copy:
            for sid in range(1, len(owners) + 1):
                copy.write_row((sid, 0, _mac(sid), f"10.{sid >> 16}.{(sid >> 8) & 255}.{sid & 255}",
                                "public"))
        for table in (Server.__table__, ServerMetadata.__table__, Nic.__table__):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))")


def _columns(table: sa.Table, given: dict) -> dict:
    """Every column but ``id`` that needs a value: the given ones, else its scalar default
    (so that the script follows the model when columns come and go)."""
    dialect = sa.dialects.postgresql.dialect()
    values = {}
    for column in table.columns:
        if column.name == "id":
            continue
        if column.name in given:
            value = given[column.name]
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
        else:
            continue
        if isinstance(column.type, sa.types.TypeDecorator) and value is not None:
            value = column.type.process_bind_param(value, dialect)
        values[column.name] = value
    return values


def _mac(sid: int) -> str:
    return "aa:00:" + ":".join(f"{(sid >> shift) & 255:02x}" for shift in (24, 16, 8, 0))
