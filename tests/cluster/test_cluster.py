"""The scale-out topology under faults and load (scripts/cluster.py), through HAProxy.

One cluster for the module: 2 Rasa servers and 2 action servers behind HAProxy, PostgreSQL
(a database of its own), Redis and RabbitMQ of this machine. Each test checks what the user
sees (always an answer; never one that pretends) and what was stored (no event lost or
duplicated).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import cluster as cluster_module  # noqa: E402
import run as runner  # noqa: E402

DATABASE = f"postgresql://postgres@127.0.0.1:5432/unknot_cluster_test_{os.getpid()}"


@pytest.fixture(scope="module")
def cluster():
    base = cluster_module.free_base_port(20100, 30000)
    env = {**os.environ, "RASA_SERVERS": "2", "ACTION_SERVERS": "2", "CLUSTER_BASE_PORT": str(base),
           "RASA_PORT": str(base + 199), "DATABASE_URL": DATABASE, "UNKNOT_RATE_LIMIT": "off",
           "RASA_TELEMETRY_ENABLED": "false"}
    running = cluster_module.Cluster(env)
    stop = None
    try:
        running.start()
        stop = running.keep_alive_in_background()
        yield running
    finally:
        if stop is not None:
            stop.set()
        running.supervisor.stop_all()
        cluster_module.drop_database(DATABASE)


def send(cluster, sender: str, text: str, timeout: float = 60) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{cluster.public_port}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.status == 200
        return json.loads(response.read())


def customs(reply, kind):
    return [m["custom"] for m in reply if isinstance(m.get("custom"), dict) and m["custom"].get("type") == kind]


def texts(reply) -> str:
    return " ".join(m.get("text") or "" for m in reply)


def stored_user_messages(sender: str) -> list[str]:
    with psycopg2.connect(DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(row[0]).get("text") for row in cursor.fetchall()]


def start_routine(cluster, sender: str) -> tuple[int, list[str]]:
    sent = ["my quads are sore after a long bike ride, I have a foam roller", "yes", "5"]
    reply = []
    for text in sent:
        reply = send(cluster, sender, text)
    step = customs(reply, "step")
    assert step and step[0]["index"] == 1, reply
    return step[0]["total"], sent


def wait_until(predicate, timeout: float = 120, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("timed out")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def test_the_cluster_describes_itself(cluster):
    lines = cluster.describe()
    assert lines[0] == f"Web chat: http://127.0.0.1:{cluster.public_port}/webchat/"
    assert sum(line.startswith("rasa ") for line in lines) == 2
    assert sum(line.startswith("actions ") for line in lines) == 2


def test_a_rasa_server_killed_mid_routine_the_other_carries_on(cluster):
    sender = f"c-{uuid.uuid4().hex}"
    total, sent = start_routine(cluster, sender)
    victim = cluster.supervisor.process("rasa1")
    os.killpg(victim.pid, signal.SIGKILL)
    reply = send(cluster, sender, "done")
    sent.append("done")
    assert customs(reply, "step") and customs(reply, "step")[0]["index"] == 2, reply
    reply = send(cluster, sender, "done")
    sent.append("done")
    assert customs(reply, "step")[0]["index"] == 3 or customs(reply, "routine_done")
    assert stored_user_messages(sender) == sent  # nothing lost, nothing twice
    wait_until(lambda: healthy(f"http://127.0.0.1:{cluster.rasa_ports[0]}/"), timeout=240)
    cluster.wait_balanced()  # the restarted server takes traffic again before the next test


def test_a_dead_action_tier_is_told_and_the_next_turn_works(cluster):
    sender = f"c-{uuid.uuid4().hex}"
    total, sent = start_routine(cluster, sender)
    for name in ("actions1", "actions2"):
        cluster.supervisor.process(name).send_signal(signal.SIGSTOP)
    try:
        reply = send(cluster, sender, "done", timeout=120)
        assert "trouble" in texts(reply) and not customs(reply, "step"), reply
    finally:
        for name in ("actions1", "actions2"):
            cluster.supervisor.process(name).send_signal(signal.SIGCONT)
    wait_until(lambda: all(healthy(f"http://127.0.0.1:{p}/health") for p in cluster.action_ports))
    cluster.wait_balanced()  # HAProxy's health checks see them again
    reply = send(cluster, sender, "repeat")
    assert customs(reply, "step") and customs(reply, "step")[0]["index"] in (1, 2), reply


def test_under_load_every_message_gets_an_answer_and_is_stored_once(cluster):
    conversations, turns = 64, 20
    script = ["hi", "my calves are tight after running", "no", "I have a foam roller", "yes", "5"] + \
        ["done"] * (turns - 6)

    def talk(n: int):
        sender = f"load-{n}-{uuid.uuid4().hex[:8]}"
        empty = errors = 0
        for text in script:
            try:
                reply = send(cluster, sender, text, timeout=180)
                empty += not any(m.get("text") or m.get("custom") for m in reply)
            except Exception:  # noqa: BLE001
                errors += 1
        return sender, empty, errors

    with ThreadPoolExecutor(max_workers=conversations) as pool:
        results = list(pool.map(talk, range(conversations)))
    assert sum(r[2] for r in results) == 0, "errors"
    assert sum(r[1] for r in results) == 0, "empty replies"
    for sender, _, _ in results[:8] + results[-8:]:
        assert stored_user_messages(sender) == script


def test_postgresql_restarted_says_it_could_not_save_and_stays_whole(cluster):
    sender = f"c-{uuid.uuid4().hex}"
    total, sent = start_routine(cluster, sender)
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "stop", "--", "-m", "fast"],
                   check=True, capture_output=True)
    try:
        reply = send(cluster, sender, "done", timeout=120)
        assert "couldn't save that" in texts(reply) or "trouble" in texts(reply), reply
        assert not customs(reply, "step")  # never a reply that pretends it was stored
    finally:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True,
                       capture_output=True)
    wait_until(lambda: subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0)
    reply = send(cluster, sender, "done")
    assert customs(reply, "step") and customs(reply, "step")[0]["index"] == 2, reply
    assert stored_user_messages(sender) == sent + ["done"]


def test_redis_down_fails_loudly_and_comes_back(cluster):
    sender = f"c-{uuid.uuid4().hex}"
    send(cluster, sender, "my calves are tight after running")
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], capture_output=True)
    try:
        reply = send(cluster, sender, "I have a foam roller", timeout=120)
        assert reply and ("trouble" in texts(reply) or customs(reply, "routine") or texts(reply)), reply
    finally:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                        "--logfile", "/var/log/redis/ci.log"], capture_output=True)
    wait_until(lambda: subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True).returncode == 0)
    reply = send(cluster, sender, "hi")
    assert texts(reply)


def _drain(queue: str = "unknot_events") -> list[dict]:
    """Every message waiting in the queue (the test is its only consumer)."""
    import asyncio

    import aio_pika

    async def run():
        connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
        messages = []
        async with connection:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True, passive=True)
            while True:
                message = await q.get(no_ack=True, fail=False)
                if message is None:
                    break
                messages.append(json.loads(message.body))
        return messages
    return asyncio.run(run())


def _stored_events(sender: str) -> int:
    with psycopg2.connect(DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM events WHERE sender_id = %s", (sender,))
        return cursor.fetchone()[0]


def _rabbit(action: str) -> None:
    subprocess.run(["rabbitmqctl", action], check=True, capture_output=True, timeout=120)


def test_rabbitmq_down_the_conversation_goes_on_and_events_arrive_later(cluster):
    sender = f"c-{uuid.uuid4().hex}"
    send(cluster, sender, "hi")
    time.sleep(2)
    _drain()
    before = _stored_events(sender)
    logs = [cluster.supervisor.log(name) for name in ("rasa1", "rasa2")]
    log_sizes = [log.stat().st_size for log in logs]
    _rabbit("stop_app")
    try:
        for text in ("my calves are tight after running", "no", "I have a foam roller"):
            reply = send(cluster, sender, text, timeout=120)
            assert texts(reply), reply  # the conversation goes on
    finally:
        _rabbit("start_app")
    stored = _stored_events(sender) - before
    arrived: list = []

    def all_arrived() -> bool:
        arrived.extend(m for m in _drain() if m.get("sender_id") == sender)
        return len(arrived) >= stored

    wait_until(all_arrived, timeout=180, every=3)
    assert len(arrived) == stored  # every stored event reached the broker once
    written = "".join(log.read_bytes()[size:].decode(errors="replace") for log, size in zip(logs, log_sizes))
    assert "could not publish a 'user' event" in written  # the outage is in the logs...
    assert sender not in written and "foam roller" not in written  # ...what the user wrote is not
