"""snf-manage server-list|server-show: inspect servers as the database has them."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import orm

from synnefo.core.db.models import Backend, Server, User
from synnefo.core.db.server_state import server_state
from synnefo.core.domain.state import OperState, api_status
from synnefo.core.errors import NotFound
from synnefo.daemons.manage.output import emit, print_json, print_table

LIST_COLUMNS = ["id", "name", "owner", "backend", "operstate", "status", "task", "last_job",
                "updated"]
NIC_COLUMNS = ["index", "mac", "ipv4", "ipv6", "link", "network"]


def register(subparsers) -> None:
    lister = subparsers.add_parser("server-list", help="list servers (deleted ones with --deleted)")
    lister.add_argument("--user", metavar="NAME", help="only servers owned by this user")
    lister.add_argument("--backend", metavar="NAME", help="only servers on this backend")
    lister.add_argument("--operstate", choices=[s.value for s in OperState],
                        help="only servers in this operstate")
    lister.add_argument("--deleted", action="store_true", help="include deleted servers")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=server_list)
    show = subparsers.add_parser("server-show", help="every detail of one server")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=server_show)


def _iso(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _last_job(server: Server) -> dict | None:
    if server.backend_job_id is None:
        return None
    return {"id": server.backend_job_id, "opcode": server.backend_opcode,
            "status": server.backend_status}


def _list_query(args) -> sa.Select:
    # One query: owner and backend names come from the joins, and raiseload turns any
    # accidental per-row lazy load into an error instead of an N+1.
    query = (sa.select(Server, User.name, Backend.name)
             .join(User, Server.owner_id == User.id)
             .outerjoin(Backend, Server.backend_id == Backend.id)
             .options(orm.raiseload("*"))
             .order_by(Server.id))
    if args.user:
        query = query.where(User.name == args.user)
    if args.backend:
        query = query.where(Backend.name == args.backend)
    if args.operstate:
        query = query.where(Server.operstate == args.operstate)
    if not args.deleted:
        query = query.where(Server.deleted.is_(False))
    return query


def _list_row(server: Server, owner: str, backend: str | None) -> dict:
    return {"id": server.id, "name": server.name, "owner": owner, "backend": backend,
            "operstate": server.operstate, "status": api_status(server_state(server)).value,
            "task": server.task, "last_job": _last_job(server), "updated": _iso(server.updated)}


def _check_filters(session, args) -> None:
    """An empty listing because of a misspelt name should say so (only checked when empty)."""
    if args.user and session.scalar(sa.select(User.id).where(User.name == args.user)) is None:
        raise NotFound(f"user {args.user!r} not found")
    if args.backend and session.scalar(
            sa.select(Backend.id).where(Backend.name == args.backend)) is None:
        raise NotFound(f"backend {args.backend!r} not found")


def _table_row(row: dict) -> dict:
    job = row["last_job"]
    text = f"{job['id']}/{job['opcode'] or '-'}/{job['status'] or '-'}" if job else ""
    return {**row, "backend": row["backend"] or "", "task": row["task"] or "", "last_job": text}


def server_list(args, ctx) -> int:
    with ctx.core.uow() as uow:
        rows = [_list_row(*found) for found in uow.session.execute(_list_query(args))]
        if not rows:
            _check_filters(uow.session, args)
    emit(rows if args.json else [_table_row(r) for r in rows], LIST_COLUMNS, args.json)
    return 0


def _load(session, server_id: int) -> Server:
    server = session.scalar(
        sa.select(Server).where(Server.id == server_id)
        .options(orm.joinedload(Server.owner), orm.joinedload(Server.flavor),
                 orm.joinedload(Server.image), orm.joinedload(Server.backend),
                 orm.selectinload(Server.nics), orm.selectinload(Server.metadata_items)))
    if server is None:
        raise NotFound(f"server {server_id} not found")
    return server


def _details(server: Server, instance_name: str) -> dict:
    details = {c.key: _iso(getattr(server, c.key)) for c in Server.__mapper__.column_attrs}
    flavor, image = server.flavor, server.image
    details.update({
        "instance_name": instance_name,
        "status": api_status(server_state(server)).value,
        "owner": server.owner.name,
        "backend": server.backend.name if server.backend else None,
        "flavor": {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus,
                   "ram_mib": flavor.ram_mib, "disk_gib": flavor.disk_gib},
        "image": {"id": image.id, "name": image.name, "backend_ref": image.backend_ref}
        if image else None,
        "nics": [{c: getattr(nic, c) for c in NIC_COLUMNS} for nic in server.nics],
        "metadata": {m.key: m.value for m in server.metadata_items},
    })
    return details


def _print_details(details: dict) -> None:
    nested = ("flavor", "image", "nics", "metadata")
    width = max(len(k) for k in details)
    for key, value in details.items():
        if key not in nested:
            print(f"{key.ljust(width)}  {'' if value is None else value}")
    flavor, image = details["flavor"], details["image"]
    print(f"{'flavor'.ljust(width)}  {flavor['name']} (id {flavor['id']}, {flavor['vcpus']} "
          f"vCPU, {flavor['ram_mib']} MiB RAM, {flavor['disk_gib']} GiB disk)")
    print(f"{'image'.ljust(width)}  "
          + (f"{image['name']} (id {image['id']}, ref {image['backend_ref']})" if image else ""))
    print("\nNICs:")
    print_table([{c: "" if v is None else v for c, v in n.items()} for n in details["nics"]],
                NIC_COLUMNS)
    print("\nMetadata:")
    print_table([{"key": k, "value": v} for k, v in details["metadata"].items()],
                ["key", "value"])


def server_show(args, ctx) -> int:
    with ctx.core.uow() as uow:
        details = _details(_load(uow.session, args.id), ctx.core.naming.instance_name(args.id))
    if args.json:
        print_json(details)
    else:
        _print_details(details)
    return 0
