"""Every role on its own host (network namespaces on a bridge), clients only through HAProxy,
openstacksdk driving the whole lifecycle while hosts die: a RabbitMQ node (SIGKILL, then back),
``web1`` (the whole host), ``logic1`` (the whole host), PostgreSQL (restart), and the leader of
the quorum queue while the eventd and the hook publish. Afterwards every server has the state
Ganeti has, every notification was handled and none applied more often than it was published,
and the dead-letter queues are empty. Figures go to the terminal summary and
``var/multihost/figures.md``."""
from __future__ import annotations

import datetime
import re
import threading
import time
from collections import Counter

import openstack
import pytest

import mhfigures as figures

pytestmark = [pytest.mark.timeout(900),
              pytest.mark.filterwarnings("ignore::openstack.warnings.OpenStackDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")]

GANETI_STATUS = {"running": "ACTIVE", "ADMIN_down": "SHUTOFF"}


def connect(url: str):
    # The client library's own retries: reconnect on a refused/reset connection, and retry
    # a 502/503 (HAProxy answers those while no web server is up).
    return openstack.connect(
        auth_url=f"{url}/identity/v3", username="demo", password="demo-secret",
        project_name="demo", user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", load_yaml_config=False, load_envvars=False,
        connect_retries=5, status_code_retries=5).compute


class Traffic:
    """A second client listing servers in a loop; counts its requests and failures."""

    def __init__(self, url: str):
        self.compute = connect(url)
        self.requests = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.requests += 1
            try:
                list(self.compute.servers())
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                self.failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)


class Lifecycle:
    """The servers this test made, what each should be, and the SDK calls it made."""

    def __init__(self, deployment):
        self.deployment = deployment
        self.compute = connect(deployment.url)
        self.image = next(i.id for i in self.compute.images() if i.name == "cirros")
        self.expected: dict[str, str] = {}
        self.calls = 0

    def call(self, fn, *args, **kw):
        self.calls += 1
        return fn(*args, **kw)

    def create(self, name: str) -> str:
        server = self.call(self.compute.create_server, name=name, image_id=self.image,
                           flavor_id="1", networks="auto")
        self.expected[server.id] = "ACTIVE"
        return server.id

    def act(self, server_id: str, action: str) -> None:
        fn = {"stop": self.compute.stop_server, "start": self.compute.start_server,
              "reboot": lambda s: self.compute.reboot_server(s, "SOFT"),
              "delete": self.compute.delete_server}[action]
        self.call(fn, server_id)
        self.expected[server_id] = {"stop": "SHUTOFF", "delete": "DELETED"}.get(action, "ACTIVE")

    def settle(self, timeout: float = 180.0) -> float:
        """Wait until every server shows its expected state; the seconds it took."""
        start = time.monotonic()
        pending = dict(self.expected)
        while pending and time.monotonic() - start < timeout:
            for server_id, status in list(pending.items()):
                if self._shows(server_id, status):
                    del pending[server_id]
            time.sleep(0.3)
        assert not pending, f"servers never reached their state: {pending}; " + str(
            {sid: self._status(sid) for sid in pending})
        return time.monotonic() - start

    def _status(self, server_id: str) -> tuple[str, str | None]:
        try:
            server = self.call(self.compute.get_server, server_id)
        except openstack.exceptions.NotFoundException:
            return ("DELETED", None)
        return (server.status, server.task_state)

    def _shows(self, server_id: str, status: str) -> bool:
        return self._status(server_id) == (status, None) or (
            status == "DELETED" and self._status(server_id)[0] == "DELETED")


def test_lifecycle_through_host_failures(deployment):
    hosts, life = deployment.hosts, Lifecycle(deployment)
    servers = [life.create(f"mh-{i}") for i in range(4)]
    figures.record("create 4 servers -> ACTIVE", life.settle())
    queues = hosts.queues()
    op_queue = _op_queue(queues, deployment.prefix)
    assert op_queue["type"] == "quorum" and len(op_queue["members"]) == 3, op_queue

    with Traffic(deployment.url) as traffic:
        # 1. A RabbitMQ node dies mid-stream (mq1: everyone's first URL), then comes back.
        life.act(servers[0], "stop")
        life.act(servers[1], "reboot")
        killed_at = time.time()
        hosts.kill_rabbit("mq1")
        fault = time.monotonic()
        servers.append(life.create("mh-4"))
        life.act(servers[2], "stop")
        life.settle()
        figures.record("mq1 SIGKILLed: all actions settled after", time.monotonic() - fault)
        figures.record("mq1 SIGKILLed: dispatchers on another node after",
                       _reconnected_after(deployment, killed_at))
        hosts.start_rabbit("mq1")
        hosts.wait_rabbit("mq1")

        # 2. web1 dies: HAProxy's health checks and retries hide it from clients.
        before = len(traffic.failures)
        hosts.kill_host("web1")
        fault = time.monotonic()
        life.act(servers[0], "start")
        life.act(servers[2], "start")
        life.act(servers[3], "stop")
        life.settle()
        figures.record("web1 killed: all actions settled after", time.monotonic() - fault)
        web_failures = traffic.failures[before:]
        assert not web_failures, web_failures
        deployment.start_web("web1")

        # 3. logic1 dies: logic2 carries on (unacknowledged messages are redelivered).
        hosts.kill_host("logic1")
        fault = time.monotonic()
        life.act(servers[3], "start")
        life.act(servers[4], "reboot")
        servers.append(life.create("mh-5"))
        life.settle()
        figures.record("logic1 killed: all actions settled after", time.monotonic() - fault)
        deployment.start_dispatcher("logic1")

        # 4. PostgreSQL restarts under load.
        before = len(traffic.failures)
        fault = time.monotonic()
        hosts.restart_postgres()
        life.act(servers[1], "stop")
        life.act(servers[5], "stop")
        life.settle()
        figures.record("PostgreSQL restarted: all actions settled after", time.monotonic() - fault)
        figures.record("PostgreSQL restart: failed client requests", len(traffic.failures) - before)
        traffic_requests, traffic_failures = traffic.requests, list(traffic.failures)

    figures.record("SDK calls (lifecycle + listing)", life.calls + traffic_requests)
    figures.record("failed SDK calls after the SDK's retries", len(traffic_failures))
    requests, errors = _http_at_lb(deployment)
    figures.record("HTTP requests at lb / answered 5xx", f"{requests} / {errors}")
    _assert_matches_ganeti(deployment, life)

    for server_id in list(life.expected):
        life.act(server_id, "delete")
    life.settle()
    _assert_matches_ganeti(deployment, life)
    _assert_counts(deployment, "after the lifecycle")


def test_queue_leader_killed_while_ganeti_side_publishes(deployment):
    hosts, life = deployment.hosts, Lifecycle(deployment)
    servers = [life.create(f"mhl-{i}") for i in range(3)]
    life.settle()
    published_before = _ganeti_side(deployment)
    leader = _op_queue(hosts.queues(), deployment.prefix)["leader"].split("@", 1)[1]
    for server_id in servers:  # Ganeti runs these jobs while the leader dies
        life.act(server_id, "stop")
    killed_at = time.time()
    hosts.kill_rabbit(leader)
    fault = time.monotonic()
    life.settle()
    figures.record(f"queue leader {leader} SIGKILLed: all actions settled after",
                   time.monotonic() - fault)
    figures.record(f"queue leader {leader} SIGKILLed: dispatchers on another node after",
                   _reconnected_after(deployment, killed_at))
    hosts.start_rabbit(leader)
    hosts.wait_rabbit(leader)
    published = _ganeti_side(deployment) - published_before
    figures.record("leader kill: eventd op-status messages", published["op"])
    figures.record("leader kill: hook net-status messages (sent by the eventd from the spool)",
                   published["net"])
    # At least each stop's success (the eventd may see a job's early states only in its
    # final file), and one net-status per stop from the hook.
    assert published["op"] >= 3 and published["net"] >= 3, published
    for server_id in servers:
        life.act(server_id, "delete")
    life.settle()
    _assert_matches_ganeti(deployment, life)
    _assert_counts(deployment, "after both tests")


# -- checks --------------------------------------------------------------------------------

def _op_queue(queues: list[dict], prefix: str) -> dict:
    name = f"{prefix.rstrip('-')}-events-op"
    return next(q for q in queues if q["name"] == name)


def _assert_matches_ganeti(deployment, life: Lifecycle) -> None:
    rapi = deployment.lab.rapi()
    try:
        for server_id, status in life.expected.items():
            instance = rapi.instance(f"{deployment.prefix}{server_id}")
            ganeti = "DELETED" if instance is None else GANETI_STATUS.get(instance["status"])
            assert ganeti == status, (server_id, status, instance and instance["status"])
            assert life._shows(server_id, ganeti), (server_id, ganeti, life._status(server_id))
    finally:
        rapi.close()


def _reconnected_after(deployment, killed_at: float) -> float | str:
    """Seconds from the SIGKILL of a broker node to the last dispatcher's first
    "connected to broker" after it (their logs' wall-clock times); "-" when none had to move."""
    delays = []
    for host in ("logic1", "logic2"):
        for stamp in re.findall(r"^(\S+ \S+) INFO \[\S+\] connected to broker",
                                deployment.log(host, "dispatcher"), re.M):
            when = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if when >= killed_at:
                delays.append(when - killed_at)
                break
    return max(delays) if delays else "-"


def _http_at_lb(deployment) -> tuple[int, int]:
    """Requests HAProxy logged, and how many it answered with a 5xx."""
    codes = re.findall(r"\] api \S+ \S+ (\d{3}) ", deployment.log("lb", "haproxy"))
    return len(codes), sum(code.startswith("5") for code in codes)


def _ganeti_side(deployment) -> Counter:
    """What the eventd and the hook published (the ganeti host's shared log)."""
    text = deployment.log("ganeti", "synnefo")
    prefix = re.escape(deployment.prefix)
    counts = Counter()
    counts["op"] = len(re.findall(rf"\] job \d+ op \d+ \S+ {prefix}\d+: \w+", text))
    # The hook only spools (its own line goes to Ganeti's hook output); the eventd sends.
    counts["net"] = len(re.findall(rf"\] sent spooled \S+\.event\.net {prefix}\d+ ", text))
    return counts


def _dispatched(deployment) -> Counter:
    """What the dispatchers did with each message type, per outcome and per instance."""
    prefix = re.escape(deployment.prefix)
    counts = Counter()
    for host in ("logic1", "logic2"):
        for kind, instance, outcome in re.findall(
                rf"\] ganeti-(op|net)-status for ({prefix}\d+): (applied|ignored)",
                deployment.log(host, "dispatcher")):
            counts[kind, outcome] += 1
            counts[kind, outcome, instance] += 1
    return counts


def _eventd_per_instance(deployment) -> Counter:
    prefix = re.escape(deployment.prefix)
    return Counter(re.findall(rf"\] job \d+ op \d+ \S+ ({prefix}\d+): \w+",
                              deployment.log("ganeti", "synnefo")))


def _assert_counts(deployment, when: str) -> None:
    """Every published notification handled; none applied more often than published."""
    deadline = time.monotonic() + 60
    while True:
        published, handled = _ganeti_side(deployment), _dispatched(deployment)
        op_handled = handled["op", "applied"] + handled["op", "ignored"]
        net_handled = handled["net", "applied"] + handled["net", "ignored"]
        if (op_handled >= published["op"] and net_handled >= published["net"]) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    figures.record(f"{when}: notifications published (eventd op-status + hook net-status)",
                   f"{published['op']} + {published['net']}")
    figures.record(f"{when}: notifications handled by the dispatchers (applied / ignored)",
                   f"{handled['op', 'applied'] + handled['net', 'applied']} / "
                   f"{handled['op', 'ignored'] + handled['net', 'ignored']}")
    assert op_handled >= published["op"], (published, handled)
    assert net_handled >= published["net"], (published, handled)
    for instance, count in _eventd_per_instance(deployment).items():
        assert handled["op", "applied", instance] <= count, (instance, count, handled)
    # Queue lengths in RabbitMQ's listings lag by its statistics interval (5 s): ask again.
    deadline = time.monotonic() + 30
    while True:
        lengths = {q["name"]: q["messages"] for q in deployment.hosts.queues()
                   if q["name"].startswith(deployment.prefix.rstrip("-"))}
        if not any(lengths.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert any(name.endswith("-dl") for name in lengths), lengths
    assert not any(lengths.values()), f"messages left (dead-letter queues end in -dl): {lengths}"
