"""snf-ganeti-hook with the hook environments recorded from a real Ganeti 3.0 cluster."""
import sqlite3
import subprocess

import pytest

from ganeti_testlib import (BROKER_URL, UNREACHABLE_URL, BrokerTap, broker_available, hook_env,
                            script, side_publisher, write_ini)
from ganeti_testlib import prefix  # noqa: F401 - fixtures
from synnefo.daemons import ganeti_hook
from synnefo.daemons.ganeti_hook import BadHookEnvironment, Skip, decide, eui64
from synnefo.daemons.ganeti_hook_install import hook_command
from synnefo.messaging.spool import Spool, SpoolingPublisher

NODE = "node1.example.test"
SNF = "snf-"


def test_instance_add_post_reports_both_nics():
    message = decide(hook_env("instance-add.post"), NODE, SNF)
    assert message.routing_key == "ganeti.snf.event.net"
    body = message.body
    assert (body["type"], body["instance"], body["cluster"]) == \
        ("ganeti-net-status", "snf-101", "cluster.example.test")
    assert body["nics"] == [
        {"index": 0, "mac": "aa:00:00:5e:01:01", "ip": "198.51.100.201", "ipv6": None,
         "link": "gnt-br0", "network": "snf-net"},
        {"index": 1, "mac": "aa:00:00:5e:01:02", "ip": "198.51.100.150", "ipv6": None,
         "link": "gnt-br0", "network": None}]


# The example environment of Ganeti's documentation (doc/hooks.rst, "Examples"): no
# GANETI_POST_* copy, a BRIDGE instead of a LINK, an empty IP.
GANETI_DOC_EXAMPLE = {
    "GANETI_CLUSTER": "cluster1.example.com", "GANETI_DATA_DIR": "/var/lib/ganeti",
    "GANETI_FORCE": "False", "GANETI_HOOKS_PATH": "instance-start", "GANETI_HOOKS_PHASE": "post",
    "GANETI_HOOKS_VERSION": "2", "GANETI_INSTANCE_DISK0_MODE": "rw",
    "GANETI_INSTANCE_DISK0_SIZE": "128", "GANETI_INSTANCE_DISK_COUNT": "1",
    "GANETI_INSTANCE_DISK_TEMPLATE": "drbd", "GANETI_INSTANCE_MEMORY": "128",
    "GANETI_INSTANCE_NAME": "instance2.example.com", "GANETI_INSTANCE_NIC0_BRIDGE": "xen-br0",
    "GANETI_INSTANCE_NIC0_IP": "", "GANETI_INSTANCE_NIC0_MAC": "aa:00:00:a5:91:58",
    "GANETI_INSTANCE_NIC_COUNT": "1", "GANETI_INSTANCE_OS_TYPE": "debootstrap",
    "GANETI_INSTANCE_PRIMARY": "node3.example.com",
    "GANETI_INSTANCE_SECONDARY": "node5.example.com", "GANETI_INSTANCE_STATUS": "down",
    "GANETI_INSTANCE_VCPUS": "1", "GANETI_MASTER": "node1.example.com",
    "GANETI_OBJECT_TYPE": "INSTANCE", "GANETI_OP_CODE": "OP_INSTANCE_STARTUP",
    "GANETI_OP_TARGET": "instance2.example.com"}


def test_the_ganeti_documentation_example_environment():
    assert isinstance(decide(GANETI_DOC_EXAMPLE, "node1.example.com", SNF), Skip)  # not ours
    ours = {k: ("snf-42" if v == "instance2.example.com" else v)
            for k, v in GANETI_DOC_EXAMPLE.items()}
    body = decide(ours, "node1.example.com", SNF).body
    assert (body["instance"], body["cluster"]) == ("snf-42", "cluster1.example.com")
    assert body["nics"] == [{"index": 0, "mac": "aa:00:00:a5:91:58", "ip": None, "ipv6": None,
                             "link": "xen-br0", "network": None}]
    assert isinstance(decide(ours, "node3.example.com", SNF), Skip)  # the primary, not master


@pytest.mark.parametrize("name", ["instance-start.post", "instance-stop.post",
                                  "instance-reboot.post", "instance-modify.post"])
def test_every_installed_post_hook_reports_the_nics(name):
    body = decide(hook_env(name), NODE, SNF).body
    assert body["instance"] == hook_env(name)["GANETI_INSTANCE_NAME"]
    assert body["nics"] and all(nic["mac"] for nic in body["nics"])


def test_post_phase_uses_the_state_after_the_operation():
    env = hook_env("instance-modify.post")
    env["GANETI_POST_INSTANCE_NIC0_IP"] = "198.51.100.222"
    assert decide(env, NODE, SNF).body["nics"][0]["ip"] == "198.51.100.222"


@pytest.mark.parametrize("env, reason", [
    (hook_env("instance-add.pre"), "only the post phase"),
    (hook_env("cluster-modify.post"), "not handled"),
])
def test_other_phases_and_paths_do_nothing(env, reason):
    outcome = decide(env, NODE, SNF)
    assert isinstance(outcome, Skip) and reason in outcome.reason


def test_only_the_master_publishes():
    outcome = decide(hook_env("instance-add.post"), "node2.example.test", SNF)
    assert isinstance(outcome, Skip) and "not the master" in outcome.reason
    assert not isinstance(decide(hook_env("instance-add.post"), "NODE1.example.test.", SNF), Skip)


def test_instances_of_others_are_left_alone():
    outcome = decide(hook_env("instance-add.post", prefix="web-"), NODE, SNF)
    assert isinstance(outcome, Skip) and "not a Synnefo instance" in outcome.reason


@pytest.mark.parametrize("change", [
    {"GANETI_HOOKS_PHASE": None}, {"GANETI_INSTANCE_NAME": None},
    {"GANETI_POST_INSTANCE_NIC_COUNT": "two"}, {"GANETI_POST_INSTANCE_NIC1_MAC": None},
])
def test_a_bad_environment_is_reported_as_such(change):
    env = hook_env("instance-add.post")
    for key, value in change.items():
        env.pop(key) if value is None else env.__setitem__(key, value)
    with pytest.raises(BadHookEnvironment):
        decide(env, NODE, SNF)


def test_eui64_address_in_an_ipv6_network():
    assert eui64("2001:db8:1:2::/64", "aa:00:00:5e:01:01") == "2001:db8:1:2:a800:ff:fe5e:101"
    assert eui64("2001:db8::/96", "aa:00:00:5e:01:01") is None
    assert eui64(None, "aa:00:00:5e:01:01") is None


# --- the console script, as Ganeti runs it -------------------------------------------------

def _ini(tmp_path, prefix, amqp_url, **extra):
    return write_ini(tmp_path / "synnefo.ini", prefix=prefix, amqp_url=amqp_url, node_name=NODE,
                     spool=str(tmp_path / "spool" / "messages.sqlite"), **extra)


def run_hook(env, ini, timeout=60):
    """Run the hook like Ganeti runs the installed wrapper: its command (``python -I -S``),
    PWD=/, bare PATH, only the GANETI_* environment."""
    env = {**env, "PATH": "/sbin:/bin:/usr/sbin:/usr/bin", "SYNNEFO_CONFIG": ini}
    return subprocess.run(hook_command(script("python")), env=env, cwd="/", capture_output=True,
                          text=True, timeout=timeout)


def _spooled(tmp_path):
    return [m for _, m in Spool(str(tmp_path / "spool" / "messages.sqlite")).peek(100)]


def test_broker_unreachable_exits_0_and_spools_for_eventd(tmp_path, prefix):
    broker_available()
    ini = _ini(tmp_path, prefix, UNREACHABLE_URL)
    result = run_hook(hook_env("instance-add.post", prefix), ini)
    assert result.returncode == 0, result.stderr
    (message,) = _spooled(tmp_path)
    assert message.body["instance"] == f"{prefix}101"

    tap = BrokerTap(prefix)
    try:  # eventd's replay: the same spool, a working broker
        replay = SpoolingPublisher(side_publisher(prefix), Spool(
            str(tmp_path / "spool" / "messages.sqlite")))
        assert replay.flush() == 1
        (body,) = tap.collect(1)
        assert tap.drain(quiet=0.5) == []
    finally:
        tap.close()
    assert body["type"] == "ganeti-net-status" and body["nics"][0]["ip"] == "198.51.100.201"


def test_broker_up_the_hook_still_only_spools(tmp_path, prefix):
    """The hook never waits for the broker: snf-ganeti-eventd sends what it spooled."""
    broker_available()
    tap = BrokerTap(prefix)
    try:
        result = run_hook(hook_env("instance-start.post", prefix), _ini(tmp_path, prefix,
                                                                        BROKER_URL))
        assert result.returncode == 0, result.stderr
        assert "spooled net status" in result.stderr
        assert tap.drain(quiet=0.5) == []
        (message,) = _spooled(tmp_path)
        assert message.body["instance"] == f"{prefix}101"
    finally:
        tap.close()


def test_the_hook_writes_what_core_messages_would():
    from synnefo.core import messages
    env = hook_env("instance-add.post")
    hooked = decide(env, NODE, SNF)
    core = messages.net_status(hooked.body["instance"], hooked.body["nics"],
                               messages.from_event_time(hooked.body["event_time"]),
                               cluster=hooked.body["cluster"])
    assert (hooked.routing_key, hooked.body, hooked.exchange, hooked.headers) == \
        (core.routing_key, core.body, core.exchange, core.headers)


def test_the_hook_imports_neither_kombu_nor_the_core(tmp_path, prefix):
    ini = _ini(tmp_path, prefix, UNREACHABLE_URL)
    code = ("import sys; sys.argv = ['snf-ganeti-hook']\n"
            "from synnefo.daemons import ganeti_hook\n"
            "ganeti_hook.main()\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('kombu', 'sqlalchemy',"
            " 'colander', 'plaster', 'pyramid') or m.startswith('synnefo.core.contracts'))\n"
            "print('HEAVY', heavy)")
    env = {**hook_env("instance-add.post", prefix), "PATH": "/usr/bin:/bin",
           "SYNNEFO_CONFIG": ini}
    result = subprocess.run([script("python"), "-c", code], env=env, cwd="/",
                            capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
    assert len(_spooled(tmp_path)) == 1


# Each module the installed hook imports is paid for in every Ganeti job: these cost milliseconds
# and are only needed off the fast path (a failure to log, IPv6, no node_name, the full loader).
SLOW_TO_IMPORT = ("site", "logging", "typing", "dataclasses", "inspect", "socket", "ipaddress")
REPORT_MODULES = (
    "main(); third = sorted(n for n, m in list(sys.modules.items()) if not n.startswith("
    "'synnefo') and 'site-packages' in (getattr(m, '__file__', None) or ''))\n"
    f"print('THIRD-PARTY', third); print('SLOW', [n for n in {SLOW_TO_IMPORT!r} "
    "if n in sys.modules])")


def test_the_installed_hook_imports_only_light_standard_library_modules(tmp_path, prefix):
    """The wrapper's command (``python -I -S``, only synnefo's directory added), with a report
    of ``sys.modules`` after ``main()`` in place of ``run_installed()``."""
    argv = hook_command(script("python"))
    assert argv[1:3] == ["-I", "-S"] and argv[-1].endswith("import run_installed; run_installed()")
    argv[-1] = argv[-1].replace("import run_installed; run_installed()", "import main; "
                                + REPORT_MODULES)
    env = {**hook_env("instance-add.post", prefix), "PATH": "/usr/bin:/bin",
           "SYNNEFO_CONFIG": _ini(tmp_path, prefix, UNREACHABLE_URL)}
    result = subprocess.run(argv, env=env, cwd="/", capture_output=True, text=True, timeout=60)
    assert "THIRD-PARTY []" in result.stdout, result.stdout + result.stderr
    assert "SLOW []" in result.stdout, result.stdout
    assert "spooled net status" in result.stderr
    assert len(_spooled(tmp_path)) == 1


def test_a_locked_spool_cannot_hold_ganeti_past_the_time_limit(tmp_path, prefix):
    ini = _ini(tmp_path, prefix, UNREACHABLE_URL, hook_time_limit="2")
    Spool(str(tmp_path / "spool" / "messages.sqlite")).close()
    holder = sqlite3.connect(str(tmp_path / "spool" / "messages.sqlite"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_hook(hook_env("instance-reboot.post", prefix), ini, timeout=30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 0
    assert "time limit" in result.stderr
    assert _spooled(tmp_path) == []


@pytest.mark.parametrize("env", [{}, {"GANETI_HOOKS_PHASE": "post",
                                      "GANETI_HOOKS_PATH": "instance-start"}])
def test_a_bad_environment_exits_0(tmp_path, prefix, env):
    result = run_hook(env, _ini(tmp_path, prefix, UNREACHABLE_URL))
    assert result.returncode == 0
    assert "bad Ganeti environment" in result.stderr
    assert _spooled(tmp_path) == []


def test_a_non_synnefo_instance_exits_0_and_sends_nothing(tmp_path, prefix):
    result = run_hook(hook_env("instance-add.post", "web-"), _ini(tmp_path, prefix,
                                                                  UNREACHABLE_URL))
    assert result.returncode == 0
    assert "not a Synnefo instance" in result.stderr
    assert _spooled(tmp_path) == []


def test_a_missing_config_exits_0(tmp_path):
    result = run_hook(hook_env("instance-add.post"), str(tmp_path / "missing.ini"))
    assert result.returncode == 0
    assert "missing.ini" in result.stderr


def test_the_config_comes_from_the_environment_not_the_script_location(tmp_path, prefix,
                                                                       monkeypatch):
    monkeypatch.delenv("SYNNEFO_CONFIG", raising=False)
    env = {**hook_env("instance-add.post", prefix), "SYNNEFO_CONFIG":
           _ini(tmp_path, prefix, UNREACHABLE_URL)}
    assert ganeti_hook.main(environ=env) == 0
    assert len(_spooled(tmp_path)) == 1
    assert ganeti_hook._config_uri({}) == "/etc/synnefo/synnefo.ini"
