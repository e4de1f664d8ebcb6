"""Where a message's time goes: py-spy samples both servers while the load runs.

`record()` attaches py-spy (sampling, non-blocking, so the servers are not slowed by being
stopped at each sample) to the Rasa server and the action server for the duration of one
load level and keeps the folded stacks. `summarise()` turns folded stacks into the tables
`make bench` keeps in benchmarks/results/: time by stage of the pipeline (DIET, the safety
detector, the policies, the tracker store, the action call, ...) and the top frames by
own and inclusive time. Only busy samples count (py-spy skips idle threads by default),
so the shares are shares of CPU time, not of waiting.
"""
from __future__ import annotations

import collections
import shutil
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from benchmarks.common import RASA_BIN

RATE = 250  # samples per second per process: ~0.2% overhead, enough for 30-60 s runs
# Stages of a message, in priority order: a sample goes to the first stage that any frame
# of its stack matches (so TED's TensorFlow calls count for the policies, DIET's for DIET).
# Patterns are substrings of py-spy's "function (path/file.py:line)" frames.
RASA_STAGES = [
    ("safety detector (spaCy rules, ConText, ONNX encoder)", ("safety/",)),
    ("action response validation (jsonschema)", ("jsonschema/",)),
    ("tracker store (SQL, rolling)", ("stores/rolling_sql", "tracker_store", "sqlalchemy/")),
    ("policies: featurise history and predict", ("rasa/core/policies/", "rasa/core/featurizers/")),
    ("NLU: DIET classifier (TensorFlow)", ("diet_classifier", "tensorflow/", "keras/")),
    ("NLU: tokenise and featurise", ("featurizers/", "tokenizers/")),
    ("NLU: other components", ("rasa/nlu/", "rasa/engine/")),
    ("action call: JSON and HTTP client", ("rasa/core/actions/action", "aiohttp/", "json/", "ujson")),
    ("channel: REST, guards, Sanic", ("channels/", "rasa/core/channels", "sanic/")),
    ("event loop and other", ("",)),
]
ACTION_STAGES = [
    ("actions: Unknot logic (actions/, knowledge/)", ("actions/", "knowledge/")),
    ("actions: SQLAlchemy queries", ("sqlalchemy/",)),
    # rasa_sdk's own modules but not its __main__, which is the root of every stack
    ("actions: rasa_sdk tracker parsing and JSON", ("rasa_sdk/executor", "rasa_sdk/endpoint", "rasa_sdk/interfaces",
                                                    "rasa_sdk/utils", "rasa_sdk/events", "json/", "ujson")),
    ("actions: Sanic, HTTP and event loop", ("",)),
]
# A sample whose innermost frame is the event loop waiting for work: py-spy cannot tell
# that uvloop's wait is idle, so without this an idle server looks busy.
IDLE_LEAVES = ("serve (sanic/server/runners.py", "run_forever (", "_run_once (", "select (selectors.py")


class Recording:
    """One py-spy process attached to one server; its folded stacks end up in `path`."""

    def __init__(self, pid: int, path: Path, log: Path):
        self.path = path
        self.log = log
        self.process: Optional[subprocess.Popen] = None
        spy = RASA_BIN / "py-spy"
        if not spy.exists() and shutil.which("py-spy") is None:
            raise RuntimeError("py-spy is not installed in .venv/rasa (requirements/rasa.lock)")
        command = [str(spy if spy.exists() else "py-spy"), "record", "--pid", str(pid), "--rate", str(RATE),
                   "--format", "raw", "--nonblocking", "--output", str(path)]
        with log.open("w") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def record(pids: dict[str, int], out_dir: Path, label: str) -> Iterator[dict[str, Path]]:
    """Samples every named process for the duration of the block; yields name -> folded file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recordings = {name: Recording(pid, out_dir / f"{label}-{name}.folded", out_dir / f"{label}-{name}.log")
                  for name, pid in pids.items() if pid}
    try:
        yield {name: rec.path for name, rec in recordings.items()}
    finally:
        for rec in recordings.values():
            rec.stop()


def read_folded(path: Path) -> list[tuple[list[str], int]]:
    """py-spy's raw output: one `frame;frame;...;frame count` line per distinct stack."""
    stacks = []
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = stack.split(";")
            if not any(frames[-1].startswith(idle) for idle in IDLE_LEAVES):
                stacks.append((frames, int(count)))
    return stacks


def _short(frame: str) -> str:
    """`validate (jsonschema/validators.py)` from py-spy's frame with a long path and a line."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/", "lib/python3.10/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    parts = where.split("/")
    if len(parts) > 3:
        where = "/".join(parts[-3:])
    return f"{name} ({where})" if where else name


def stage_of(frames: list[str], stages: list[tuple[str, tuple[str, ...]]]) -> str:
    for stage, patterns in stages:
        for frame in reversed(frames):
            if any(p in frame for p in patterns):
                return stage
    return stages[-1][0]


def summarise(path: Path, stages: list[tuple[str, tuple[str, ...]]], top: int = 15) -> dict:
    """Stage shares and the top frames (own and inclusive time) of one folded file."""
    stacks = read_folded(path)
    total = sum(count for _, count in stacks)
    if not total:
        return {"samples": 0}
    by_stage: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    for frames, count in stacks:
        by_stage[stage_of(frames, stages)] += count
        own[_short(frames[-1])] += count
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += count

    def share(counter):
        return [{"frame": frame, "share": round(count / total, 4)} for frame, count in counter.most_common(top)]

    return {"samples": total, "seconds_busy": round(total / RATE, 1),
            "stages": [{"stage": s, "share": round(by_stage.get(s, 0) / total, 4)} for s, _ in stages
                       if by_stage.get(s)],
            "top_own": share(own),
            "top_inclusive": share(collections.Counter({k: v for k, v in inclusive.items()
                                    if not k.startswith(("<module>", "run (", "_run_once", "run_forever",
                                                         "run_until_complete", "_run (", "serve"))}))}
