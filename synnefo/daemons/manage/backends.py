"""snf-manage backend-add|backend-check|backend-list|backend-modify: the Ganeti clusters."""
import contextlib
import dataclasses
import json
import logging

from synnefo.core.contracts import CheckResult
from synnefo.core.errors import ConfigurationError
from synnefo.core.services import catalog
from synnefo.daemons.manage.output import emit, print_json

OPTION_HELP = ("driver option, e.g. ca_file=/etc/synnefo/cluster.pem or os_params=none; the "
               "value is read as JSON when it parses (numbers, true/false, objects), else as text")


TRANSPORT_LOGGERS = ("synnefo.plugins.backends.rapi_client", "urllib3.connectionpool")


class CheckFailed(Exception):
    """backend-add: the new backend failed its check; the transaction is rolled back."""


def register(subparsers) -> None:
    add = subparsers.add_parser("backend-add", help="register a Ganeti cluster (checked first)")
    add.add_argument("name")
    add.add_argument("--driver", default="ganeti", help="backend driver plugin (ganeti, fake)")
    add.add_argument("--rapi-url", help="e.g. https://ganeti-master.example.org:5080")
    add.add_argument("--username")
    add.add_argument("--credentials", metavar="REF",
                     help="where the RAPI password is: env:VAR, file:/path or setting")
    add.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help=OPTION_HELP)
    add.add_argument("--no-check", action="store_true",
                     help="add it even if backend-check fails (e.g. the cluster is not up yet)")
    add.set_defaults(func=backend_add)
    check = subparsers.add_parser("backend-check", help="check that a backend can take servers")
    check.add_argument("name")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=backend_check)
    lister = subparsers.add_parser("backend-list", help="list backends")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=backend_list)
    mod = subparsers.add_parser("backend-modify",
                                help="drain, undrain, take offline, or change its address, "
                                     "credentials or driver options")
    mod.add_argument("name")
    mod.add_argument("--drained", choices=("yes", "no"))
    mod.add_argument("--offline", choices=("yes", "no"))
    mod.add_argument("--rapi-url")
    mod.add_argument("--username")
    mod.add_argument("--credentials", metavar="REF", help="env:VAR, file:/path or setting")
    mod.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help=OPTION_HELP + "; an empty value removes the option")
    mod.set_defaults(func=backend_modify)


def _options(pairs: list[str], command: str) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"snf-manage {command}: --option {pair!r} is not KEY=VALUE")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value       # plain text needs no JSON quoting
    return options


def backend_add(args, ctx) -> int:
    if args.driver not in ctx.settings.backend_drivers:
        raise SystemExit(f"snf-manage backend-add: driver {args.driver!r} is not enabled "
                         f"(synnefo.backend_drivers = {' '.join(ctx.settings.backend_drivers)})")
    try:
        with ctx.core.uow() as uow:
            backend = catalog.add_backend(uow.session, args.name, args.driver, args.rapi_url,
                                          args.username, args.credentials,
                                          _options(args.option, "backend-add"))
            if not args.no_check and not _report(_check(backend, ctx), backend.name, False):
                raise CheckFailed()
            added = (backend.name, backend.id)
    except CheckFailed:
        print(f"backend {args.name} NOT added: fix the above and run backend-add again "
              f"(or add it anyway with --no-check, then run backend-check)")
        return 1
    print(f"backend {added[0]} (id {added[1]}) added")
    return 0


def backend_check(args, ctx) -> int:
    with ctx.core.uow() as uow:
        backend = catalog.get_backend(uow.session, args.name)
        results = _check(backend, ctx)
    return 0 if _report(results, args.name, args.json) else 1


def _check(backend, ctx) -> list[CheckResult]:
    """The driver's own checks; a backend whose driver cannot even be built fails here."""
    try:
        driver = ctx.core.driver_for(backend)
    except ConfigurationError as exc:
        return [CheckResult("configuration", False, str(exc), _configuration_fix(str(exc)))]
    with _quiet(ctx.verbose):
        return driver.check(public_network=ctx.settings.public_network)


@contextlib.contextmanager
def _quiet(verbose: bool):
    """The report says what failed: the transport's own error and retry log lines, meant for
    daemons' logs, would only repeat it (``-v`` keeps them)."""
    loggers = [logging.getLogger(name) for name in TRANSPORT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL if not verbose else logger.level)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _configuration_fix(message: str) -> str:
    if "credentials variable" in message:
        return ("export the variable for snf-manage and for every Synnefo process (e.g. in the "
                "systemd units' EnvironmentFile), or use --credentials file:/path")
    if "ca_file" in message:
        return "copy the cluster's RAPI certificate there, or set --option ca_file=/its/path"
    return "fix the backend's settings (backend-modify --option KEY=VALUE)"


def _report(results: list[CheckResult], name: str, as_json: bool) -> bool:
    ok = all(r.ok for r in results)
    if as_json:
        print_json({"backend": name, "ok": ok,
                    "checks": [dataclasses.asdict(r) for r in results]})
        return ok
    print(f"backend {name}: {'ok' if ok else 'PROBLEMS FOUND'}")
    for r in results:
        print(f"  {'ok  ' if r.ok else 'FAIL'}  {r.name:<14} {r.detail}")
        if not r.ok and r.fix:
            print(f"        {'':<14} fix: {r.fix}")
    return ok


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
        for field in ("rapi_url", "username", "credentials"):
            if getattr(args, field) is not None:
                setattr(backend, "credentials_ref" if field == "credentials" else field,
                        getattr(args, field) or None)
        if args.option:
            options = dict(backend.options or {})
            options.update(_options(args.option, "backend-modify"))
            backend.options = {k: v for k, v in options.items() if v != ""}
        state = f"drained={backend.drained} offline={backend.offline}"
        if args.option:
            state += f" options={json.dumps(backend.options, sort_keys=True)}"
    print(f"backend {args.name}: {state}")
    return 0
