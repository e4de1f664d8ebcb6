"""Shared pieces of `make bench`: paths, child-process bookkeeping, progress output and
memory sampling. Standard library only (runs in .venv/rasa, which has no psutil)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
RASA_BIN = ROOT / ".venv" / "rasa" / "bin"
ACTIONS_BIN = ROOT / ".venv" / "actions" / "bin"
MODEL = ROOT / "models" / "unknot.tar.gz"


def bench_env(**extra: str) -> dict:
    """The environment every child gets: no telemetry, the project importable, and none
    of the variables that would point a child at the developer's own databases."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RASA_API_TOKEN", "REDIS_URL", "DATABASE_URL", "TRACKER_DATABASE_URL")}
    env.update({"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1",
                # the load and long-conversation runs send far faster than a person types
                "UNKNOT_RATE_LIMIT": "off"})
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- progress
class Progress:
    """One line per phase, `[3/9] name`, plus n/N updates inside long phases."""

    def __init__(self, total_phases: int):
        self.total = total_phases
        self.index = 0
        self.started = time.monotonic()
        self.phase_started = self.started
        self.tty = sys.stdout.isatty()
        self._last_line = 0.0
        self._last_printed = None
        self._open_line = False

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:2d}:{seconds % 60:02d}"

    def phase(self, name: str) -> None:
        self._end_line()
        self.index += 1
        self.phase_started = time.monotonic()
        print(f"[{self._elapsed()}] phase {self.index}/{self.total}: {name}", flush=True)

    def step(self, label: str, n: int, total: int) -> None:
        """n/N inside a phase: rewritten in place on a terminal, at most every 5 s otherwise."""
        now = time.monotonic()
        text = f"    {label}: {n}/{total}"
        if self.tty:
            print("\r" + text.ljust(70), end="", flush=True)
            self._open_line = True
            if n >= total:
                self._end_line()
        elif n >= total or (now - self._last_line >= 5 and (label, n) != self._last_printed) \
                or now - self._last_line >= 30:
            print(text, flush=True)
            self._last_line = now
            self._last_printed = (label, n)

    def note(self, text: str) -> None:
        self._end_line()
        print(f"    {text}", flush=True)

    def _end_line(self) -> None:
        if self._open_line:
            print(flush=True)
            self._open_line = False

    def total_seconds(self) -> float:
        return time.monotonic() - self.started


# --------------------------------------------------------------------------- processes
class Children:
    """Every process the benchmark starts, each in its own process group, so that all of
    them (and their children) are stopped in `stop_all`, whatever happened."""

    def __init__(self):
        self._processes: list[subprocess.Popen] = []
        self._lock = threading.Lock()

    def popen(self, command: list[str], log: Path, cwd: Path = ROOT, env: Optional[dict] = None) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            process = subprocess.Popen([str(c) for c in command], cwd=str(cwd), env=env or bench_env(),
                                       stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        with self._lock:
            self._processes.append(process)
        return process

    def popen_pipe(self, command: list[str], log: Path, cwd: Path = ROOT, env: Optional[dict] = None) -> subprocess.Popen:
        """A child that talks over stdin/stdout (text lines); stderr goes to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as err:
            process = subprocess.Popen([str(c) for c in command], cwd=str(cwd), env=env or bench_env(),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                                       start_new_session=True)
        with self._lock:
            self._processes.append(process)
        return process

    def run(self, command: list[str], log: Path, timeout: float, cwd: Path = ROOT,
            env: Optional[dict] = None) -> tuple[int, float]:
        """Runs a command to the end (killed after `timeout` seconds); returns (exit code, seconds)."""
        started = time.monotonic()
        process = self.popen(command, log, cwd, env)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            code = -9
        finally:
            self.stop(process)
        return code, time.monotonic() - started

    def stop(self, process: Optional[subprocess.Popen], grace: float = 15) -> None:
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may still hold grandchildren even when the leader has gone.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        with self._lock:
            if process in self._processes:
                self._processes.remove(process)

    def stop_all(self) -> None:
        with self._lock:
            processes = list(self._processes)
        for process in reversed(processes):
            self.stop(process, grace=10)


# --------------------------------------------------------------------------- memory
def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/*/stat parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


class MemoryWatch:
    """Samples the resident memory of process trees in the background.

    peak = the highest sum of VmRSS over a tree seen in any sample, or the sum of the
    kernel's own high-water marks (VmHWM) of the tree's processes, whichever is higher
    (the latter catches peaks between samples)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.pids: dict[str, int] = {}
        self.peak_kb: dict[str, int] = {}
        self.hwm_kb: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def watch(self, name: str, pid: int) -> None:
        self.pids[name] = pid
        self.peak_kb.setdefault(name, 0)

    def sample(self) -> None:
        for name, pid in list(self.pids.items()):
            tree = process_tree(pid)
            rss = sum(_status_kb(p, "VmRSS") for p in tree)
            hwm = sum(_status_kb(p, "VmHWM") for p in tree)
            self.peak_kb[name] = max(self.peak_kb.get(name, 0), rss)
            if hwm:
                self.hwm_kb[name] = max(self.hwm_kb.get(name, 0), hwm)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def peak_mb(self, name: str) -> Optional[float]:
        kb = max(self.peak_kb.get(name, 0), self.hwm_kb.get(name, 0))
        return round(kb / 1024, 1) if kb else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
