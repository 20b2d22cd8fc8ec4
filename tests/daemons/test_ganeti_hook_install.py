"""Installing the hook where Ganeti looks for it, under a name Ganeti accepts."""
import argparse
import os
import re
import stat
import subprocess

import pytest

from ganeti_testlib import UNREACHABLE_URL, hook_env, script, unique_prefix, write_ini
from synnefo.core.errors import ConfigurationError
from synnefo.daemons.ganeti_hook_install import install, register, uninstall
from synnefo.messaging.spool import Spool

POST_DIRS = ["instance-add-post.d", "instance-start-post.d", "instance-reboot-post.d",
             "instance-modify-post.d", "instance-stop-post.d"]


def test_install_writes_an_executable_hook_ganeti_will_run_into_each_post_dir(tmp_path):
    written = install(str(tmp_path / "hooks"), hook_script=script("snf-ganeti-hook"))
    assert sorted(os.path.relpath(p, tmp_path / "hooks") for p in written) == \
        sorted(f"{d}/50-snf-ganeti-hook" for d in POST_DIRS)
    for path in written:
        assert re.fullmatch(r"[a-zA-Z0-9_-]+", os.path.basename(path))
        assert os.stat(path).st_mode & stat.S_IXUSR


def _run(path, env):
    env = {**env, "PATH": "/sbin:/bin:/usr/sbin:/usr/bin"}
    return subprocess.run([path], env=env, cwd="/", capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("hook_script", [None, "snf-ganeti-hook"])
def test_installed_hook_runs_the_real_hook_with_the_pinned_config(tmp_path, hook_script):
    prefix = unique_prefix()
    spool = tmp_path / "spool.sqlite"
    ini = write_ini(tmp_path / "synnefo.ini", prefix=prefix, amqp_url=UNREACHABLE_URL,
                    node_name="node1.example.test", spool=str(spool))
    (path, *_) = install(str(tmp_path / "hooks"), hook_script=hook_script and script(hook_script),
                         config=ini)
    result = _run(path, hook_env("instance-add.post", prefix))
    assert result.returncode == 0, result.stderr
    assert "spooled net status" in result.stderr
    assert [m.body["instance"] for _, m in Spool(str(spool)).peek()] == [f"{prefix}101"]


def test_the_default_wrapper_starts_python_without_site(tmp_path):
    (path, *_) = install(str(tmp_path / "hooks"), config=str(tmp_path / "synnefo.ini"))
    text = open(path, encoding="utf-8").read()
    assert " -I -S -c " in text and "ganeti_hook import run_installed" in text


def test_the_installed_hook_falls_back_to_the_full_loader_with_site_packages(tmp_path):
    """An .ini the light reader is unsure of (no [app:main]: the full loader takes the default
    prefix): the hook, started without site-packages, adds them for plaster and colander."""
    spool = tmp_path / "spool.sqlite"
    ini = tmp_path / "synnefo.ini"
    ini.write_text(f"[synnefo:eventd]\nspool = {spool}\nnode_name = node1.example.test\n")
    (path, *_) = install(str(tmp_path / "hooks"), config=str(ini))
    result = _run(path, hook_env("instance-add.post", "snf-"))
    assert result.returncode == 0, result.stderr
    assert [m.body["instance"] for _, m in Spool(str(spool)).peek()] == ["snf-101"]


@pytest.mark.parametrize("name", ["snf-hook.sh", "50 snf", "", "../evil"])
def test_a_name_ganeti_would_ignore_is_refused(tmp_path, name):
    with pytest.raises(ConfigurationError, match="must match"):
        install(str(tmp_path), name, hook_script="/usr/bin/true")
    assert not os.listdir(tmp_path)


def test_install_is_idempotent_and_never_overwrites_a_foreign_hook(tmp_path):
    hooks = str(tmp_path)
    install(hooks, hook_script="/usr/bin/true")
    install(hooks, hook_script="/usr/bin/true")
    foreign = tmp_path / "instance-stop-post.d" / "60-admin"
    foreign.write_text("#!/bin/sh\necho mine\n")
    with pytest.raises(ConfigurationError, match="not installed by synnefo"):
        install(hooks, "60-admin", hook_script="/usr/bin/true")
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"
    assert len(uninstall(hooks)) == 5
    assert foreign.exists()
    assert sorted(os.listdir(tmp_path / "instance-stop-post.d")) == ["60-admin"]


def test_snf_manage_command_installs(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["ganeti-hooks", "install", "--hooks-dir", str(tmp_path),
                              "--hook-script", "/usr/bin/true"])

    class Ctx:
        uri = str(tmp_path / "absent.ini")
    assert args.func(args, Ctx()) == 0
    assert capsys.readouterr().out.count("installed ") == 5
