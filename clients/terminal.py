"""Unknot in the terminal: a client of the same REST channel the web page's server offers,
so the same "never silent" guard and the same safety layer apply.

    python -m clients.terminal --url http://127.0.0.1:5005 [--hands-free]

What it shows: referral warnings as coloured panels with the emergency numbers first;
routine and step cards; a countdown with a progress bar for timed steps (press Enter at a
timed step to start it); choices as a numbered list where typing the number, the title or
free text all work, with no default (Enter alone never picks an answer). History with the
arrow keys (prompt_toolkit). /stop or Ctrl-C leaves; /handsfree moves on to the next step
when a countdown ends; /help lists the commands.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
LEVEL_STYLE = {
    "emergency_now": ("bold white on red", "red", "EMERGENCY"),
    "urgent_24h": ("bold black on dark_orange", "dark_orange", "SEE A DOCTOR TODAY"),
    "soon": ("bold black on yellow", "yellow", "BOOK AN APPOINTMENT"),
}
COMMANDS = "/stop  leave    /handsfree  toggle moving on when a timer ends    /help  this list"


@dataclass
class Screen:
    """What the last reply asked: its choices and the step shown, if any."""

    choices: list[dict] = field(default_factory=list)
    step: Optional[dict] = None
    hands_free: bool = False
    base_url: str = ""


def load_user_id(path: Path = STATE / "terminal_user") -> str:
    """A stable id of this terminal's user (an emergency warning holds for the same user)."""
    try:
        user = path.read_text(encoding="utf-8").strip()
        if user.startswith("u_") and 18 <= len(user) <= 64:
            return user
    except OSError:
        pass
    user = "u_" + secrets.token_hex(16)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(user, encoding="utf-8")
        path.chmod(0o600)
    except OSError:
        pass
    return user


class Client:
    def __init__(self, url: str, console: Console, sender: Optional[str] = None, user_id: Optional[str] = None,
                 timeout: float = 60):
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"
        self.console = console
        self.sender = sender or f"terminal-{secrets.token_hex(16)}"
        self.user_id = user_id or load_user_id()
        self.timeout = timeout

    def send(self, text: str) -> list[dict]:
        body = json.dumps({"sender": self.sender, "message": text, "metadata": {"user_id": self.user_id}}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"[]")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return [{"text": "I can't reach Unknot right now (" + type(exc).__name__ + "). Please try again in a "
                             "moment. If you have a worrying symptom, don't wait: call 999 (UK), 112 (EU), 911 (US) "
                             "or your local emergency number."}]


# --------------------------------------------------------------------------- rendering
def render(console: Console, messages: list[dict], screen: Screen) -> None:
    """Prints one reply: warnings first (they matter most), then the messages in order."""
    screen.choices, screen.step = [], None
    for message in sorted(messages, key=lambda m: 0 if _custom(m).get("type") == "triage" else 1):
        custom = _custom(message)
        if custom:
            render_custom(console, custom, screen)
        if message.get("text"):
            console.print(Panel(_rich_text(message["text"]), border_style="cyan", title="Unknot", title_align="left",
                                padding=(0, 1)))
        if message.get("buttons"):
            screen.choices = [b for b in message["buttons"] if isinstance(b, dict) and b.get("title")]
    if screen.choices:
        line = Text("  ")
        if _scale(screen.choices):
            # A 0-10 scale: the numbers are the answers themselves; the rest by name.
            for choice in screen.choices:
                title = str(choice["title"])
                line.append(title + "  ", style="bold cyan" if title.isdigit() else None)
            console.print(line)
            console.print(Text("  Type a number from 0 to 10, or one of the words.", style="dim"))
        else:
            for number, choice in enumerate(screen.choices, start=1):
                line.append(f"{number}) ", style="bold cyan").append(str(choice["title"])).append("   ")
            console.print(line)
            console.print(Text("  Type a number, the choice, or your own words.", style="dim"))


def render_custom(console: Console, custom: dict, screen: Screen) -> None:
    kind = custom.get("type")
    if kind == "triage":
        level = custom.get("level")
        banner, border, label = LEVEL_STYLE.get(level, ("bold", "white", str(level)))
        lines = []
        if level == "emergency_now":
            lines.append(Text(" CALL 999 (UK) / 112 (EU) / 911 (US) NOW ", style="bold white on red"))
        lines.append(Text(f" {label} ", style=banner))
        if custom.get("advice"):
            lines.append(Text(str(custom["advice"])))
        console.print(Panel(Group(*lines), border_style=border, title="Safety", title_align="left"))
    elif kind == "routine":
        console.print(Panel(Text.assemble((str(custom.get("title")), "bold"), "\n",
                                          f"{custom.get('region', '')} · {custom.get('equipment', '')} · "
                                          f"{custom.get('steps')} steps"),
                            border_style="green", title="Routine", title_align="left"))
    elif kind == "step":
        screen.step = custom
        seconds = custom.get("seconds")
        timer = f" · {seconds} s (press Enter to start the timer)" if seconds else ""
        console.print(Text(f"Step {custom.get('index')} of {custom.get('total')}{timer}", style="bold green"))
    elif kind == "routine_done":
        console.print(Panel(Text("Routine finished. Well done!", style="bold"), border_style="green"))
    elif kind == "progress":
        render_progress(console, custom.get("entries") or [])
    elif kind == "summary":
        lines = [Text("Summary for your clinician (open in a browser while Unknot is running):", style="bold")]
        for key, label in (("html", "page"), ("pdf", "PDF"), ("fhir", "FHIR")):
            if isinstance(custom.get(key), str):
                lines.append(Text(f"{label}: {screen.base_url}{custom[key]}"))
        console.print(Panel(Group(*lines), border_style="cyan", title="Summary", title_align="left"))
    elif kind == "erased":
        console.print(Panel(Text("Your data has been deleted.", style="bold"), border_style="cyan"))


def render_progress(console: Console, entries: list[dict]) -> None:
    """Before and after per session as bars (newest first): the same numbers as the web chart."""
    from rich.table import Table
    table = Table(title="Pain before → after (0-10)", title_justify="left", show_edge=False)
    for column in ("date", "area", "before", "after", ""):
        table.add_column(column)
    for e in entries:
        before, after = e.get("before"), e.get("after")
        bars = Text("█" * int(before or 0), style="red")
        if after is not None:
            bars.append(" → ").append("█" * int(after), style="green")
        table.add_row(str(e.get("date")), str(e.get("region", "")).replace("_", " "),
                      "–" if before is None else str(before), "–" if after is None else str(after), bars)
    console.print(table)


def _custom(message: dict) -> dict:
    custom = message.get("custom")
    return custom if isinstance(custom, dict) else {}


def _rich_text(text: str) -> Text:
    """**bold** as bold, everything else as plain text (no markup from the server is run)."""
    out = Text()
    for i, part in enumerate(str(text).split("**")):
        out.append(part, style="bold" if i % 2 else None)
    return out


def countdown(console: Console, seconds: int) -> bool:
    """A progress bar for a timed step. True when it ran to the end (Ctrl-C stops it)."""
    try:
        with Progress(TextColumn("[bold green]Timer"), BarColumn(), TimeRemainingColumn(), console=console,
                      transient=False) as progress:
            task = progress.add_task("timer", total=seconds)
            started = time.monotonic()
            while not progress.finished:
                progress.update(task, completed=min(seconds, time.monotonic() - started))
                time.sleep(0.2)
        console.print(Text("Time's up!", style="bold green"))
        console.bell()
        return True
    except KeyboardInterrupt:
        console.print(Text("Timer stopped.", style="dim"))
        return False


# --------------------------------------------------------------------------- input
def _scale(choices: list[dict]) -> bool:
    return sum(str(c.get("title", "")).isdigit() for c in choices) >= 5


def resolve(typed: str, choices: list[dict]) -> str:
    """What to send for a line typed at a question: a choice's payload (by its title, or by
    its number in the list unless the choices are a 0-10 scale), otherwise the words."""
    text = typed.strip()
    if choices:
        lowered = text.lower()
        for choice in choices:
            if lowered == str(choice.get("title", "")).strip().lower():
                return str(choice.get("payload") or choice["title"])
        if text.isdigit() and not _scale(choices) and 1 <= int(text) <= len(choices):
            return str(choices[int(text) - 1].get("payload") or choices[int(text) - 1]["title"])
    return text


def run(client: Client, console: Console, hands_free: bool = False, session=None) -> int:
    screen = Screen(hands_free=hands_free, base_url=client.url.rsplit("/webhooks/", 1)[0])
    if session is None:
        # No cursor-position probing: some terminals (and pseudo-terminals) never answer it,
        # and prompt_toolkit would print a warning about that on screen.
        os.environ.setdefault("PROMPT_TOOLKIT_NO_CPR", "1")
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory
        session = PromptSession(history=InMemoryHistory())
    console.print(Panel(Text.assemble(("Unknot", "bold"), " — self-massage guidance after training\n",
                                      ("Not a medical service. In an emergency call 999 / 112 / 911.", "red"), "\n",
                                      (COMMANDS, "dim")), border_style="cyan"))
    render(console, client.send("hi"), screen)
    while True:
        try:
            typed = session.prompt("you> ")
        except (KeyboardInterrupt, EOFError):
            console.print("Bye! Take care.")
            return 0
        text = typed.strip()
        if text.lower() in ("/stop", "/quit", "/exit"):
            console.print("Bye! Take care.")
            return 0
        if text.lower() == "/help":
            console.print(Text(COMMANDS, style="dim"))
            continue
        if text.lower() == "/handsfree":
            screen.hands_free = not screen.hands_free
            console.print(Text(f"Hands-free {'on' if screen.hands_free else 'off'}.", style="dim"))
            continue
        if not text:
            # Enter alone never picks an answer; at a timed step it starts the timer.
            if screen.step and screen.step.get("seconds"):
                finished = countdown(console, int(screen.step["seconds"]))
                if finished and screen.hands_free:
                    render(console, client.send("/step_next"), screen)
            continue
        render(console, client.send(resolve(text, screen.choices)), screen)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--hands-free", action="store_true")
    parser.add_argument("--sender", help="continue this conversation id")
    parser.add_argument("--user-id", help="who you are across conversations (default: kept in .state/terminal_user)")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    client = Client(args.url, console, sender=args.sender, user_id=args.user_id)
    return run(client, console, hands_free=args.hands_free)


if __name__ == "__main__":
    sys.exit(main())
