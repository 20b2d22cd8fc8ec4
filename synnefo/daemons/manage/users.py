"""snf-manage user-create|user-list|user-modify|user-disable|user-enable|user-delete|
token-create|token-revoke."""
import getpass
import sys

import sqlalchemy as sa

from synnefo.core.db.models import User
from synnefo.core.errors import Conflict, InvalidInput, NotFound
from synnefo.core.services import accounts
from synnefo.core.services.servers import ServerService
from synnefo.daemons.manage.output import emit


QUOTAS = ("max-servers", "max-cores", "max-ram-mib", "max-disk-gib")


def register(subparsers) -> None:
    create = subparsers.add_parser("user-create", help="create a user and print an API token")
    create.add_argument("name")
    create.add_argument("--password", help="for token issuance through /identity/v3 "
                                           "('-' prompts, or reads a line from piped stdin)")
    create.add_argument("--admin", action="store_true")
    for quota in QUOTAS:
        create.add_argument(f"--{quota}", type=int)
    create.set_defaults(func=user_create)
    lister = subparsers.add_parser("user-list", help="list users and their quotas")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=user_list)
    modify = subparsers.add_parser("user-modify", help="change a user's quotas, password or role")
    modify.add_argument("name")
    modify.add_argument("--password", help="new password ('-' prompts, or reads piped stdin)")
    modify.add_argument("--admin", choices=("yes", "no"))
    for quota in QUOTAS:
        modify.add_argument(f"--{quota}", type=int)
    modify.set_defaults(func=user_modify)
    token = subparsers.add_parser("token-create", help="issue a new API token for a user")
    token.add_argument("name")
    token.set_defaults(func=token_create)
    _register_lifecycle(subparsers)


def _register_lifecycle(subparsers) -> None:
    for command, func, text in (
            ("user-disable", user_disable, "stop a user from logging in; revoke their tokens"),
            ("user-enable", user_enable, "let a disabled user log in again")):
        parser = subparsers.add_parser(command, help=text)
        parser.add_argument("name")
        parser.set_defaults(func=func)
    delete = subparsers.add_parser("user-delete", help="delete a user (refused while they have "
                                                       "servers, unless --force)")
    delete.add_argument("name")
    delete.add_argument("--force", action="store_true",
                        help="first submit the deletion of the user's servers to their backends")
    delete.set_defaults(func=user_delete)
    revoke = subparsers.add_parser("token-revoke", help="revoke one token, or all of a user's")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--token", help="the token to revoke ('-' reads it from stdin)")
    which.add_argument("--user", help="revoke every token of this user")
    revoke.set_defaults(func=token_revoke)


def _quotas(args, settings) -> dict:
    return {
        "max_servers": args.max_servers if args.max_servers is not None else settings.default_max_servers,
        "max_cores": args.max_cores if args.max_cores is not None else settings.default_max_cores,
        "max_ram_mib": args.max_ram_mib if args.max_ram_mib is not None else settings.default_max_ram_mib,
        "max_disk_gib": args.max_disk_gib if args.max_disk_gib is not None else settings.default_max_disk_gib,
    }


def read_password(value: str | None) -> str | None:
    """``-``: prompt on a terminal, else read one line from stdin (getpass would warn that it
    cannot hide the echo of a pipe)."""
    if value != "-":
        return value
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        raise InvalidInput("--password -: stdin gave an empty password")
    return line


def user_create(args, ctx) -> int:
    password = read_password(args.password)
    with ctx.core.uow() as uow:
        user = accounts.create_user(uow.session, args.name, password, is_admin=args.admin,
                                    **_quotas(args, ctx.settings))
        token, row = accounts.issue_token(uow.session, user, ctx.settings.token_lifetime_hours)
    print(f"user {user.name} (id {user.id}) created")
    print(f"token: {token}")
    print(f"expires: {row.expires.isoformat()}")
    return 0


def user_list(args, ctx) -> int:
    with ctx.core.uow() as uow:
        rows = [{"id": u.id, "name": u.name, "admin": u.is_admin, "max_servers": u.max_servers,
                 "max_cores": u.max_cores, "max_ram_mib": u.max_ram_mib,
                 "max_disk_gib": u.max_disk_gib}
                for u in uow.session.scalars(sa.select(User).order_by(User.id))]
    emit(rows, ["id", "name", "admin", "max_servers", "max_cores", "max_ram_mib", "max_disk_gib"],
         args.json)
    return 0


def _find(session, name: str):
    user = accounts.find_user(session, name)
    if user is None:
        raise NotFound(f"user {name!r} not found")
    return user


def user_modify(args, ctx) -> int:
    password = read_password(args.password)
    with ctx.core.uow() as uow:
        user = _find(uow.session, args.name)
        for quota in QUOTAS:
            value = getattr(args, quota.replace("-", "_"))
            if value is not None:
                if value < 0:
                    raise InvalidInput(f"--{quota} must not be negative")
                setattr(user, quota.replace("-", "_"), value)
        revoked = accounts.set_password(uow.session, user, password) if password else 0
        if args.admin:
            user.is_admin = args.admin == "yes"
        summary = (f"max_servers={user.max_servers} max_cores={user.max_cores} "
                   f"max_ram_mib={user.max_ram_mib} max_disk_gib={user.max_disk_gib} "
                   f"admin={user.is_admin}")
    print(f"user {args.name}: {summary}")
    if password:
        print(f"password changed; {revoked} token(s) revoked")
    return 0


def token_create(args, ctx) -> int:
    with ctx.core.uow() as uow:
        user = _find(uow.session, args.name)
        token, row = accounts.issue_token(uow.session, user, ctx.settings.token_lifetime_hours)
    print(f"token: {token}")
    print(f"expires: {row.expires.isoformat()}")
    return 0


def user_disable(args, ctx) -> int:
    with ctx.core.uow() as uow:
        revoked = accounts.set_disabled(uow.session, _find(uow.session, args.name), True)
    print(f"user {args.name} disabled; {revoked} token(s) revoked")
    return 0


def user_enable(args, ctx) -> int:
    with ctx.core.uow() as uow:
        accounts.set_disabled(uow.session, _find(uow.session, args.name), False)
    print(f"user {args.name} enabled")
    return 0


def user_delete(args, ctx) -> int:
    """Disable first (no new logins or servers), then delete the servers if forced, then purge."""
    with ctx.core.uow() as uow:
        user = _find(uow.session, args.name)
        live = accounts.live_server_ids(uow.session, user)
        if live and not args.force:
            raise Conflict(f"user {args.name!r} has {len(live)} live server(s) "
                           f"({', '.join(map(str, live))}); delete them first or use --force")
        accounts.set_disabled(uow.session, user, True)
    if live:
        _delete_servers(ctx, args.name, live)
    with ctx.core.uow() as uow:
        accounts.purge_user(uow.session, _find(uow.session, args.name))
    print(f"user {args.name} deleted" + (f" ({len(live)} server deletion(s) submitted)"
                                         if live else ""))
    return 0


def _delete_servers(ctx, name: str, server_ids: list[int]) -> None:
    """Submit each deletion; a backend that refuses stops the command (the user stays disabled)."""
    for server_id in server_ids:
        with ctx.core.uow() as uow:
            ServerService(uow, ctx.core).delete(_find(uow.session, name), server_id)
        print(f"server {server_id}: deletion submitted")


def token_revoke(args, ctx) -> int:
    with ctx.core.uow() as uow:
        if args.user:
            count = accounts.revoke_tokens(uow.session, _find(uow.session, args.user))
            print(f"{count} token(s) of user {args.user} revoked")
            return 0
        token = sys.stdin.readline().strip() if args.token == "-" else args.token
        owner = accounts.revoke_token(uow.session, token)
        if owner is None:
            raise NotFound("no such token (already revoked or expired and removed?)")
        print(f"token of user {owner.name} revoked")
    return 0
