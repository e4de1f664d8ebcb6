"""Starts the real action server and Rasa server on free ports, with a fresh SQLite
tracker store and knowledge base, for tests that drive whole conversations."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import run as runner  # noqa: E402  (scripts/run.py: the same start-up code as make serve)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Servers:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.action_port = free_port()
        self.rasa_port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(ROOT),
                    "DATABASE_URL": f"sqlite:///{workdir / 'unknot.db'}", "RASA_TELEMETRY_ENABLED": "false"}
        self.endpoints = runner.write_endpoints(workdir / "endpoints.yml", self.action_port, self.env)
        self.actions = self.rasa = None

    def start_actions(self):
        subprocess.run([str(runner.ACTIONS_BIN / "python"), "-m", "knowledge", "load"], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)
        log = self.workdir / "actions.log"
        self.actions = subprocess.Popen(
            runner.action_server_command(self.action_port), cwd=ROOT, env=runner.action_server_env(self.env),
            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        runner.wait_for(f"http://127.0.0.1:{self.action_port}/health", self.actions, 90, log)

    def start_rasa(self):
        log = self.workdir / f"rasa-{uuid.uuid4().hex[:6]}.log"
        command = runner.rasa_server_command(self.rasa_port, self.endpoints, f"http://127.0.0.1:{self.rasa_port}")
        self.rasa = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        runner.wait_for(f"http://127.0.0.1:{self.rasa_port}/", self.rasa, 240, log)

    def stop_rasa(self):
        runner.stop(self.rasa)

    def stop_actions(self):
        runner.stop(self.actions)

    def stop(self):
        runner.stop(self.rasa, self.actions)

    def send(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        body = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        data = json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


@contextmanager
def running_servers(workdir: Path):
    """Both servers started for the block and stopped after it, whatever happens."""
    if not runner.MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    servers = Servers(workdir)
    try:
        servers.start_actions()
        servers.start_rasa()
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    with running_servers(tmp_path_factory.mktemp("servers")) as running:
        yield running
