"""snf-manage plugins: what is installed and what the .ini enables, per group."""
from synnefo.core import plugins
from synnefo.daemons.manage.output import emit


def register(subparsers) -> None:
    parser = subparsers.add_parser("plugins", help="list installed and enabled plugins")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=list_plugins)


def list_plugins(args, ctx) -> int:
    enabled = plugins.enabled_names(ctx.settings)
    rows = []
    for key, group in plugins.GROUPS.items():
        for info in plugins.installed(group):
            rows.append({"group": group, "name": info.name, "enabled": info.name in enabled[key],
                         "distribution": f"{info.distribution} {info.version}",
                         "target": info.value})
    emit(rows, ["group", "name", "enabled", "distribution", "target"], args.json)
    return 0
