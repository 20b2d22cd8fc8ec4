"""snf-manage image-register|image-list."""
from synnefo.core.errors import NotFound
from synnefo.core.services import accounts, catalog
from synnefo.daemons.manage.output import emit


def register(subparsers) -> None:
    reg = subparsers.add_parser("image-register", help="register an image Ganeti can deploy")
    reg.add_argument("name")
    reg.add_argument("--ref", required=True, help="the image reference the Ganeti OS provider knows")
    reg.add_argument("--format", default="diskdump", choices=catalog.IMAGE_FORMATS)
    reg.add_argument("--owner", help="user name (default: no owner, a system image)")
    reg.add_argument("--private", action="store_true", help="visible to its owner only")
    reg.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    reg.add_argument("--min-disk", type=int, default=0, help="GiB")
    reg.add_argument("--min-ram", type=int, default=0, help="MiB")
    reg.set_defaults(func=image_register)
    lister = subparsers.add_parser("image-list", help="list images")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=image_list)


def _metadata(pairs: list[str]) -> dict:
    meta = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"snf-manage image-register: --meta {pair!r} is not KEY=VALUE")
        meta[key] = value
    return meta


def image_register(args, ctx) -> int:
    with ctx.core.uow() as uow:
        owner = None
        if args.owner:
            owner = accounts.find_user(uow.session, args.owner)
            if owner is None:
                raise NotFound(f"user {args.owner!r} not found")
        image = catalog.register_image(uow.session, args.name, args.ref, args.format, owner=owner,
                                       public=not args.private, metadata=_metadata(args.meta),
                                       min_disk_gib=args.min_disk, min_ram_mib=args.min_ram)
    print(f"image {image.name} registered with id {image.id}")
    return 0


def image_list(args, ctx) -> int:
    with ctx.core.uow() as uow:
        rows = [{"id": i.id, "name": i.name, "ref": i.backend_ref, "format": i.format,
                 "public": i.public, "owner": i.owner_id or "", "status": i.status}
                for i in catalog.list_images(uow.session)]
    emit(rows, ["id", "name", "ref", "format", "public", "owner", "status"], args.json)
    return 0
