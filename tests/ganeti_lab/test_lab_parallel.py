"""Ten creates at once through the API: every one ends ACTIVE, each with its own address."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from labhelpers import until
from latencies import record

COUNT = 10


def test_ten_parallel_creates(stack, api, rapi):
    def create_and_wait(i: int) -> str:
        client = type(api)(stack.url)     # one HTTP session per thread
        start = time.monotonic()
        server_id = client.create(f"lab-par-{i}")
        client.wait(server_id, "ACTIVE", timeout=240)
        record(f"create -> ACTIVE ({COUNT} at once)", time.monotonic() - start)
        return server_id

    with ThreadPoolExecutor(COUNT) as pool:
        ids = list(pool.map(create_and_wait, range(COUNT)))
    infos = [rapi.instance(stack.instance(i)) for i in ids]
    assert [info["status"] for info in infos] == ["running"] * COUNT
    ips = {info["nic.ips"][0] for info in infos}
    assert len(ips) == COUNT, ips
    for server_id in ids:
        api.delete(server_id)
    for server_id in ids:
        api.wait(server_id, "DELETED", timeout=240)
    until(lambda: not {stack.instance(i) for i in ids} & set(rapi.instances()),
          "deleted servers are still in Ganeti")
