"""Server lifecycle: create, rename, delete and power actions.

The API never waits for Ganeti. Each mutating call commits the intent first (new row in
BUILD, or a Nova task such as ``deleting``), then submits the job through the backend driver
and records its id. Committing before submitting matters: the job's notifications may come
back through the dispatcher before this request ends, and they must find the row.
"""
from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass

import sqlalchemy as sa

from synnefo.core.contracts.backend import InstanceSpec, NicSpec
from synnefo.core.contracts.console import ConsoleForwarding
from synnefo.core.db.models import Backend, Server, User
from synnefo.core.db.server_state import server_state, store_state
from synnefo.core.domain import state as sm
from synnefo.core.domain.state import OperState, Task
from synnefo.core.errors import BackendError, BackendNotFound, Conflict, InvalidInput, NotFound
from synnefo.core.services import boot_data, queries, quotas
from synnefo.core.services import metadata as meta
from synnefo.core.services.catalog import backend_candidates
from synnefo.core.services.keypairs import KeypairService
from synnefo.core.timeutil import utcnow

log = logging.getLogger(__name__)
PASSWORD_ALPHABET = string.ascii_letters + string.digits
NO_VALID_HOST = "No valid host was found. There are no enabled backends."


@dataclass(frozen=True)
class CreateRequest:
    """What ``POST /servers`` asks for, already validated for shape."""
    name: str
    flavor_id: object
    image_id: str
    metadata: dict
    networks: object = "auto"   # "auto", "none" or a list of {"uuid"/"fixed_ip"} dicts
    min_count: int = 1
    max_count: int = 1
    key_name: str | None = None
    user_data: str | None = None            # base64 text
    personality: tuple[tuple[str, str], ...] = ()   # (path, base64 contents)


@dataclass(frozen=True)
class BootData:
    """What a create hands the driver besides the image: keys, user data, injected files."""
    key_name: str | None = None
    public_keys: tuple[str, ...] = ()
    user_data: str | None = None
    personality: tuple[tuple[str, str], ...] = ()


def new_password(length: int = 12) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class ServerService:
    """Server operations of one unit of work; ``owner`` is the authenticated user."""

    def __init__(self, uow, core):
        self.uow = uow
        self.core = core
        self.session = uow.session

    # -- create -------------------------------------------------------------------------------

    def create(self, owner: User, req: CreateRequest) -> list[tuple[Server, str]]:
        """Create ``max_count`` servers (fewer if the quota allows only ``min_count``..)."""
        owner = self._lock_user(owner.id)
        flavor, image = self._flavor_and_image(owner, req)
        items = meta.validate(req.metadata, self.core.settings.max_metadata_items)
        boot = self._boot(owner, req)
        count = self._count(owner, flavor, req)
        self.core.hooks.before_server_create(uow=self.uow, owner=owner, flavor=flavor,
                                             image=image, name=req.name)
        backend = self._select_backend(owner, flavor)
        created = [self._insert(owner, flavor, image, req.name, items, backend, boot)
                   for _ in range(count)]
        self.uow.commit()
        return [(server, self._submit_create(server, backend, req, boot)) for server in created]

    def _boot(self, owner, req: CreateRequest) -> BootData:
        """The keypair's public key, user data and injected files, validated."""
        keys: tuple[str, ...] = ()
        if req.key_name is not None:
            keypair = KeypairService(self.uow, self.core).get_or_none(owner.id, req.key_name)
            if keypair is None:
                raise InvalidInput(f"Invalid key_name provided: keypair {req.key_name!r} "
                                   "could not be found.")
            keys = (keypair.public_key,)
        return BootData(key_name=req.key_name, public_keys=keys,
                        user_data=boot_data.check_user_data(req.user_data),
                        personality=boot_data.check_personality(req.personality))

    def _lock_user(self, user_id: int) -> User:
        # Serialises the quota check of concurrent creates by one user.
        return self.session.scalars(sa.select(User).where(User.id == user_id).with_for_update()
                                    .execution_options(populate_existing=True)).one()

    def _flavor_and_image(self, owner, req: CreateRequest):
        try:
            flavor = queries.get_flavor(self.session, owner, req.flavor_id)
        except NotFound:
            raise InvalidInput(f"Flavor {req.flavor_id} could not be found.") from None
        try:
            image = queries.get_image(self.session, owner, req.image_id)
        except NotFound:
            raise InvalidInput(f"Image {req.image_id} could not be found.") from None
        if image.status != "ACTIVE":
            raise InvalidInput(f"Image {image.id} is not active.")
        return flavor, image

    def _count(self, owner, flavor, req: CreateRequest) -> int:
        allowed = quotas.allowed_count(self.session, owner, flavor, req.max_count)
        if allowed < req.min_count:
            quotas.check_create(self.session, owner, flavor, req.min_count)
        return max(allowed, req.min_count)

    def _select_backend(self, owner, flavor) -> Backend | None:
        candidates = backend_candidates(self.session)
        if not candidates:
            return None
        chosen = self.core.hooks.select_backend(backends=candidates, flavor=flavor, owner=owner)
        if chosen is None:
            return None
        if chosen not in candidates:
            raise TypeError(f"select_backend answered {chosen!r}, not one of its candidates")
        return self.session.get(Backend, chosen.id)

    def _insert(self, owner, flavor, image, name, items, backend, boot) -> Server:
        server = Server(owner_id=owner.id, name=name, flavor=flavor, image=image,
                        backend_id=backend.id if backend else None,
                        operstate=OperState.BUILD.value, key_name=boot.key_name,
                        user_data=boot.user_data,
                        personality=[list(f) for f in boot.personality] or None)
        server.metadata_items = []
        meta.replace(server, items, self.core.settings.max_metadata_items)
        if backend is None:
            server.operstate, server.fault_message = OperState.ERROR.value, NO_VALID_HOST
        self.session.add(server)
        self.session.flush()
        return server

    def _submit_create(self, server: Server, backend, req: CreateRequest, boot) -> str:
        password = new_password()
        if backend is None:
            return password
        spec = self._spec(server, password, req, boot)
        self._submit(server, backend, lambda driver: driver.create_instance(spec), task=None,
                     create=True)
        return password

    def _spec(self, server: Server, password: str, req: CreateRequest, boot) -> InstanceSpec:
        settings = self.core.settings
        return InstanceSpec(
            name=self.core.naming.instance_name(server.id), vcpus=server.flavor.vcpus,
            ram_mib=server.flavor.ram_mib, disk_gib=server.flavor.disk_gib,
            image_ref=server.image.backend_ref, image_format=server.image.format,
            password=password, nics=self._nics(req.networks),
            os_provider=settings.os_provider or None, metadata=meta.as_dict(server),
            key_name=boot.key_name, public_keys=boot.public_keys, user_data=boot.user_data,
            personality=boot.personality,
            image_properties={m.key: m.value for m in server.image.metadata_items})

    def _nics(self, networks) -> tuple[NicSpec, ...]:
        if networks == "none":
            return ()
        if networks == "auto" or not networks:
            # Without a configured public network, one NIC with the cluster's defaults.
            public = self.core.settings.public_network
            return (NicSpec(network=public, ip="pool"),) if public else (NicSpec(),)
        return tuple(self._nic(n) for n in networks)

    @staticmethod
    def _nic(requested: dict) -> NicSpec:
        network = requested.get("uuid") or requested.get("network") or None
        return NicSpec(network=network, ip=requested.get("fixed_ip") or ("pool" if network else None))

    # -- rename, delete, actions ------------------------------------------------------------

    def rename(self, owner: User, server_id: int, name: str) -> Server:
        server = queries.get_server(self.session, owner, server_id, lock=True)
        server.name = name
        server.updated = utcnow()
        return server

    def delete(self, owner: User, server_id: int) -> Server:
        """Ask the backend to remove the server; it stays visible (task ``deleting``) until then."""
        server = queries.get_server(self.session, owner, server_id, lock=True)
        self.core.hooks.before_server_action(uow=self.uow, server=server, action="delete")
        if server.task == Task.DELETING.value:
            return server
        if self._never_reached_backend(server):
            return self._mark_deleted(server)
        backend = self._backend(server)
        self._start_task(server, Task.DELETING)
        name = self.core.naming.instance_name(server.id)
        self._submit(server, backend, lambda driver: driver.delete_instance(name),
                     task=Task.DELETING)
        return server

    def reboot(self, owner: User, server_id: int, hard: bool = False) -> Server:
        action = "reboot"
        server = self._for_action(owner, server_id, action)
        allowed = (OperState.STARTED, OperState.STOPPED, OperState.ERROR) if hard else (OperState.STARTED,)
        self._require_operstate(server, action, allowed)
        if server.task and not (hard and server.task == Task.REBOOTING.value):
            self._busy(server, action)
        return self._act(server, action, Task.REBOOTING_HARD if hard else Task.REBOOTING,
                         lambda driver, name: driver.reboot_instance(name, hard=hard))

    def start(self, owner: User, server_id: int) -> Server:
        server = self._for_action(owner, server_id, "start")
        self._require_operstate(server, "start", (OperState.STOPPED,))
        if server.task:
            self._busy(server, "start")
        return self._act(server, "start", Task.POWERING_ON,
                         lambda driver, name: driver.start_instance(name))

    def stop(self, owner: User, server_id: int) -> Server:
        server = self._for_action(owner, server_id, "stop")
        self._require_operstate(server, "stop", (OperState.STARTED, OperState.ERROR))
        if server.task:
            self._busy(server, "stop")
        return self._act(server, "stop", Task.POWERING_OFF,
                         lambda driver, name: driver.shutdown_instance(name))

    def console(self, owner: User, server_id: int) -> ConsoleForwarding:
        """A one-time VNC forwarding to the server's console (the server must be ACTIVE)."""
        server = self._for_action(owner, server_id, "console")
        self._require_operstate(server, "console", (OperState.STARTED,))
        backend = self._backend(server)
        self.uow.commit()   # hold no lock while the backend and the proxy answer
        info = self.core.driver_for(backend).get_console(self.core.naming.instance_name(server.id))
        if info.kind != "vnc" or not info.host or not info.port:
            raise Conflict(f"Instance {server.id} has no VNC console (the backend reports "
                           f"{info.kind!r}{': ' + info.message if info.message else ''}).")
        return self.core.console_proxy.open_forwarding(info.host, info.port)

    # -- helpers ----------------------------------------------------------------------------

    def _for_action(self, owner: User, server_id: int, action: str) -> Server:
        server = queries.get_server(self.session, owner, server_id, include_deleted=True, lock=True)
        if server.deleted:
            raise Conflict(f"Cannot '{action}' instance {server.id}: it has been deleted.")
        if server.task == Task.DELETING.value:
            raise Conflict(f"Cannot '{action}' instance {server.id} while it is being deleted.")
        if server.operstate == OperState.BUILD.value:
            raise Conflict(f"Cannot '{action}' instance {server.id} while it is in vm_state building.")
        self.core.hooks.before_server_action(uow=self.uow, server=server, action=action)
        return server

    @staticmethod
    def _require_operstate(server: Server, action: str, allowed) -> None:
        if server.operstate not in {s.value for s in allowed}:
            raise Conflict(f"Cannot '{action}' instance {server.id} while it is in vm_state "
                           f"{sm.vm_state(server_state(server))}.")

    @staticmethod
    def _busy(server: Server, action: str) -> None:
        raise Conflict(f"Cannot '{action}' instance {server.id} while it is in task_state "
                       f"{server.task}.")

    def _act(self, server: Server, action: str, task: Task, submit) -> Server:
        backend = self._backend(server)   # before committing the task: no backend, no task
        self._start_task(server, task)
        name = self.core.naming.instance_name(server.id)
        self._submit(server, backend, lambda driver: submit(driver, name), task=task)
        return server

    def _start_task(self, server: Server, task: Task) -> None:
        store_state(server, sm.begin_task(server_state(server), task))
        server.updated = utcnow()
        self.uow.commit()

    def _submit(self, server: Server, backend: Backend, call, *, task: Task | None,
                create: bool = False) -> None:
        """Run ``call(driver)``; record its job id, or undo the intent and report the failure.

        Called after a commit and before any other database access, so no transaction (and,
        on SQLite, no write lock) is held while the backend answers.
        """
        try:
            job_id = call(self.core.driver_for(backend))
        except BackendNotFound:
            if task == Task.DELETING:
                self._mark_deleted(self._reload(server))
                return
            self._abandon(server, create, "The backend does not know this instance.")
            raise
        except BackendError as exc:
            log.error("server %s: backend %s refused %s: %s", server.id, backend.name,
                      task.value if task else "create", exc)
            self._abandon(server, create, exc.message or exc.__class__.__name__)
            if not create:
                raise
            return
        log.info("server %s: %s submitted to backend %s as job %s", server.id,
                 task.value if task else "create", backend.name, job_id)
        self._record_job(server, job_id)

    def _backend(self, server: Server) -> Backend:
        backend = self.session.get(Backend, server.backend_id) if server.backend_id else None
        if backend is None:
            raise Conflict(f"Instance {server.id} is not on any backend.")
        return backend

    def _record_job(self, server: Server, job_id: int) -> None:
        server = self._reload(server)
        state = server_state(server)
        # The row's task, not the one asked for: a notification may already have ended it.
        store_state(server, sm.start_task(state, state.task, job_id))
        self.uow.commit()

    def _abandon(self, server: Server, create: bool, message: str) -> None:
        server = self._reload(server)
        server.task, server.task_job_id = None, None
        if create:
            server.operstate, server.fault_message = OperState.ERROR.value, message
        server.updated = utcnow()
        self.uow.commit()

    def _reload(self, server: Server) -> Server:
        return self.session.scalars(
            sa.select(Server).where(Server.id == server.id).with_for_update()
            .execution_options(populate_existing=True)).one()

    def _mark_deleted(self, server: Server) -> Server:
        server.operstate, server.deleted = OperState.DESTROYED.value, True
        server.task, server.task_job_id = None, None
        server.deleted_at = server.updated = utcnow()
        server.nics.clear()
        return server

    @staticmethod
    def _never_reached_backend(server: Server) -> bool:
        return server.backend_id is None or (
            server.operstate == OperState.ERROR.value and server.task_job_id is None
            and server.backend_job_id is None)

