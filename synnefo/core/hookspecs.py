"""Every pluggy hook of synnefo. These docstrings are the reference for hook authors.

Hook implementations are found in the entry-point group ``synnefo.hooks`` and are active only
when listed in ``synnefo.hooks`` of the ``.ini``. Mark implementations with
``synnefo.plugin.hookimpl``. Call hooks only through ``synnefo.core.plugins.Hooks``.
An entry point names either a module of ``@hookimpl`` functions or a class; a class is
instantiated once per process as ``cls(settings=settings)`` (so it can read its own options with
``synnefo.core.settings.parse_section``) and its ``@hookimpl`` methods are registered.

Two phases: ``before_*`` hooks run inside the transaction and veto by raising a domain error
(e.g. ``Forbidden``); facts (``vm_state_changed``, ``backend_job_finished``) run after commit with
frozen event objects, and their failures are logged and counted, never propagated.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # only for the annotations: importing the models here would cost start-up
    from synnefo.core.db.models import Backend, Flavor, Image, Server, User
    from synnefo.core.events import BackendJobFinished, VmStateChanged
    from synnefo.core.uow import UnitOfWork

PROJECT = "synnefo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def select_backend(backends: Sequence[Backend], flavor: Flavor, owner: User) -> Backend | None:
    """Choose the backend (Ganeti cluster) for a new server; the first non-None answer wins.

    :param backends: the candidate ``Backend`` rows (enabled: not drained, not offline).
    :param flavor: the ``Flavor`` row of the new server.
    :param owner: the ``User`` row creating it.
    :return: one of ``backends``, or None to let the next implementation decide.
    """


@hookspec
def before_server_create(uow: UnitOfWork, owner: User, flavor: Flavor, image: Image,
                         name: str) -> None:
    """Called inside the create transaction, before the server row exists; raise to veto.

    :param uow: the request's unit of work (``uow.session`` to read more; never commit).
    :param owner: the ``User`` row creating the server (its row is locked for the quota check).
    :param flavor: the requested ``Flavor`` row.
    :param image: the requested ``Image`` row.
    :param name: the requested server name, as the client sent it.
    :raises: a domain error of ``synnefo.core.errors`` (``InvalidInput``, ``Forbidden``,
        ``QuotaExceeded``...) to refuse the create; the API answers with its fault.
    """


@hookspec
def before_server_action(uow: UnitOfWork, server: Server, action: str) -> None:
    """Called inside the transaction before an action is submitted; raise to veto.

    :param uow: the request's unit of work (never commit).
    :param server: the ``Server`` row the action is for.
    :param action: ``reboot``, ``start``, ``stop``, ``delete`` or ``console``.
    :raises: a domain error of ``synnefo.core.errors`` to refuse the action.
    """


@hookspec
def vm_state_changed(event: VmStateChanged) -> None:
    """After commit: a server's operstate or deleted flag changed.

    :param event: ``synnefo.core.events.VmStateChanged`` (frozen).
    """


@hookspec
def backend_job_finished(event: BackendJobFinished) -> None:
    """After commit: a backend job of a server reached a final status (success/error/canceled).

    :param event: ``synnefo.core.events.BackendJobFinished`` (frozen).
    """
