"""`make bench`: Unknot's benchmarks, written to benchmarks/results/ (latest.json,
latest.md and PNG plots).

    .venv/rasa/bin/python benchmarks/run.py [--quick] [--cluster] [--keep-tmp]

Measures understanding (held-out NLU file, Rasa cross-validation), safety (the safety
suites, detector time), speed next to the bare `rasa init` starter bot (REST latency and
throughput at 1, 8 and 32 concurrent conversations), the cost of a long conversation,
memory, start-up, training time, model size and knowledge-base query time. Everything
it starts listens on 127.0.0.1 only and is stopped at the end, also on Ctrl-C.
`--quick` skips the cross-validation and the timed training (about 8 minutes less);
`--cluster` adds the scale-out topology (1 vs 2 Rasa servers behind HAProxy).
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on the path, where its modules could
# shadow others of the same name (and scripts/run.py, which serving.py imports as `run`).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from benchmarks import profile, report, serving  # noqa: E402
from benchmarks.common import (ACTIONS_BIN, MODEL, RASA_BIN, RESULTS, Children, MemoryWatch,  # noqa: E402
                               Progress, bench_env)

LEVELS = (1, 8, 32)
LONG_TURNS = 211
# Latency "at turn T" is the median of the 12 turns starting there: two whole cycles of
# the repeating mid-conversation messages, so every checkpoint has the same message mix.
# The first full cycle starts at turn 5 (turns 1-4 open the conversation and rate the pain
# before the routine), so "turn 1" is measured over turns 5-16; the bare first message is
# reported too.
WINDOW = 12
CHECKPOINTS = {1: 5, 50: 50, 100: 100, 200: 200}
CV_FOLDS = 3


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = RESULTS / "tmp" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.children = Children()
        self.memory = MemoryWatch()
        self.results: dict = {"errors": []}
        self.bots: dict[str, serving.Bot] = {}
        self.starter_project = self.tmp / "starter"
        self.starter_model = None
        phases = [("environment", self.environment), ("safety suite", self.safety),
                  ("held-out NLU evaluation", self.heldout), ("starter bot: rasa init + training", self.starter),
                  ("serving both bots (start-up, knowledge base)", self.serve),
                  ("load: concurrent conversations", self.load),
                  ("profile: where a message's time goes (py-spy, 1 and 32 at a time)", self.profile),
                  ("long conversation (211 turns each)", self.long),
                  ("stopping the servers", self.stop_servers)]
        if args.cluster:
            phases.append(("cluster: 1 vs 2 Rasa servers behind HAProxy", self.cluster))
        if not args.quick:
            phases += [("training time (rasa train --force, cold cache)", self.training),
                       (f"cross-validation ({CV_FOLDS} folds, {args.cv_epochs} epochs)", self.cross_validation)]
        phases.append(("report", self.write_report))
        self.phases = phases
        self.progress = Progress(len(phases))

    # ------------------------------------------------------------------ helpers
    def python(self, module: str, *args, timeout: float, env_bin: Path = RASA_BIN, name: str) -> Path:
        out = self.tmp / f"{name}.json"
        code, _ = self.children.run([env_bin / "python", "-m", module, *args, out], self.tmp / f"{name}.log",
                                    timeout=timeout)
        if code != 0 or not out.exists():
            tail = (self.tmp / f"{name}.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{module} failed (exit {code}):\n{tail}")
        return out

    # ------------------------------------------------------------------ phases
    def environment(self):
        def version(package):
            try:
                return importlib.metadata.version(package)
            except importlib.metadata.PackageNotFoundError:
                return None
        actions = subprocess.run(
            [str(ACTIONS_BIN / "python"), "-c", "import json, platform, importlib.metadata as m; "
             "print(json.dumps({'python': platform.python_version(), 'sqlalchemy': m.version('SQLAlchemy'), "
             "'rasa_sdk': m.version('rasa-sdk')}))"], capture_output=True, text=True, timeout=60)
        actions_versions = json.loads(actions.stdout) if actions.returncode == 0 else {}
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), platform.processor())
        mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")), 0)
        self.results["environment"] = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "mode": "quick" if self.args.quick else "full",
            "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "cpu": cpu_model,
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "os": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "rasa": version("rasa"), "rasa_sdk_in_actions": actions_versions.get("rasa_sdk"),
            "spacy": version("spacy"), "medspacy": version("medspacy"), "tensorflow": version("tensorflow"),
            "sqlalchemy_rasa_env": version("SQLAlchemy"), "sqlalchemy_actions_env": actions_versions.get("sqlalchemy"),
            "python_actions_env": actions_versions.get("python"), "commit": read_commit(),
        }
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train` first")
        self.results["model"] = {"path": str(MODEL.relative_to(ROOT)), "size_mb": round(MODEL.stat().st_size / 1e6, 1),
                                 "trained": datetime.datetime.fromtimestamp(MODEL.stat().st_mtime)
                                 .astimezone().isoformat(timespec="seconds")}

    def safety(self):
        out = self.python("benchmarks.understanding", "safety", timeout=600, name="safety")
        self.results["safety"] = json.loads(out.read_text())

    def heldout(self):
        out = self.python("benchmarks.understanding", "heldout", timeout=900, name="heldout")
        self.results["heldout"] = json.loads(out.read_text())

    def starter(self):
        self.starter_project.mkdir(parents=True, exist_ok=True)
        code, seconds = self.children.run([RASA_BIN / "rasa", "init", "--no-prompt", "--init-dir", self.starter_project],
                                          self.tmp / "starter-init.log", timeout=1200, cwd=self.starter_project,
                                          env=bench_env(RASA_CACHE_DIRECTORY=str(self.starter_project / ".rasa" / "cache")))
        models = sorted((self.starter_project / "models").glob("*.tar.gz"))
        if code != 0 or not models:
            raise RuntimeError(f"rasa init failed (exit {code}); see {self.tmp / 'starter-init.log'}")
        self.starter_model = models[-1]
        self.results["starter"] = {"init_and_train_s": round(seconds, 1),
                                   "model_size_mb": round(self.starter_model.stat().st_size / 1e6, 1)}

    def serve(self):
        unknot = serving.start_unknot(self.tmp / "unknot-run", self.children, self.memory)
        self.bots["unknot"] = unknot
        self.progress.note(f"Unknot answers ({unknot.startup})")
        if self.starter_model:
            starter = serving.start_starter(self.starter_project, self.starter_model, self.tmp / "starter-run",
                                            self.children, self.memory)
            self.bots["starter"] = starter
            self.progress.note(f"starter answers ({starter.startup})")
        self.results["startup"] = {name: bot.startup for name, bot in self.bots.items()}
        self.results["tracker_store"] = {name: bot.store_type for name, bot in self.bots.items()}
        out = self.python("benchmarks.kb_query", f"sqlite:///{unknot.workdir / 'unknot.db'}", timeout=300,
                          env_bin=ACTIONS_BIN, name="kb_query")
        self.results["knowledge_base"] = json.loads(out.read_text())
        # Warm-up (not measured): a couple of whole conversations each.
        for bot in self.bots.values():
            conversations = serving.UNKNOT_CONVERSATIONS if bot.name == "unknot" else serving.STARTER_CONVERSATIONS
            serving.run_load(bot, conversations, 1, 2)

    def load(self):
        load = {name: {} for name in self.bots}
        for users in LEVELS:
            for name, bot in self.bots.items():
                conversations = serving.UNKNOT_CONVERSATIONS if name == "unknot" else serving.STARTER_CONVERSATIONS
                result = serving.run_load(bot, conversations, users, self.args.conversations,
                                          lambda n, total: self.progress.step(f"{name}, {users} at a time", n, total))
                load[name][str(users)] = result.summary()
        if "starter" in load:
            load["ratios"] = {
                str(u): {"p50": ratio(load["unknot"][str(u)]["p50_ms"], load["starter"][str(u)]["p50_ms"]),
                         "p95": ratio(load["unknot"][str(u)]["p95_ms"], load["starter"][str(u)]["p95_ms"]),
                         "throughput": ratio(load["unknot"][str(u)]["throughput_rps"],
                                             load["starter"][str(u)]["throughput_rps"])}
                for u in LEVELS}
        self.results["load"] = load

    def profile(self):
        """py-spy on both Unknot servers during a load run at 1 and at 32 conversations (not
        the timed runs above, so sampling never touches the latency figures)."""
        bot = self.bots.get("unknot")
        if bot is None:
            raise RuntimeError("Unknot is not being served")
        out_dir = self.tmp / "profile"
        results = {}
        for users, count in ((1, 12), (32, 64)):
            label = f"{users}-at-a-time"
            with profile.record({"rasa": bot.rasa.pid, "actions": bot.actions.pid}, out_dir, label) as files:
                load = serving.run_load(bot, serving.UNKNOT_CONVERSATIONS, users, count,
                                        lambda n, total: self.progress.step(f"profiled, {users} at a time", n, total))
            messages = sum(len(serving.UNKNOT_CONVERSATIONS[i % len(serving.UNKNOT_CONVERSATIONS)])
                           for i in range(count))
            results[str(users)] = {
                "messages": messages, "p50_ms_while_sampled": load.summary().get("p50_ms"),
                "rasa": profile.summarise(files["rasa"], profile.RASA_STAGES),
                "actions": profile.summarise(files["actions"], profile.ACTION_STAGES)}
            for name, path in files.items():  # the folded stacks are kept for flame graphs
                if path.exists():
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, RESULTS / f"profile-{label}-{name}.folded")
        self.results["profile"] = results

    def cluster(self):
        from benchmarks import cluster_load
        self.results["cluster"] = cluster_load.measure(lambda label, n, total: self.progress.step(label, n, total))

    def long(self):
        long = {}
        for name, bot in self.bots.items():
            long[name] = self.long_conversation(bot)
            self.results["long_conversation"] = long
        # The same conversation with Rasa's own SQLTrackerStore, when scripts/run.py
        # configures another store, to show what that store changes.
        unknot = self.bots.get("unknot")
        if unknot and unknot.store_type != "SQL":
            self.progress.note("Unknot again, with Rasa's plain SQLTrackerStore (for comparison)")
            plain = serving.start_unknot(self.tmp / "unknot-plain-sql", self.children, self.memory,
                                         name="unknot_rasa_sql", tracker_store="SQL")
            try:
                long["unknot_rasa_sql"] = self.long_conversation(plain)
            finally:
                plain.stop()

    def long_conversation(self, bot: serving.Bot) -> dict:
        if bot.name == "starter":
            opening, cycle, domain = serving.STARTER_OPENING, serving.STARTER_CYCLE, self.starter_project / "domain.yml"
        else:
            opening, cycle, domain = serving.UNKNOT_OPENING, serving.UNKNOT_CYCLE, ROOT / "domain.yml"
        script = serving.long_script(opening, cycle, LONG_TURNS)
        # The probe reads the same SQLite file with Rasa's SQLTrackerStore between turns.
        probe = self.children.popen_pipe([RASA_BIN / "python", "-m", "benchmarks.tracker_probe",
                                          bot.tracker_db, domain], self.tmp / f"probe-{bot.name}.log")
        diagnostics = {}
        try:
            ready = json.loads(probe.stdout.readline() or "{}")

            def ask(turn, sender):
                if not ready.get("ready"):
                    return
                probe.stdin.write(sender + "\n")
                probe.stdin.flush()
                line = probe.stdout.readline()
                if line:
                    diagnostics[str(turn)] = json.loads(line)

            senders = []

            def before(turn, sender):
                senders[:] = [sender]
                if turn in CHECKPOINTS.values():
                    ask(turn, sender)

            latencies = serving.long_conversation(
                bot, script, before, lambda turn, ms: self.progress.step(f"{bot.name}, turn", turn, len(script)))
            ask(len(script) + 1, senders[0])  # the whole conversation, after its last turn
        finally:
            self.children.stop(probe)
        checkpoints = {}
        for label, start in CHECKPOINTS.items():
            window = latencies[start - 1:start - 1 + WINDOW]
            checkpoints[str(label)] = {"turns": f"{start}-{start + len(window) - 1}",
                                       "median_ms": round(statistics.median(window), 1),
                                       "diagnostics": diagnostics.get(str(start))}
        first, last = checkpoints["1"]["median_ms"], checkpoints["200"]["median_ms"]
        return {"tracker_store": bot.store_type, "turns": len(script), "first_message_ms": round(latencies[0], 1),
                "checkpoints": checkpoints, "ratio_200_to_1": ratio(last, first),
                "end": diagnostics.get(str(len(script) + 1)), "latencies_ms": [round(x, 1) for x in latencies]}

    def stop_servers(self):
        self.memory.sample()
        memory = {}
        for name, bot in self.bots.items():
            memory[name] = {"rasa_peak_mb": self.memory.peak_mb(f"{name}:rasa"),
                            "actions_peak_mb": self.memory.peak_mb(f"{name}:actions")}
            bot.stop()
        self.results["memory"] = memory

    def cross_validation(self):
        config = self.tmp / "cv-config.yml"
        code, _ = self.children.run([RASA_BIN / "python", "-m", "benchmarks.understanding", "cv-config", config,
                                     self.args.cv_epochs], self.tmp / "cv-config.log", timeout=120)
        if code != 0:
            raise RuntimeError("could not write the cross-validation config")
        out = self.tmp / "cv"
        log = self.tmp / "cv.log"
        process = self.children.popen(
            [RASA_BIN / "rasa", "test", "nlu", "--nlu", ROOT / "data", "--config", config, "--cross-validation",
             "--folds", CV_FOLDS, "--out", out, "--no-plot"], log,
            env=bench_env(RASA_CACHE_DIRECTORY=str(self.tmp / "cv-cache")))
        started = time.monotonic()
        try:
            while process.poll() is None:
                if time.monotonic() - started > self.args.cv_timeout:
                    raise RuntimeError(f"cross-validation took longer than {self.args.cv_timeout}s")
                text = log.read_text(errors="replace") if log.exists() else ""
                folds_done = text.count("Running model for predictions") // 2
                self.progress.step("folds evaluated", min(folds_done, CV_FOLDS), CV_FOLDS)
                time.sleep(2)
        finally:
            self.children.stop(process)
        if process.returncode != 0:
            raise RuntimeError(f"rasa test nlu failed (exit {process.returncode}); see {log}")
        self.progress.step("folds evaluated", CV_FOLDS, CV_FOLDS)
        self.results["cross_validation"] = parse_cross_validation(log.read_text(errors="replace"), out,
                                                                  self.args.cv_epochs, time.monotonic() - started)

    def training(self):
        out = self.tmp / "train"
        log = self.tmp / "train.log"
        process = self.children.popen(
            [RASA_BIN / "rasa", "train", "--config", ROOT / "config.yml", "--domain", ROOT / "domain.yml",
             "--data", ROOT / "data", "--out", out, "--fixed-model-name", "unknot-bench", "--force"], log,
            env=bench_env(RASA_CACHE_DIRECTORY=str(self.tmp / "train-cache")))
        started = time.monotonic()
        components = len(re.findall(r"^\s+- name:", (ROOT / "config.yml").read_text(), re.M))
        try:
            while process.poll() is None:
                if time.monotonic() - started > self.args.train_timeout:
                    raise RuntimeError(f"training took longer than {self.args.train_timeout}s")
                text = log.read_text(errors="replace") if log.exists() else ""
                self.progress.step("components trained", text.count("Finished training component"), components)
                time.sleep(2)
        finally:
            self.children.stop(process)
        seconds = time.monotonic() - started
        model = out / "unknot-bench.tar.gz"
        if process.returncode != 0 or not model.exists():
            raise RuntimeError(f"rasa train failed (exit {process.returncode}); see {log}")
        self.progress.step("components trained", components, components)
        self.results["training"] = {"seconds": round(seconds, 1), "model_size_mb": round(model.stat().st_size / 1e6, 1),
                                    "note": "rasa train --force with an empty cache (.rasa/cache not reused)"}

    def write_report(self):
        self.results["environment"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.results["total_seconds"] = round(self.progress.total_seconds(), 1)
        self.results["targets"] = report.targets(self.results)
        RESULTS.mkdir(parents=True, exist_ok=True)
        plots = report.plots(self.results, RESULTS)
        self.results["plots"] = plots
        (RESULTS / "latest.json").write_text(json.dumps(self.results, indent=1) + "\n")
        (RESULTS / "latest.md").write_text(report.markdown(self.results))

    # ------------------------------------------------------------------ driver
    def run(self) -> int:
        self.tmp.mkdir(parents=True, exist_ok=True)
        interrupted = False
        try:
            for name, phase in self.phases:
                self.progress.phase(name)
                try:
                    phase()
                except KeyboardInterrupt:
                    raise
                except Exception as error:  # one failed phase must not lose the others
                    message = f"{name}: {error}"
                    self.results["errors"].append(message.splitlines()[0][:300])
                    self.progress.note(f"FAILED: {message[:2000]}")
                    if os.environ.get("BENCH_DEBUG"):
                        traceback.print_exc()
        except KeyboardInterrupt:
            interrupted = True
            print("\nInterrupted: stopping everything the benchmark started...", flush=True)
        finally:
            serving.STOP.set()  # load threads stop sending
            self.children.stop_all()
            self.memory.close()
            if not self.args.keep_tmp:
                shutil.rmtree(self.tmp, ignore_errors=True)
                try:
                    self.tmp.parent.rmdir()
                except OSError:
                    pass
        if interrupted:
            return 130
        total = self.progress.total_seconds()
        print(f"Done in {int(total // 60)} min {int(total % 60)} s: {RESULTS / 'latest.md'}", flush=True)
        failed = [t for t in self.results.get("targets", []) if t["pass"] is False]
        for target in failed:
            print(f"  over target: {target['name']}: {target['measured']} ({target['target']})", flush=True)
        if self.results["errors"]:
            print("Errors:\n  " + "\n  ".join(self.results["errors"]), flush=True)
            return 1
        return 0


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def read_commit():
    """The checked-out commit, read from .git without running git."""
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head[:12]
        ref = head.split(" ", 1)[1]
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except OSError:
        pass
    return None


def parse_cross_validation(log: str, out: Path, epochs: int, seconds: float) -> dict:
    """Means and standard deviations over the folds, from Rasa's log, plus the most
    confused intent pairs of the test folds (intent_report.json)."""
    result = {"folds": CV_FOLDS, "diet_epochs": epochs, "seconds": round(seconds, 1), "intent": {}, "entities": {}}
    section, extractor = None, None
    for line in log.splitlines():
        if "Intent evaluation results" in line:
            section = "intent"
        elif "Entity evaluation results" in line:
            section = "entities"
        elif "Response Selection evaluation results" in line:
            section = None
        match = re.search(r"Entity extractor: (\S+)", line)
        if match:
            extractor = match.group(1)
        match = re.search(r" (train|test) (Accuracy|F1-score|Precision): ([\d.]+) \(([\d.]+)\)", line)
        if match and section:
            dataset, metric, mean, std = match.groups()
            target = result["intent"] if section == "intent" else result["entities"].setdefault(extractor, {})
            # setdefault: Rasa logs further (response selection) figures after the entities without a header
            target.setdefault(dataset, {}).setdefault(metric.lower(), {"mean": float(mean), "std": float(std)})
    report_file = out / "intent_report.json"
    if report_file.exists():
        data = json.loads(report_file.read_text())
        pairs = {}
        for intent, values in data.items():
            if not isinstance(values, dict):
                continue
            for other, count in (values.get("confused_with") or {}).items():
                key = " / ".join(sorted((intent, other)))
                pairs[key] = pairs.get(key, 0) + count
        result["worst_intent_pairs"] = dict(sorted(pairs.items(), key=lambda kv: -kv[1])[:8])
        result["weakest_intents"] = {
            intent: round(values["f1-score"], 3) for intent, values in
            sorted(((i, v) for i, v in data.items() if isinstance(v, dict) and "support" in v
                    and i not in ("micro avg", "macro avg", "weighted avg")), key=lambda kv: kv[1]["f1-score"])[:5]}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the cross-validation and the timed training")
    parser.add_argument("--conversations", type=int, default=32,
                        help="conversations per concurrency level (6 messages each; default 32)")
    parser.add_argument("--cv-epochs", type=int, default=20, help="DIET epochs in the cross-validation (default 20)")
    parser.add_argument("--cv-timeout", type=int, default=900)
    parser.add_argument("--train-timeout", type=int, default=900)
    parser.add_argument("--keep-tmp", action="store_true", help="keep benchmarks/results/tmp/ (logs, temp models)")
    parser.add_argument("--cluster", action="store_true",
                        help="also measure the scale-out topology: 1 vs 2 Rasa servers behind HAProxy, "
                             "8/32/64 conversations (needs HAProxy, PostgreSQL, Redis, RabbitMQ; ~8 min)")
    args = parser.parse_args()
    for variable in ("RASA_TELEMETRY_ENABLED",):
        os.environ[variable] = "false"
    os.environ["PYTHONPATH"] = str(ROOT)
    os.environ.pop("RASA_API_TOKEN", None)  # the HTTP API stays off in both servers

    def on_sigterm(_signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C must work even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
