"""`make bench BENCH_ARGS=--cluster`: the scale-out topology under load, side by side.

The same cluster `make cluster` starts (scripts/cluster.py: HAProxy, Rasa servers,
2 action servers, PostgreSQL, Redis, RabbitMQ), once with 1 Rasa server and once with 2.
With 1 server the load is also sent straight to the Rasa server, past HAProxy, to show
what the load balancer costs. Each level runs 2 conversations per virtual user (Unknot's
bench conversations), after an unmeasured warm-up.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Callable

from benchmarks import serving
from benchmarks.common import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import cluster as cluster_module  # noqa: E402

LEVELS = (8, 32, 64)
DATABASE = "postgresql://postgres@127.0.0.1:5432/unknot_bench_cluster"


@dataclass
class Endpoint:
    """Something to send REST messages to, as serving.run_load expects of a bot."""
    name: str
    rasa_port: int

    def send(self, sender: str, message: str) -> list[dict]:
        return serving.post(self.rasa_port, sender, message)


def run_cluster(rasa_servers: int, on_progress: Callable[[str, int, int], None]) -> dict:
    """Starts a cluster with `rasa_servers` Rasa servers and measures every level."""
    base = cluster_module.free_base_port(30100)
    env = {**os.environ, "RASA_SERVERS": str(rasa_servers), "ACTION_SERVERS": "2",
           "CLUSTER_BASE_PORT": str(base), "RASA_PORT": str(base + 199), "DATABASE_URL": DATABASE,
           "UNKNOT_RATE_LIMIT": "off", "RASA_TELEMETRY_ENABLED": "false", "REDIS_URL": "redis://127.0.0.1:6379/5"}
    env.pop("TRACKER_DATABASE_URL", None)
    cluster = cluster_module.Cluster(env)
    stop = None
    results: dict = {}
    started = time.monotonic()
    try:
        cluster.start()
        results["startup_s"] = round(time.monotonic() - started, 1)
        stop = cluster.keep_alive_in_background()
        targets = [("haproxy", Endpoint("unknot", cluster.public_port))]
        if rasa_servers == 1:
            port = next(c.port for c in cluster.supervisor.children.values() if c.kind == "rasa")
            targets.append(("direct", Endpoint("unknot", port)))
        serving.run_load(targets[0][1], serving.UNKNOT_CONVERSATIONS, 2, 4)  # warm-up, not measured
        for route, endpoint in targets:
            results[route] = {}
            for users in LEVELS:
                label = f"{rasa_servers} Rasa server{'s' if rasa_servers > 1 else ''}, {route}, {users} at a time"
                load = serving.run_load(endpoint, serving.UNKNOT_CONVERSATIONS, users, 2 * users,
                                        lambda n, total: on_progress(label, n, total))
                results[route][str(users)] = load.summary()
    finally:
        if stop is not None:
            stop.set()
        cluster.supervisor.stop_all()
        cluster_module.drop_database(DATABASE)
    return results


def measure(on_progress: Callable[[str, int, int], None]) -> dict:
    one = run_cluster(1, on_progress)
    two = run_cluster(2, on_progress)
    out = {"levels": list(LEVELS), "rasa_servers_1": one, "rasa_servers_2": two,
           "cores": os.cpu_count(), "action_servers": 2}

    def tput(data, route, users):
        return ((data.get(route) or {}).get(str(users)) or {}).get("throughput_rps")

    out["throughput_2_vs_1"] = {str(u): _ratio(tput(two, "haproxy", u), tput(one, "haproxy", u)) for u in LEVELS}
    out["haproxy_overhead_p50_ms"] = {
        str(u): _diff(((one.get("haproxy") or {}).get(str(u)) or {}).get("p50_ms"),
                      ((one.get("direct") or {}).get(str(u)) or {}).get("p50_ms")) for u in LEVELS}
    return out


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def _diff(a, b):
    return round(a - b, 1) if a is not None and b is not None else None
