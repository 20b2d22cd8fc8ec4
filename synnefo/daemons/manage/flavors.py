"""snf-manage flavor-create|flavor-list."""
from synnefo.core.services import catalog
from synnefo.daemons.manage.output import emit


def register(subparsers) -> None:
    create = subparsers.add_parser("flavor-create", help="create a flavor")
    create.add_argument("name")
    create.add_argument("--vcpus", type=int, required=True)
    create.add_argument("--ram", type=int, required=True, help="MiB")
    create.add_argument("--disk", type=int, required=True, help="GiB")
    create.add_argument("--id", type=int, help="flavor id (default: next free)")
    create.add_argument("--private", action="store_true", help="hide from non-admin listings")
    create.set_defaults(func=flavor_create)
    lister = subparsers.add_parser("flavor-list", help="list flavors")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=flavor_list)


def flavor_create(args, ctx) -> int:
    with ctx.core.uow() as uow:
        flavor = catalog.create_flavor(uow.session, args.name, args.vcpus, args.ram, args.disk,
                                       public=not args.private, flavor_id=args.id)
    print(f"flavor {flavor.name} (id {flavor.id}) created")
    return 0


def flavor_list(args, ctx) -> int:
    with ctx.core.uow() as uow:
        rows = [{"id": f.id, "name": f.name, "vcpus": f.vcpus, "ram_mib": f.ram_mib,
                 "disk_gib": f.disk_gib, "public": f.public} for f in catalog.list_flavors(uow.session)]
    emit(rows, ["id", "name", "vcpus", "ram_mib", "disk_gib", "public"], args.json)
    return 0
