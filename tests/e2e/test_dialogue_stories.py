"""Runs the Rasa test stories (tests/test_*.yml) against the real action server."""
from __future__ import annotations

import subprocess

import pytest

from .conftest import ROOT, runner

STORY_FILES = sorted(ROOT.glob("tests/test_*.yml"))


@pytest.mark.parametrize("stories", STORY_FILES, ids=[p.name for p in STORY_FILES])
def test_stories_pass(servers, stories, tmp_path):
    result = subprocess.run(
        [str(runner.RASA_BIN / "rasa"), "test", "core", "--stories", str(stories), "--model", str(runner.MODEL),
         "--endpoints", str(servers.endpoints), "--out", str(tmp_path), "--fail-on-prediction-errors", "--quiet"],
        cwd=ROOT, env=servers.env, capture_output=True, text=True, timeout=600)
    failed = (tmp_path / "failed_test_stories.yml")
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + report
    assert "None of the test stories failed" in report, report
