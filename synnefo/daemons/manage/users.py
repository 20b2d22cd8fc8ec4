"""snf-manage user-create|user-list|token-create."""
import getpass

import sqlalchemy as sa

from synnefo.core.db.models import User
from synnefo.core.errors import NotFound
from synnefo.core.services import accounts
from synnefo.daemons.manage.output import emit


def register(subparsers) -> None:
    create = subparsers.add_parser("user-create", help="create a user and print an API token")
    create.add_argument("name")
    create.add_argument("--password", help="for token issuance through /identity/v3 "
                                           "('-' prompts)")
    create.add_argument("--admin", action="store_true")
    for quota in ("max-servers", "max-cores", "max-ram-mib", "max-disk-gib"):
        create.add_argument(f"--{quota}", type=int)
    create.set_defaults(func=user_create)
    lister = subparsers.add_parser("user-list", help="list users and their quotas")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=user_list)
    token = subparsers.add_parser("token-create", help="issue a new API token for a user")
    token.add_argument("name")
    token.set_defaults(func=token_create)


def _quotas(args, settings) -> dict:
    return {
        "max_servers": args.max_servers if args.max_servers is not None else settings.default_max_servers,
        "max_cores": args.max_cores if args.max_cores is not None else settings.default_max_cores,
        "max_ram_mib": args.max_ram_mib if args.max_ram_mib is not None else settings.default_max_ram_mib,
        "max_disk_gib": args.max_disk_gib if args.max_disk_gib is not None else settings.default_max_disk_gib,
    }


def user_create(args, ctx) -> int:
    password = getpass.getpass("password: ") if args.password == "-" else args.password
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


def token_create(args, ctx) -> int:
    with ctx.core.uow() as uow:
        user = accounts.find_user(uow.session, args.name)
        if user is None:
            raise NotFound(f"user {args.name!r} not found")
        token, row = accounts.issue_token(uow.session, user, ctx.settings.token_lifetime_hours)
    print(f"token: {token}")
    print(f"expires: {row.expires.isoformat()}")
    return 0
