"""`make chat`'s terminal client in a pseudo-terminal (pexpect), against the real servers."""
from __future__ import annotations

import re
import uuid

import pexpect
import pytest

from .conftest import ROOT, runner

PROMPT = "you>"


@pytest.fixture
def terminal(servers):
    child = pexpect.spawn(str(runner.ACTIONS_BIN / "python"), ["-m", "clients.terminal", "--url",
                          f"http://127.0.0.1:{servers.rasa_port}", "--user-id", f"u_{uuid.uuid4().hex}"],
                          cwd=str(ROOT), env={**servers.env, "PYTHONWARNINGS": "ignore", "TERM": "xterm"},
                          encoding="utf-8", timeout=60, dimensions=(50, 140))
    child.expect(PROMPT)
    yield child
    if child.isalive():
        child.sendline("/stop")
        child.expect(pexpect.EOF)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def say(child, text: str) -> str:
    """Types a line and returns what the assistant printed before the next prompt."""
    child.sendline(text)
    if not text:
        child.expect(PROMPT)
        return ANSI.sub("", child.before)
    child.expect("╭")  # every reply prints at least one panel
    child.expect(PROMPT)
    return ANSI.sub("", "╭" + child.before)


def test_a_whole_routine_by_numbers(terminal):
    screen = say(terminal, "my quads are sore after a long bike ride, I have a foam roller")
    assert "1) Start it" in screen and "2) Show alternatives" in screen
    screen = say(terminal, "1")
    assert "How sore" in screen or "how sore" in screen
    screen = say(terminal, "7")  # on the 0-10 scale a number is the rating itself
    assert "Routine" in screen and "Step 1 of" in screen
    total = int(re.search(r"Step 1 of (\d+)", screen).group(1))
    for _ in range(total):
        screen = say(terminal, "1")  # Done, next
    assert "Routine finished" in screen
    screen = say(terminal, "skip")


def test_no_typed_at_the_safety_screen_is_a_no(terminal):
    screen = say(terminal, "my lower back is stiff after deadlifts")
    assert "1) Yes" in screen and "2) No" in screen
    screen = say(terminal, "")  # Enter alone picks nothing
    assert "Yes" not in screen and "EMERGENCY" not in screen
    screen = say(terminal, "no")
    assert "reassuring" in screen and "EMERGENCY" not in screen and "CALL 999" not in screen


def test_a_red_flag_shows_the_emergency_numbers_first(terminal):
    screen = say(terminal, "crushing pain in my chest going down my left arm")
    assert "CALL 999 (UK) / 112 (EU) / 911 (US) NOW" in screen
    assert screen.index("CALL 999") < screen.index("EMERGENCY")


def test_stop_leaves_cleanly(terminal):
    terminal.sendline("/stop")
    terminal.expect("Bye")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0

