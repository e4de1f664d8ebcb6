"""The bench's profile summary: stages and top frames from py-spy's folded stacks."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from benchmarks import profile

FOLDED = """\
<module> (rasa/__main__.py:1);handle (sanic/app.py:10);receive (channels/guarded.py:50);parse (rasa/nlu/x.py:1);process (safety/detector.py:20);run (safety/encoder.py:99) 30
<module> (rasa/__main__.py:1);handle (sanic/app.py:10);run (rasa/core/actions/action.py:700);validate (jsonschema/validators.py:1080) 10
<module> (rasa/__main__.py:1);handle (sanic/app.py:10);predict (rasa/core/policies/ted_policy.py:1);call (tensorflow/python/eager/x.py:1) 50
<module> (rasa/__main__.py:1);run_forever (asyncio/base_events.py:600) 10
"""


def test_each_sample_counts_for_its_innermost_stage(tmp_path):
    path = tmp_path / "rasa.folded"
    path.write_text(FOLDED)
    summary = profile.summarise(path, profile.RASA_STAGES)
    stages = {s["stage"]: s["share"] for s in summary["stages"]}
    assert summary["samples"] == 90  # the event loop waiting for work is idle, not busy
    assert stages["safety detector (spaCy rules, ConText, ONNX encoder)"] == round(30 / 90, 4)
    assert stages["action response validation (jsonschema)"] == round(10 / 90, 4)
    # TED's TensorFlow call is the policies' time, not DIET's: the innermost matching frame decides.
    assert stages["policies: featurise history and predict"] == round(50 / 90, 4)
    assert "NLU: DIET classifier (TensorFlow)" not in stages
    assert "event loop and other" not in stages
    assert summary["top_own"][0] == {"frame": "call (python/eager/x.py)", "share": round(50 / 90, 4)}


def test_the_action_servers_launcher_is_not_its_json_time(tmp_path):
    root = "<module> (rasa_sdk/__main__.py:41);main (rasa_sdk/__main__.py:37);serve (sanic/server/runners.py:155)"
    path = tmp_path / "actions.folded"
    path.write_text(f"{root} 900\n"
                    f"{root};http1 (sanic/http.py:146);send (sanic/response.py:142) 20\n"
                    f"{root};webhook (rasa_sdk/endpoint.py:113);loads (json/__init__.py:346) 30\n"
                    f"{root};webhook (rasa_sdk/endpoint.py:113);run (actions/base.py:157) 50\n")
    summary = profile.summarise(path, profile.ACTION_STAGES)
    stages = {s["stage"]: s["share"] for s in summary["stages"]}
    assert summary["samples"] == 100
    assert stages == {"actions: Unknot logic (actions/, knowledge/)": 0.5,
                      "actions: rasa_sdk tracker parsing and JSON": 0.3,
                      "actions: Sanic, HTTP and event loop": 0.2}


def test_a_missing_or_empty_recording_is_reported_as_no_samples(tmp_path):
    assert profile.summarise(tmp_path / "none.folded", profile.RASA_STAGES) == {"samples": 0}


@pytest.mark.skipif(sys.platform != "linux", reason="py-spy attaches with ptrace")
def test_py_spy_records_a_live_process(tmp_path):
    busy = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: sum(range(10000))"])
    try:
        time.sleep(0.5)
        with profile.record({"busy": busy.pid}, tmp_path, "t") as files:
            time.sleep(2)
    finally:
        busy.kill()
    summary = profile.summarise(files["busy"], profile.ACTION_STAGES)
    assert summary["samples"] > 50, (tmp_path / "t-busy.log").read_text()
