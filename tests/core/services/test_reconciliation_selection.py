"""Staggered selection: a simulated day of cron runs, no sleeping (the clock is passed in)."""
from __future__ import annotations

import collections
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from synnefo.core.contracts.backend import InstanceInfo
from synnefo.core.db.models import Backend, Server
from synnefo.core.errors import BackendUnavailable
from synnefo.core.services.reconciliation import (Reconciler, ReconcileOptions, batch_size,
                                                  mark_reconciled, select_server_ids)
from synnefo.testing.reconcile import DictDriver, Seeder, make_core

MIDNIGHT = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("total, rmin, interval, expected", [
    (0, 30, 1, 0), (1, 30, 1, 1), (29, 30, 1, 1), (31, 30, 1, 2), (100, 30, 1, 4),
    (100, 30, 5, 17), (100, 30, 60, 100), (10_000, 30, 1, 334),
])
def test_batch_size_is_the_ceiling_and_at_least_one(total, rmin, interval, expected):
    assert batch_size(total, rmin, interval) == expected


@pytest.fixture
def seeded(sqlite_url):
    from synnefo.core.db import migrate
    from synnefo.core.db.engine import make_engine
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    core = make_core(sqlite_url, {"memory": DictDriver}, reconciliation_min=30)
    seeder = Seeder(core)
    yield core, seeder, seeder.backend(f"sel-{uuid.uuid4().hex[:6]}")
    core.close()


def simulate(core, *, minutes, interval, on_minute=lambda minute: None):
    """Run the selection every ``interval`` minutes; return {server: [times]} and batch sizes."""
    seen, batches = collections.defaultdict(list), []
    for minute in range(0, minutes, interval):
        on_minute(minute)
        now = MIDNIGHT + dt.timedelta(minutes=minute)
        with core.uow() as uow:
            _, ids = select_server_ids(uow.session, all_servers=False, interval_min=interval,
                                       reconciliation_min=core.settings.reconciliation_min)
            mark_reconciled(uow.session, ids, now)
        batches.append(len(ids))
        for server_id in ids:
            seen[server_id].append(now)
    return seen, batches


def longest_gap(times, end, start=MIDNIGHT) -> dt.timedelta:
    points = [start] + [t for t in times if t >= start] + [end]
    return max(b - a for a, b in zip(points, points[1:]))


@pytest.mark.parametrize("servers, interval", [(100, 1), (100, 5), (7, 1)])
def test_over_a_day_every_server_is_reconciled_within_reconciliation_min(seeded, servers,
                                                                          interval):
    core, seeder, backend = seeded
    ids = [seeder.server(backend) for _ in range(servers)]
    seen, batches = simulate(core, minutes=24 * 60, interval=interval)
    end = MIDNIGHT + dt.timedelta(days=1)
    window = dt.timedelta(minutes=30)
    assert set(seen) == set(ids)
    assert max(longest_gap(seen[i], end) for i in ids) <= window
    assert set(batches) == {batch_size(servers, 30, interval)}   # the same load every run
    counts = [len(seen[i]) for i in ids]
    assert max(counts) - min(counts) <= 1                       # and spread evenly


def test_servers_added_during_the_day_go_first_and_deleted_ones_drop_out(seeded):
    core, seeder, backend = seeded
    ids = [seeder.server(backend) for _ in range(60)]
    added, gone = [], ids[:10]

    def changes(minute):
        if minute == 300:
            added.extend(seeder.server(backend) for _ in range(30))
            with core.uow() as uow:
                for sid in gone:
                    uow.session.get(Server, sid).deleted = True

    seen, batches = simulate(core, minutes=24 * 60, interval=1, on_minute=changes)
    at_300 = MIDNIGHT + dt.timedelta(minutes=300)
    assert all(seen[i][0] < at_300 + dt.timedelta(minutes=10) for i in added)
    assert all(not [t for t in seen[i] if t >= at_300] for i in gone)
    assert batches[0] == 2 and batches[-1] == 3   # 60 -> 80 live servers
    live = [i for i in ids if i not in gone] + added
    end = MIDNIGHT + dt.timedelta(days=1)
    assert max(longest_gap(seen[i], end, start=at_300) for i in live) <= dt.timedelta(minutes=30)


def test_a_run_without_all_checks_only_its_batch(seeded):
    core, seeder, backend = seeded
    cluster = DictDriver.cluster(_backend_name(core, backend))
    for _ in range(90):
        sid = seeder.server(backend)
        name = core.naming.instance_name(sid)
        cluster["instances"][name] = InstanceInfo(name, True, True, 1, 1024)
    report = Reconciler(core).run(ReconcileOptions(interval_min=1, now=MIDNIGHT))
    assert (report.servers_total, report.servers_selected, report.servers_checked) == (90, 3, 3)
    report = Reconciler(core).run(ReconcileOptions(all_servers=True, now=MIDNIGHT))
    assert report.servers_checked == 90
    assert cluster["calls"].count(("list_instances", None)) == 2


def _backend_name(core, backend_id):
    with core.uow() as uow:
        return uow.session.get(Backend, backend_id).name



class UnreachableDriver(DictDriver):
    def list_instances(self):
        raise BackendUnavailable("connection refused")


def _reconciled_at(core, ids) -> dict:
    with core.uow() as uow:
        return dict(uow.session.execute(sa.select(Server.id, Server.reconciled_at)
                                        .where(Server.id.in_(ids))).all())


@pytest.mark.parametrize("trouble", ["unreachable", "offline"])
def test_a_backend_that_cannot_be_checked_does_not_starve_the_others(seeded, trouble):
    """Its servers are never marked reconciled, so they stay the oldest: they must not fill
    every batch and keep the servers of the healthy backend from ever being checked."""
    core, seeder, healthy = seeded
    core.driver_classes["down"] = UnreachableDriver
    down = seeder.backend(f"down-{uuid.uuid4().hex[:6]}", driver="down",
                          offline=trouble == "offline")
    stuck_ids = [seeder.server(down) for _ in range(40)]   # lower ids: first in every tie
    cluster = DictDriver.cluster(_backend_name(core, healthy))
    ids = [seeder.server(healthy) for _ in range(40)]
    for sid in ids:
        name = core.naming.instance_name(sid)
        cluster["instances"][name] = InstanceInfo(name, True, True, 1, 1024)
    seen, last = collections.defaultdict(list), _reconciled_at(core, ids)
    for minute in range(120):
        now = MIDNIGHT + dt.timedelta(minutes=minute)
        Reconciler(core).run(ReconcileOptions(interval_min=1, now=now))
        stamps = _reconciled_at(core, ids)
        for sid in ids:
            if stamps[sid] != last[sid]:
                seen[sid].append(now)
        last = stamps
    end = MIDNIGHT + dt.timedelta(hours=2)
    assert max(longest_gap(seen[i], end) for i in ids) <= dt.timedelta(minutes=30)
    assert set(_reconciled_at(core, stuck_ids).values()) == {None}
