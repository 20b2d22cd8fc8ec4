"""Creates with an OS definition that declares no parameters (the lab's ``noparams``).

By default the driver sends snf-image's ``img_*`` OS parameters, which an OS that declares none
refuses ("OS Parameters validation failed ... not supported by the OS"); the backend options
``os_provider`` and ``os_params = none`` make creates work with a configuration change alone.
With the snf-image-style OS, a keypair and user data reach the OS scripts through
``img_personality``, and with ``secret_password`` they go through ``osparams_secret``, so that
they never appear in a job file.
"""
from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from labhelpers import until

from synnefo.testing.keys import openssh_public_key

NOPARAMS_OPTIONS = {"os_provider": "noparams", "os_params": "none", "password_param": ""}


@pytest.fixture
def lab_backend(stack, ganeti_lab):
    """``lab_backend(name, options)``: a second backend on the lab's cluster with its own
    options; the usual one is drained meanwhile so that new servers land on it. Afterwards it
    is offline: two backends on one cluster would make reconcile see every instance twice."""
    from synnefo.core.db.models import Backend
    env, made = ganeti_lab.env, []

    def make(name: str, options: dict) -> None:
        with stack.core.uow() as uow:
            backend = uow.session.scalar(sa.select(Backend).where(Backend.name == name))
            if backend is None:
                backend = Backend(name=name, driver="ganeti", rapi_url=env["GANETI_LAB_RAPI_URL"],
                                  username=env["GANETI_LAB_RAPI_USER"], credentials_ref="setting")
                uow.session.add(backend)
            backend.options, backend.drained, backend.offline = options, False, False
            uow.session.execute(sa.update(Backend).where(Backend.name == "lab").values(drained=True))
        made.append(name)
    yield make
    with stack.core.uow() as uow:
        uow.session.execute(sa.update(Backend).where(Backend.name == "lab").values(drained=False))
        uow.session.execute(sa.update(Backend).where(Backend.name.in_(made))
                            .values(drained=True, offline=True))


@contextlib.contextmanager
def deleted_afterwards(api, server_id: str):
    try:
        yield server_id
    finally:
        api.delete(server_id)
        api.wait(server_id, "DELETED")


def test_create_with_an_os_that_declares_no_parameters(stack, api, rapi, ganeti_lab, lab_backend):
    lab_backend("lab-noparams", {**NOPARAMS_OPTIONS, "os_provider": ganeti_lab.env["GANETI_LAB_OS_NOPARAMS"]})
    with deleted_afterwards(api, api.create("lab-noparams")) as server_id:
        server = api.wait(server_id, ("ACTIVE", "ERROR"), task_state_clear=False)
        assert server["status"] == "ACTIVE", server.get("fault")
        name = stack.instance(server_id)
        assert rapi.instance(name)["os"] == ganeti_lab.env["GANETI_LAB_OS_NOPARAMS"]
        received = until(lambda: ganeti_lab.osparams(name), "the OS create script never ran")
        assert not [key for key in received if key.startswith("OSP_")], received


def test_a_keypair_and_user_data_reach_the_os_scripts_but_no_job_file(stack, api, ganeti_lab,
                                                                       lab_backend):
    lab_backend("lab-secret", {"os_provider": ganeti_lab.env["GANETI_LAB_OS_IMAGE"],
                               "secret_password": "true"})
    public_key = openssh_public_key("lab@test")
    api.call("POST", "/os-keypairs", 201, json={"keypair": {"name": "lab-key",
                                                             "public_key": public_key}})
    user_data = base64.b64encode(b"#cloud-config\nwrite_files: [{path: /lab-marker}]\n").decode()
    body = {"server": {"name": "lab-keys", "flavorRef": "1", "imageRef": api.image_id(),
                       "networks": "auto", "key_name": "lab-key", "user_data": user_data}}
    try:
        with deleted_afterwards(api, api.call("POST", "/servers", 202, json=body)["server"]["id"]) as server_id:
            server = api.wait(server_id, ("ACTIVE", "ERROR"), task_state_clear=False)
            assert server["status"] == "ACTIVE", server.get("fault")
            assert server["key_name"] == "lab-key"
            name = stack.instance(server_id)
            received = until(lambda: ganeti_lab.osparams(name), "the OS create script never ran")
            files = {f["path"]: base64.b64decode(f["contents"]).decode()
                     for f in json.loads(received["OSP_IMG_PERSONALITY"])}
            assert files["/root/.ssh/authorized_keys"] == public_key + "\n"
            assert files["/var/lib/cloud/seed/nocloud/user-data"].startswith("#cloud-config")
            queue = Path(ganeti_lab.env["GANETI_LAB_QUEUE_DIR"])
            leaked = [p.name for p in queue.rglob("job-*") if p.is_file()
                      and (user_data in p.read_text(errors="replace")
                           or public_key.split()[1] in p.read_text(errors="replace"))]
            assert leaked == [], "user data or keys in Ganeti's job files"
    finally:
        api.call("DELETE", "/os-keypairs/lab-key", 204)
