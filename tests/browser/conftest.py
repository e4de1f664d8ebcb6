"""Browser tests of the web chat page (web/, served by channels/webchat.py).

Playwright for Python drives Debian's Chromium (`apt-get install chromium`; never
`playwright install`, which downloads a browser) against the real action server and
Rasa server, started by tests/e2e/conftest.py's Servers on free ports with a fresh
SQLite database.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import runner, running_servers

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
SOCKET_IO_CLIENT = runner.ROOT / "web" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# The closed network makes Chromium's background services hang: switch them off.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]
DESKTOP = {"width": 1280, "height": 860}
REPLY_TIMEOUT_MS = 30_000
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str:
    path = os.environ.get("UNKNOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not Path(path).exists():
        pytest.fail("Chromium not found: `apt-get install -y chromium` (or set UNKNOT_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not SOCKET_IO_CLIENT.exists():
        pytest.fail("the socket.io client is not installed: run `npm ci` in web/")
    with running_servers(tmp_path_factory.mktemp("webchat-servers")) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Replies come from the real model and action server: give a busy 2-core machine time.
    expect.set_options(timeout=REPLY_TIMEOUT_MS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ChatPage:
    """One browser context (own localStorage) on the web chat page."""

    def __init__(self, browser, servers, viewport):
        self.servers = servers
        self.origin = f"http://127.0.0.1:{servers.rasa_port}"
        self.url = f"{self.origin}/webchat/"
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.context.set_default_timeout(REPLY_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.on("console", self._console)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))

    def _console(self, message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def open(self, wait_online: bool = True):
        self.page.goto(self.url)
        if wait_online:
            self.wait_online()
        return self

    def wait_online(self, timeout: float = REPLY_TIMEOUT_MS):
        self.page.wait_for_selector("#connection[data-state=online]", timeout=timeout)

    def say(self, text: str):
        box = self.page.get_by_label("Message to Unknot")
        box.fill(text)
        box.press("Enter")

    def active_choices(self):
        return self.page.locator(".choices-item:not(.answered)")

    def choose(self, title: str):
        self.active_choices().get_by_role("button", name=title, exact=True).click()

    def current_step(self):
        return self.page.locator(".step-card:not(.past)")

    def session_id(self) -> str:
        return self.page.evaluate("localStorage.getItem('unknot.session')")

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def foreign_requests(self) -> list[str]:
        ws_origin = self.origin.replace("http://", "ws://")
        return [url for url in self.requests
                if not (url.startswith(self.origin + "/") or url.startswith(ws_origin + "/") or url.startswith("data:"))]

    def close(self):
        self.context.close()


@pytest.fixture
def chat(browser, servers):
    pages: list[ChatPage] = []

    def make(viewport=DESKTOP) -> ChatPage:
        page = ChatPage(browser, servers, viewport)
        pages.append(page)
        return page

    yield make
    try:
        for page in pages:
            assert not page.problems, page.problems
            assert not page.foreign_requests(), f"requests that leave the server: {page.foreign_requests()}"
    finally:
        for page in pages:
            page.close()
