"""snf-manage backend-add|backend-list|backend-modify: the Ganeti clusters."""
import json

from synnefo.core.services import catalog
from synnefo.daemons.manage.output import emit


def register(subparsers) -> None:
    add = subparsers.add_parser("backend-add", help="register a Ganeti cluster")
    add.add_argument("name")
    add.add_argument("--driver", default="ganeti", help="backend driver plugin (ganeti, fake)")
    add.add_argument("--rapi-url", help="e.g. https://ganeti-master.example.org:5080")
    add.add_argument("--username")
    add.add_argument("--credentials", metavar="REF",
                     help="where the RAPI password is: env:VAR, file:/path or setting")
    add.add_argument("--option", action="append", default=[], metavar="KEY=JSON",
                     help="driver option, e.g. ca_file='\"/etc/synnefo/cluster.pem\"'")
    add.set_defaults(func=backend_add)
    lister = subparsers.add_parser("backend-list", help="list backends")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=backend_list)
    mod = subparsers.add_parser("backend-modify", help="drain, undrain or take a backend offline")
    mod.add_argument("name")
    mod.add_argument("--drained", choices=("yes", "no"))
    mod.add_argument("--offline", choices=("yes", "no"))
    mod.set_defaults(func=backend_modify)


def _options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"snf-manage backend-add: --option {pair!r} is not KEY=VALUE")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def backend_add(args, ctx) -> int:
    if args.driver not in ctx.settings.backend_drivers:
        raise SystemExit(f"snf-manage backend-add: driver {args.driver!r} is not enabled "
                         f"(synnefo.backend_drivers = {' '.join(ctx.settings.backend_drivers)})")
    with ctx.core.uow() as uow:
        backend = catalog.add_backend(uow.session, args.name, args.driver, args.rapi_url,
                                      args.username, args.credentials, _options(args.option))
    print(f"backend {backend.name} (id {backend.id}) added")
    return 0


def backend_list(args, ctx) -> int:
    with ctx.core.uow() as uow:
        rows = [{"id": b.id, "name": b.name, "driver": b.driver, "rapi_url": b.rapi_url or "",
                 "drained": b.drained, "offline": b.offline}
                for b in catalog.list_backends(uow.session)]
    emit(rows, ["id", "name", "driver", "rapi_url", "drained", "offline"], args.json)
    return 0


def backend_modify(args, ctx) -> int:
    with ctx.core.uow() as uow:
        backend = catalog.get_backend(uow.session, args.name)
        if args.drained:
            backend.drained = args.drained == "yes"
        if args.offline:
            backend.offline = args.offline == "yes"
        state = f"drained={backend.drained} offline={backend.offline}"
    print(f"backend {args.name}: {state}")
    return 0
