"""Serving both bots the same way (REST channel, SQL tracker store in a SQLite file of
their temp folder) and driving them: concurrent conversations, one long conversation."""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .common import ACTIONS_BIN, RASA_BIN, ROOT, Children, MemoryWatch, bench_env, free_port

sys.path.insert(0, str(ROOT / "scripts"))
import run as runner  # noqa: E402  (scripts/run.py: the same start-up code as `make serve`)

REQUEST_TIMEOUT = 30.0
STOP = threading.Event()  # set when the benchmark is stopping: no new requests


def post(port: int, sender: str, message: str, timeout: float = REQUEST_TIMEOUT) -> list[dict]:
    data = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until(check: Callable[[], bool], process, timeout: float, log: Path, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} exited with code {process.returncode}; log {log}:\n{tail}")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f}s; see {log}")


def customs(messages: list[dict], kind: str) -> list[dict]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), dict) and m["custom"].get("type") == kind]


@dataclass
class Bot:
    """One served assistant: its Rasa server, optionally its action server."""
    name: str
    workdir: Path
    children: Children
    memory: MemoryWatch
    rasa_port: int = field(default_factory=free_port)
    rasa: object = None
    actions: object = None
    startup: dict = field(default_factory=dict)
    tracker_db: Optional[Path] = None
    store_type: str = ""

    def send(self, sender: str, message: str) -> list[dict]:
        return post(self.rasa_port, sender, message)

    def _start_rasa(self, command: list[str], cwd: Path, env: dict, first_message: str) -> None:
        log = self.workdir / "rasa.log"
        started = time.monotonic()
        self.rasa = self.children.popen(command, log, cwd=cwd, env=env)
        self.memory.watch(f"{self.name}:rasa", self.rasa.pid)
        wait_until(lambda: _get_ok(f"http://127.0.0.1:{self.rasa_port}/"), self.rasa, 300, log,
                   f"{self.name} Rasa server")
        self.startup["rasa_up_s"] = round(time.monotonic() - started, 2)
        reply = self.send(f"startup-{uuid.uuid4().hex[:8]}", first_message)
        self.startup["rasa_first_answer_s"] = round(time.monotonic() - started, 2)
        if not reply:
            raise RuntimeError(f"{self.name}: no reply to the first message")

    def stop(self) -> None:
        self.children.stop(self.rasa)
        self.children.stop(self.actions)


@contextmanager
def store_type(kind: Optional[str]):
    """scripts/run.py reads TRACKER_STORE_TYPE from the environment when it writes endpoints."""
    saved = os.environ.get("TRACKER_STORE_TYPE")
    if kind:
        os.environ["TRACKER_STORE_TYPE"] = kind
    try:
        yield runner.tracker_store_config(None)["type"]
    finally:
        if saved is None:
            os.environ.pop("TRACKER_STORE_TYPE", None)
        else:
            os.environ["TRACKER_STORE_TYPE"] = saved


def start_unknot(workdir: Path, children: Children, memory: MemoryWatch, name: str = "unknot",
                 tracker_store: Optional[str] = None) -> Bot:
    """Action server + Rasa server exactly as `make serve` starts them (scripts/run.py),
    with a fresh knowledge base and tracker store in `workdir`; `tracker_store` overrides
    the store type scripts/run.py would configure."""
    workdir.mkdir(parents=True, exist_ok=True)
    bot = Bot(name, workdir, children, memory)
    bot.tracker_db = workdir / "tracker.db"
    action_port = free_port()
    env = bench_env(DATABASE_URL=f"sqlite:///{workdir / 'unknot.db'}",
                    TRACKER_DATABASE_URL=f"sqlite:///{bot.tracker_db}")
    code, seconds = children.run([ACTIONS_BIN / "python", "-m", "knowledge", "load"], workdir / "kb-load.log",
                                 timeout=300, env=env)
    if code != 0:
        raise RuntimeError(f"knowledge load failed; see {workdir / 'kb-load.log'}")
    bot.startup["kb_load_s"] = round(seconds, 2)
    with store_type(tracker_store) as kind:
        endpoints = runner.write_endpoints(workdir / "endpoints.yml", action_port, env)
        bot.store_type = kind
    log = workdir / "actions.log"
    started = time.monotonic()
    bot.actions = children.popen(runner.action_server_command(action_port), log, env=runner.action_server_env(env))
    memory.watch(f"{name}:actions", bot.actions.pid)
    wait_until(lambda: _get_ok(f"http://127.0.0.1:{action_port}/health"), bot.actions, 120, log,
               "Unknot action server")
    bot.startup["actions_up_s"] = round(time.monotonic() - started, 2)
    command = runner.rasa_server_command(bot.rasa_port, endpoints, f"http://127.0.0.1:{bot.rasa_port}")
    bot._start_rasa(command, ROOT, env, "hi")
    return bot


def start_starter(project: Path, model: Path, workdir: Path, children: Children, memory: MemoryWatch) -> Bot:
    """The `rasa init` starter bot, served the same way: REST channel, the same tracker
    store as Unknot (the type scripts/run.py configures) in a SQLite file of its own. It
    has no custom actions, so it needs no action server."""
    workdir.mkdir(parents=True, exist_ok=True)
    bot = Bot("starter", workdir, children, memory)
    bot.tracker_db = workdir / "tracker.db"
    endpoints = workdir / "endpoints.yml"
    with store_type(None) as kind:
        endpoints.write_text(runner._yaml_block("tracker_store", runner.tracker_store_config(f"sqlite:///{bot.tracker_db}")))
        bot.store_type = kind
    credentials = workdir / "credentials.yml"
    credentials.write_text("rest:\n")
    command = [str(RASA_BIN / "rasa"), "run", "--model", str(model), "--endpoints", str(endpoints),
               "--credentials", str(credentials), "--port", str(bot.rasa_port),
               "--cors", f"http://127.0.0.1:{bot.rasa_port}", "--quiet"]
    bot._start_rasa(command, project, bench_env(), "hello")
    return bot


# --------------------------------------------------------------------------- conversations
# Each virtual user runs its own sender id through one short, realistic conversation.
UNKNOT_CONVERSATIONS = [
    ["hi", "my quads are really sore after a long bike ride, I've got a foam roller", "yes", "6", "done", "done"],
    ["hello", "hamstrings wrecked after football, I have a massage gun", "yes", "about a 5", "done", "done"],
    ["hey", "my shoulders ache after climbing, I've got a lacrosse ball", "yes", "4", "done", "done"],
    ["hi there", "my forearms are tight after a bouldering session, I have a massage ball", "yes", "7/10", "done", "done"],
]
STARTER_CONVERSATIONS = [
    ["hello", "I am sad", "yes", "are you a bot?", "great", "bye"],
    ["hi", "very unhappy", "no", "am I talking to a human?", "I am good", "goodbye"],
    ["hey there", "I'm feeling down", "yes", "are you a bot?", "perfect", "see you later"],
    ["good morning", "sad", "of course", "are you a human?", "happy", "bye bye"],
]


@dataclass
class LoadResult:
    users: int
    requests: int
    errors: int  # HTTP errors and time-outs
    empty: int  # answered with no bot message at all
    wall_s: float
    latencies_ms: list
    completed: int  # conversations that reached their goal (Unknot: a routine step shown)

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)

        def pct(q):
            if not lat:
                return None
            k = max(0, min(len(lat) - 1, int(round(q / 100 * len(lat) + 0.5)) - 1))
            return round(lat[k], 1)
        return {"users": self.users, "requests": self.requests, "errors": self.errors, "empty_replies": self.empty,
                "p50_ms": round(statistics.median(lat), 1) if lat else None, "p95_ms": pct(95), "p99_ms": pct(99),
                "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
                "throughput_rps": round(self.requests / self.wall_s, 2) if self.wall_s else None,
                "wall_s": round(self.wall_s, 2), "conversations_completed": self.completed}


def run_load(bot: Bot, conversations: list[list[str]], users: int, count: int,
             on_progress: Callable[[int, int], None] = lambda n, total: None) -> LoadResult:
    """`count` conversations, `users` at a time; returns every request's latency."""
    queue = [conversations[i % len(conversations)] for i in range(count)]
    total = sum(len(c) for c in queue)
    lock = threading.Lock()
    latencies, state = [], {"errors": 0, "empty": 0, "done": 0, "completed": 0}
    run_id = uuid.uuid4().hex[:6]

    def worker(worker_id: int):
        while True:
            with lock:
                if not queue or STOP.is_set():
                    return
                script = queue.pop()
                sender = f"load-{run_id}-{users}-{worker_id}-{len(queue)}"
            reached = False
            for message in script:
                if STOP.is_set():
                    return
                started = time.perf_counter()
                reply = None
                try:
                    reply = bot.send(sender, message)
                    elapsed = (time.perf_counter() - started) * 1000
                    reached = reached or bool(customs(reply, "step")) or bot.name == "starter"
                except (urllib.error.URLError, OSError, ValueError):  # HTTP error, timeout, bad JSON
                    elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    state["errors"] += reply is None
                    state["empty"] += reply == []
                    state["done"] += 1
                    done = state["done"]
                on_progress(done, total)
            with lock:
                state["completed"] += reached

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return LoadResult(users, total, state["errors"], state["empty"], wall, latencies, state["completed"])


# --------------------------------------------------------------------------- long conversation
UNKNOT_OPENING = ["hi", "my quads are really sore after a long bike ride, I've got a foam roller", "yes", "6"]
# Mid-routine traffic that keeps the routine going without finishing it: questions (the
# step is shown again after the answer) and step controls that come back to the same step.
UNKNOT_CYCLE = ["what's a trigger point?", "done", "back", "can you repeat that", "how hard should I press?",
                "how long should I do this for?"]
STARTER_OPENING = ["hello", "I am sad", "yes"]
STARTER_CYCLE = ["are you a bot?", "great", "hello", "I am sad", "no", "bye"]


def long_script(opening: list[str], cycle: list[str], turns: int) -> list[str]:
    script = list(opening)
    while len(script) < turns:
        script.extend(cycle)
    return script[:turns]


def long_conversation(bot: Bot, script: list[str],
                      before_turn: Callable[[int, str], None] = lambda turn, sender: None,
                      after_turn: Callable[[int, float], None] = lambda turn, ms: None) -> list[float]:
    """One sender through the whole script; returns the latency of each turn (ms)."""
    sender = f"long-{bot.name}-{uuid.uuid4().hex[:8]}"
    latencies = []
    for turn, message in enumerate(script, start=1):
        if STOP.is_set():
            raise KeyboardInterrupt
        before_turn(turn, sender)
        started = time.perf_counter()
        bot.send(sender, message)
        elapsed = (time.perf_counter() - started) * 1000
        latencies.append(elapsed)
        after_turn(turn, elapsed)
    return latencies
