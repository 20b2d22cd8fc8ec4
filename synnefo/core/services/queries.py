"""Read-side lookups shared by the API views: what a user may see."""
from __future__ import annotations

import datetime as dt
import functools
from collections import namedtuple
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from synnefo.core.db.models import Flavor, Image, Nic, Server, ServerMetadata, User
from synnefo.core.domain.state import OperState, Task
from synnefo.core.errors import InvalidInput, NotFound

# API status -> SQL condition on the row (api_status() is the authority; these mirror it).
STATUS_FILTERS = {
    "BUILD": lambda: Server.operstate == OperState.BUILD.value,
    "ERROR": lambda: Server.operstate == OperState.ERROR.value,
    "SHUTOFF": lambda: Server.operstate == OperState.STOPPED.value,
    "ACTIVE": lambda: sa.and_(Server.operstate == OperState.STARTED.value, sa.or_(
        Server.task.is_(None), Server.task.notin_([Task.REBOOTING.value, Task.REBOOTING_HARD.value]))),
    "REBOOT": lambda: sa.and_(Server.operstate == OperState.STARTED.value,
                              Server.task == Task.REBOOTING.value),
    "HARD_REBOOT": lambda: sa.and_(Server.operstate == OperState.STARTED.value,
                                   Server.task == Task.REBOOTING_HARD.value),
    "DELETED": lambda: Server.deleted.is_(True),
}


@dataclass(frozen=True)
class ServerFilter:
    """Filters of ``GET /servers[/detail]``."""
    name: str | None = None
    status: str | None = None
    changes_since: dt.datetime | None = None
    deleted: bool | None = None
    limit: int = 1000
    marker: int | None = None


def server_options(lock: bool = False):
    # A locked read may not outer-join (PostgreSQL refuses FOR UPDATE on the nullable side).
    flavor = selectinload(Server.flavor) if lock else joinedload(Server.flavor, innerjoin=True)
    return (flavor, selectinload(Server.metadata_items), selectinload(Server.nics))


def get_server(session, owner: User, server_id: int, *, include_deleted: bool = False,
               lock: bool = False) -> Server:
    """One of the owner's servers; NotFound for another user's or a deleted one."""
    if not is_db_int(server_id):
        raise NotFound(f"Instance {server_id} could not be found.")
    query = sa.select(Server).where(Server.id == server_id, Server.owner_id == owner.id)
    if not include_deleted:
        query = query.where(Server.deleted.is_(False))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    server = session.scalars(query.options(*server_options(lock))).first()
    if server is None:
        raise NotFound(f"Instance {server_id} could not be found.")
    return server


# The server columns a document shows: ``render.server_detail`` reads these and no others,
# so a listing reads and converts nothing else. Timestamps are read as the naive UTC values
# the database holds (no per-row type conversion); render treats naive times as UTC.
RENDERED_COLUMNS = ("id", "owner_id", "name", "image_id", "backend_id", "operstate", "deleted",
                    "task", "backend_opcode", "backend_status", "fault_message", "build_progress",
                    "key_name", "created", "updated", "deleted_at")
_NAIVE_TIMES = frozenset({"created", "updated", "deleted_at"})
_FLAVOR_COLUMNS = ("id", "name", "vcpus", "ram_mib", "disk_gib")

ServerView = namedtuple("ServerView", RENDERED_COLUMNS + ("flavor", "metadata_items", "nics"))
ServerView.__doc__ = """A read-only server for rendering: the shown columns, its flavor, its
metadata items (``.key``, ``.value``, by key) and NICs (by index).

Listings render up to 1,000 servers per request; building tuples from Core rows costs a
fraction of loading ORM objects (see ``benchmarks/api.py``). Mutations use the ORM."""
FlavorView = namedtuple("FlavorView", _FLAVOR_COLUMNS)
MetadataItem = namedtuple("MetadataItem", ("key", "value"))
NicView = namedtuple("NicView", ("id", "index", "mac", "ipv4", "ipv6", "link", "network"))


def server_views(session, owner: User, flt: ServerFilter | None = None,
                 server_id: int | None = None) -> list[ServerView]:
    """The servers a listing (or a show, with ``server_id``) renders, read with Core queries."""
    if server_id is not None:
        return _show_views(session, owner, server_id)
    return _page_views(session, owner, flt)


def _server_column(name: str):
    column = Server.__table__.c[name]
    return sa.type_coerce(column, sa.DateTime()).label(name) if name in _NAIVE_TIMES else column


@functools.cache
def _rendered_columns() -> tuple:
    flavor = [Flavor.__table__.c[name] for name in _FLAVOR_COLUMNS]
    return (*map(_server_column, RENDERED_COLUMNS), *flavor)


def _rendered_select(*extra):
    return sa.select(*_rendered_columns(), *extra).join(
        Flavor.__table__, Server.flavor_id == Flavor.id)


def _page_views(session, owner: User, flt: ServerFilter) -> list[ServerView]:
    """A page of servers (joined to flavors), then the page's metadata and NICs by server id."""
    conn = session.connection()
    conds = server_conditions(session, owner, flt)
    rows = conn.execute(_rendered_select().where(*conds)
                        .order_by(Server.id.desc()).limit(flt.limit)).all()
    if not rows:
        return []
    # The page's ids as a statement, bounded by them: a server created meanwhile does not
    # push one out of the page.
    page = sa.select(Server.id).where(*conds, Server.id <= rows[0][0], Server.id >= rows[-1][0]) \
        .order_by(Server.id.desc()).limit(flt.limit)
    metadata, nics = _children(conn, page, [row[0] for row in rows])
    flavors: dict[int, FlavorView] = {}
    no_items: tuple = ()
    return [_view(row, flavors, metadata.get(row[0], no_items), nics.get(row[0], no_items))
            for row in rows]


def _show_views(session, owner: User, server_id: int) -> list[ServerView]:
    """One server in ONE statement: its metadata and NICs outer-joined (a server has few of
    each; the repeated combinations are folded back here)."""
    rows = session.connection().execute(
        _show_statement(), {"server_id": server_id, "owner_id": owner.id}).all()
    if not rows:
        return []
    width = len(RENDERED_COLUMNS) + len(_FLAVOR_COLUMNS)
    metadata = {r[width]: r[width + 1] for r in rows if r[width] is not None}
    nics: dict[int, NicView] = {}   # by NIC id; rows come in NIC index order per metadata key
    for r in rows:
        values = r[width + 2:]
        if values[0] is not None and values[0] not in nics:
            nics[values[0]] = NicView(*values)
    items = [MetadataItem(k, v) for k, v in sorted(metadata.items())]
    return [_view(rows[0], {}, items, list(nics.values()))]


@functools.cache
def _show_statement():
    """Built once (a show is a hot, tiny request)."""
    nic_columns = [Nic.__table__.c[name].label(f"nic__{name}") for name in NicView._fields]
    query = _rendered_select(ServerMetadata.key, ServerMetadata.value, *nic_columns)
    return query.outerjoin(ServerMetadata.__table__, ServerMetadata.server_id == Server.id) \
        .outerjoin(Nic.__table__, Nic.server_id == Server.id) \
        .where(Server.id == sa.bindparam("server_id"), Server.owner_id == sa.bindparam("owner_id"),
               Server.deleted.is_(False)) \
        .order_by(ServerMetadata.key, Nic.index)


def _children(conn, page, ids: list[int]) -> tuple[dict, dict]:
    """The metadata items and NICs of the page's servers (``ids``), as lists by server id."""
    metadata: dict[int, list] = {}
    nics: dict[int, list] = {}
    md = ServerMetadata.__table__
    for sid, key, value in conn.execute(_per_server(conn, page, ids, md.c.server_id, (
            md.c.server_id, md.c.key, md.c.value), md.c.key)).all():
        metadata.setdefault(sid, []).append(MetadataItem(key, value))
    nic = Nic.__table__
    for row in conn.execute(_per_server(conn, page, ids, nic.c.server_id, (
            nic.c.server_id, *(nic.c[name] for name in NicView._fields)), nic.c.index)).all():
        nics.setdefault(row[0], []).append(NicView(*row[1:]))
    return metadata, nics


def _per_server(conn, page, ids: list[int], server_id, columns: tuple, order):
    """The rows of a child table for the page's servers, ordered by ``order``.

    On PostgreSQL one index probe per server of the page (``page``, the ids' own statement,
    each id's rows in a LATERAL subquery): the planner would otherwise read the whole table,
    since a page's servers lie anywhere in it. ``OFFSET 0`` keeps the subquery from being
    flattened into a join, which the planner answers with a sequential scan again (see
    docs/performance.md). Elsewhere ``server_id IN ids`` (MariaDB refuses LIMIT there).
    """
    if conn.dialect.name != "postgresql":
        return sa.select(*columns).where(server_id.in_(ids)).order_by(order)
    page = page.subquery("page")
    rows = sa.select(*columns).where(server_id == page.c.id).offset(sa.literal_column("0")) \
        .lateral("children")
    return sa.select(rows).select_from(page).join(rows, sa.true()).order_by(rows.c[order.name])


def _view(row, flavors: dict, metadata_items, nics) -> ServerView:
    width = len(RENDERED_COLUMNS)
    flavor_id = row[width]
    flavor = flavors.get(flavor_id)
    if flavor is None:   # one shared tuple per flavor of the page
        flavor = flavors[flavor_id] = FlavorView(*row[width:width + len(_FLAVOR_COLUMNS)])
    return ServerView(*row[:width], flavor, metadata_items, nics)


def server_conditions(session, owner: User, flt: ServerFilter) -> list:
    conds = [Server.owner_id == owner.id]
    if flt.changes_since is not None:
        conds.append(Server.updated >= flt.changes_since)
    elif flt.deleted is None and flt.status != "DELETED":
        conds.append(Server.deleted.is_(False))
    if flt.deleted is not None:
        conds.append(Server.deleted.is_(flt.deleted))
    if flt.status is not None:
        conds.append(STATUS_FILTERS[flt.status]())
        if flt.status != "DELETED":
            conds.append(Server.deleted.is_(False))
    if flt.name:
        conds.append(Server.name.like(f"%{_escape_like(flt.name)}%", escape="\\"))
    if flt.marker is not None:
        conds.append(Server.id < _check_marker(session, owner, flt.marker))
    return conds


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _check_marker(session, owner: User, marker: int) -> int:
    found = session.scalar(sa.select(Server.id).where(Server.id == marker,
                                                      Server.owner_id == owner.id))
    if found is None:
        raise InvalidInput(f"marker [{marker}] not found")
    return marker


def flavor_query(owner: User, is_public: bool | None):
    query = sa.select(Flavor).order_by(Flavor.id)
    if not owner.is_admin or is_public is True:
        return query.where(Flavor.public.is_(True))
    if is_public is False:
        return query.where(Flavor.public.is_(False))
    return query


def list_flavors(session, owner: User, *, is_public: bool | None = True, min_ram: int = 0,
                 min_disk: int = 0, limit: int = 1000, marker: int | None = None) -> list[Flavor]:
    query = flavor_query(owner, is_public).where(Flavor.ram_mib >= min_ram,
                                                 Flavor.disk_gib >= min_disk)
    if marker is not None:
        if session.get(Flavor, marker) is None:
            raise InvalidInput(f"marker [{marker}] not found")
        query = query.where(Flavor.id > marker)
    return list(session.scalars(query.limit(limit)))


def get_flavor(session, owner: User, flavor_id) -> Flavor:
    flavor = session.get(Flavor, int(flavor_id)) if is_db_int(flavor_id) else None
    if flavor is None or not (flavor.public or owner.is_admin):
        raise NotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


def image_visibility(owner: User):
    return sa.or_(Image.public.is_(True), Image.owner_id == owner.id)


def list_images(session, owner: User, *, name: str | None = None, ids=None,
                limit: int = 1000, marker: str | None = None) -> list[Image]:
    query = sa.select(Image).where(image_visibility(owner)).order_by(Image.created.desc(), Image.id)
    if name is not None:
        query = query.where(Image.name == name)
    if ids is not None:
        query = query.where(Image.id.in_(list(ids)))
    if marker is not None:
        query = _after_image_marker(session, owner, query, marker)
    return list(session.scalars(query.options(selectinload(Image.metadata_items)).limit(limit)))


def _after_image_marker(session, owner: User, query, marker: str):
    image = session.scalar(sa.select(Image).where(Image.id == marker, image_visibility(owner)))
    if image is None:
        raise InvalidInput(f"marker [{marker}] not found")
    return query.where(sa.or_(Image.created < image.created,
                              sa.and_(Image.created == image.created, Image.id > image.id)))


def get_image(session, owner: User, image_id: str) -> Image:
    image = session.scalar(sa.select(Image).where(Image.id == str(image_id), image_visibility(owner))
                           .options(selectinload(Image.metadata_items)))
    if image is None:
        raise NotFound(f"Image {image_id} could not be found.")
    return image


MAX_DB_INT = 2 ** 31 - 1


def is_db_int(value) -> bool:
    """True for an int (or a string of digits) that fits an INTEGER column."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        # Longer strings are out of range anyway (and int() refuses 4,300+ digits).
        value = int(value) if len(value) <= len(str(MAX_DB_INT)) else 0
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DB_INT
