"""Every pluggy hook of synnefo. These docstrings are the reference for hook authors.

Hook implementations are found in the entry-point group ``synnefo.hooks`` and are active only
when listed in ``synnefo.hooks`` of the ``.ini``. Mark implementations with
``synnefo.core.hookspecs.hookimpl``. Call hooks only through ``synnefo.core.plugins.Hooks``.
An entry point names either a module of ``@hookimpl`` functions or a class; a class is
instantiated once per process as ``cls(settings=settings)`` (so it can read its own options with
``synnefo.core.settings.parse_section``) and its ``@hookimpl`` methods are registered.

Two phases: ``before_*`` hooks run inside the transaction and veto by raising a domain error
(e.g. ``Forbidden``); facts (``vm_state_changed``, ``backend_job_finished``) run after commit with
frozen event objects, and their failures are logged and counted, never propagated.
"""
import pluggy

PROJECT = "synnefo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def select_backend(backends, flavor, owner):
    """Choose the backend (Ganeti cluster) for a new server; the first non-None answer wins.

    :param backends: the candidates, a list of ``synnefo.core.contracts.BackendCandidate``
        (plain ``id``, ``name``, ``load`` = servers not deleted) for the enabled backends
        (not drained, not offline), by id.
    :param flavor: the ``Flavor`` row of the new server.
    :param owner: the ``User`` row creating it.
    :return: one of ``backends`` (an answer that is not one of them is an error), or None to
        let the next implementation decide.
    """


@hookspec
def before_server_create(uow, owner, flavor, image, name):
    """Called inside the create transaction, before the server row exists; raise to veto."""


@hookspec
def before_server_action(uow, server, action):
    """Called inside the transaction before an action (``reboot``, ``start``, ``stop``,
    ``delete``, ``console``) is submitted; raise a domain error to veto."""


@hookspec
def vm_state_changed(event):
    """After commit: a server's operstate or deleted flag changed.

    :param event: ``synnefo.core.events.VmStateChanged`` (frozen).
    """


@hookspec
def backend_job_finished(event):
    """After commit: a backend job of a server reached a final status (success/error/canceled).

    :param event: ``synnefo.core.events.BackendJobFinished`` (frozen).
    """
