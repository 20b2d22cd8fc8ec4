"""Flavors, images and backends: what an operator seeds a deployment with."""
from __future__ import annotations

import sqlalchemy as sa

from synnefo.core.contracts.scheduling import BackendCandidate
from synnefo.core.db.models import Backend, Flavor, Image, ImageMetadata, Server
from synnefo.core.errors import Conflict, InvalidInput, NotFound

IMAGE_FORMATS = ("diskdump", "lvm", "ntfsdump", "ext3dump", "dump", "ntfsclone", "raw", "qcow2")


def create_flavor(session, name: str, vcpus: int, ram_mib: int, disk_gib: int,
                  public: bool = True, flavor_id: int | None = None) -> Flavor:
    if min(vcpus, ram_mib, disk_gib) <= 0:
        raise InvalidInput("vcpus, ram and disk must be positive")
    if session.scalar(sa.select(Flavor.id).where(Flavor.name == name)) is not None:
        raise Conflict(f"flavor {name!r} already exists")
    flavor = Flavor(id=flavor_id, name=name, vcpus=vcpus, ram_mib=ram_mib, disk_gib=disk_gib,
                    public=public)
    session.add(flavor)
    session.flush()
    return flavor


def list_flavors(session) -> list[Flavor]:
    return list(session.scalars(sa.select(Flavor).order_by(Flavor.id)))


def register_image(session, name: str, backend_ref: str, format: str = "diskdump",
                   owner=None, public: bool = True, metadata: dict | None = None,
                   min_disk_gib: int = 0, min_ram_mib: int = 0, image_id: str | None = None) -> Image:
    if format not in IMAGE_FORMATS:
        raise InvalidInput(f"image format {format!r} is not one of {', '.join(IMAGE_FORMATS)}")
    image = Image(id=image_id, name=name, backend_ref=backend_ref, format=format, owner=owner,
                  public=public, status="ACTIVE", min_disk_gib=min_disk_gib, min_ram_mib=min_ram_mib)
    image.metadata_items = [ImageMetadata(key=k, value=str(v)) for k, v in (metadata or {}).items()]
    session.add(image)
    session.flush()
    return image


def list_images(session) -> list[Image]:
    return list(session.scalars(sa.select(Image).order_by(Image.name)))


def add_backend(session, name: str, driver: str, rapi_url: str | None = None,
                username: str | None = None, credentials_ref: str | None = None,
                options: dict | None = None) -> Backend:
    if session.scalar(sa.select(Backend.id).where(Backend.name == name)) is not None:
        raise Conflict(f"backend {name!r} already exists")
    _refuse_second_row_for_one_cluster(session, rapi_url)
    backend = Backend(name=name, driver=driver, rapi_url=rapi_url, username=username,
                      credentials_ref=credentials_ref, options=options or {})
    session.add(backend)
    session.flush()
    return backend


def _refuse_second_row_for_one_cluster(session, rapi_url: str | None) -> None:
    """Two backends on one cluster would each see the other's instances as orphans, and
    ``reconcile --fix-orphans`` would delete live servers."""
    if not rapi_url:
        return
    wanted = rapi_url.strip().rstrip("/").lower()
    for other, url in session.execute(sa.select(Backend.name, Backend.rapi_url)):
        if url and url.strip().rstrip("/").lower() == wanted:
            raise Conflict(f"backend {other!r} already uses the cluster at {rapi_url}: two "
                           f"backends on one cluster would make reconciliation delete each "
                           f"other's servers as orphans")


def get_backend(session, name: str) -> Backend:
    backend = session.scalar(sa.select(Backend).where(Backend.name == name))
    if backend is None:
        raise NotFound(f"backend {name!r} not found")
    return backend


def list_backends(session) -> list[Backend]:
    return list(session.scalars(sa.select(Backend).order_by(Backend.id)))


def backend_candidates(session) -> list[BackendCandidate]:
    """The enabled backends with their load, as the ``select_backend`` hook gets them."""
    live = (sa.select(Server.backend_id, sa.func.count(Server.id).label("load"))
            .where(Server.deleted.is_(False)).group_by(Server.backend_id).subquery())
    rows = session.execute(
        sa.select(Backend.id, Backend.name, sa.func.coalesce(live.c.load, 0))
        .outerjoin(live, live.c.backend_id == Backend.id)
        .where(Backend.drained.is_(False), Backend.offline.is_(False)).order_by(Backend.id))
    return [BackendCandidate(id=row[0], name=row[1], load=row[2]) for row in rows]
