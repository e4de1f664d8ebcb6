"""The web chat page, driven in Chromium against the real servers.

Screenshots of the main states go to tests/browser/screenshots/ (git-ignored).
"""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import PHONE

SORE_QUADS = "my quads are sore after cycling and I have a foam roller"
CHEST = "my chest feels crushed and the pain is going down my left arm"

# Text contrast of every visible text element (WCAG 2: 4.5:1, 3:1 for large text);
# disabled controls are exempt.
CONTRAST_CHECK = """() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const background = (el) => { let layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let color = [255, 255, 255, 1]; for (let i = layers.length - 1; i >= 0; i--) color = blend(layers[i], color); return color; };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest('.visually-hidden, [hidden], noscript, option') || el.closest('button:disabled')) continue;
    const rect = el.getBoundingClientRect(); if (!rect.width || !rect.height) continue;
    const style = getComputedStyle(el); if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = blend(parse(style.color), background(el)); const bg = background(el);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a); const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize); const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}"""


def start_routine(chat, before: str = "6"):
    """Free text, the "Start it" button, then the pain before (0-10): the routine card and
    step 1 appear."""
    chat.say(SORE_QUADS)
    start = chat.active_choices().get_by_role("button", name="Start it", exact=True)
    expect(start).to_be_visible()
    start.click()
    rating = chat.active_choices().get_by_role("button", name=before, exact=True)
    expect(rating).to_be_visible()
    rating.click()
    card = chat.page.locator(".routine-card").last
    expect(card).to_be_visible()
    expect(chat.current_step()).to_have_attribute("data-index", "1")
    return card


WATCH_TYPING = """() => { window.typingSeen = 0; const t = document.getElementById('typing');
  new MutationObserver(() => { if (!t.hidden) window.typingSeen += 1; }).observe(t, {attributes: true}); }"""


def test_a_full_routine_by_buttons(chat):
    page = chat().open()
    expect(page.page.locator("#connection")).to_contain_text("Connected")
    page.screenshot("01-empty-desktop")
    page.page.evaluate(WATCH_TYPING)
    card = start_routine(page)
    assert page.page.evaluate("window.typingSeen") >= 2  # shown after each message until the reply
    expect(page.page.locator(".bubble.user").first).to_have_text(re.compile(re.escape(SORE_QUADS)))
    # the answered question keeps only the chosen button, disabled
    answered = page.page.locator(".choices-item.answered").first
    expect(answered.get_by_role("button", name=re.compile("Start it"))).to_be_disabled()
    expect(card.locator(".card-title")).not_to_be_empty()
    expect(card).to_contain_text("Quads")
    expect(card).to_contain_text("Foam roller")
    total = int(card.locator(".fact", has_text="Steps").locator("dd").inner_text())
    assert total >= 2
    expect(card.locator(".routine-progress-label")).to_have_text(f"Step 1 of {total}")
    # the step's buttons come after its timer card
    assert page.page.evaluate(
        "document.querySelector('.step-card:not(.past)').closest('li').nextElementSibling"
        ".classList.contains('choices-item')")
    page.screenshot("02-routine-started-desktop")

    for index in range(2, total + 1):
        page.choose("Done, next")
        expect(page.current_step()).to_have_attribute("data-index", str(index))
        expect(card.locator(".routine-progress-label")).to_have_text(f"Step {index} of {total}")
        assert page.page.locator(".step-card:not(.past)").count() == 1
    page.choose("Done, next")
    done = page.page.locator(".done-card")
    expect(done).to_be_visible()
    expect(done).to_contain_text("Nice work")
    expect(card.locator(".routine-progress-label")).to_have_text(f"Finished: all {total} steps done")
    expect(page.page.locator(".step-card:not(.past)")).to_have_count(0)
    expect(page.page.locator("#typing")).to_be_hidden()
    page.screenshot("03-routine-finished-desktop")
    assert page.page.evaluate(CONTRAST_CHECK) == []


def test_the_step_timer_counts_down_pauses_and_cues_the_end(chat):
    page = chat(PHONE)
    page.context.clock.install()
    page.open()
    start_routine(page)
    step = page.current_step()
    seconds_left = lambda: _seconds(step.locator(".timer-value").inner_text())  # noqa: E731
    full = seconds_left()
    assert full > 3
    step.get_by_role("button", name=re.compile("^Start the")).click()
    expect(step).to_have_attribute("data-timer", "running")
    time.sleep(2.2)
    running = seconds_left()
    assert running < full, (running, full)
    page.screenshot("04-timer-running-phone")

    step.get_by_role("button", name=re.compile("^Pause")).click()
    expect(step).to_have_attribute("data-timer", "paused")
    paused = seconds_left()
    time.sleep(1.5)
    assert seconds_left() == paused
    step.get_by_role("button", name=re.compile("^Resume")).click()

    page.context.clock.fast_forward(full * 1000)
    expect(step).to_have_attribute("data-timer", "done")
    expect(step.locator(".timer-value")).to_have_text("0:00")
    expect(step.locator(".timer-message")).to_contain_text("Time's up")
    assert page.page.evaluate("window.Unknot.beeps()") == 1
    # Jumping the page's clock past socket.io's ping timeout makes it reconnect: wait for
    # that, and for the "Back online" note to go, before the picture.
    page.wait_online()
    page.context.clock.fast_forward(9_000)
    expect(page.page.locator("#connection")).to_have_text("Connected")
    page.screenshot("05-timer-done-phone")
    assert page.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_emergency_message_shows_the_emergency_banner(chat):
    page = chat(PHONE).open()
    page.say(CHEST)
    banner = page.page.locator(".triage-emergency_now")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    call = banner.locator(".triage-call")
    expect(call).to_have_text("Call 999 / 112 / 911 now")
    # the numbers come first in the banner, large, and are phone links
    assert banner.evaluate("b => b.firstElementChild.classList.contains('triage-call')")
    assert float(call.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    expect(call.get_by_role("link", name="999")).to_have_attribute("href", "tel:999")
    expect(banner.locator(".triage-advice")).not_to_be_empty()
    expect(banner).to_be_in_viewport()
    assert page.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot("06-emergency-phone")
    assert page.page.evaluate(CONTRAST_CHECK) == []


def test_a_reload_keeps_the_conversation(chat):
    page = chat().open()
    session = page.session_id()
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    start_routine(page)
    page.choose("Done, next")
    expect(page.current_step()).to_have_attribute("data-index", "2")
    bubbles = page.page.locator(".bubble").count()

    page.page.reload()
    page.wait_online()
    assert page.session_id() == session
    expect(page.page.locator(".bubble.user").first).to_contain_text(SORE_QUADS)
    assert page.page.locator(".bubble").count() == bubbles
    expect(page.page.locator(".routine-card")).to_contain_text("Step 2 of")
    expect(page.current_step()).to_have_attribute("data-index", "2")
    page.screenshot("07-after-reload-desktop")
    # the restored buttons still work: the server kept the tracker for this session
    page.choose("Done, next")
    expect(page.current_step()).to_have_attribute("data-index", "3")

    # "New conversation" starts over with a new id
    page.page.get_by_role("button", name="New conversation").click()
    page.wait_online()
    assert page.session_id() != session
    expect(page.page.locator(".bubble")).to_have_count(1)


def test_keyboard_only(chat):
    page = chat().open()
    keyboard = page.page.keyboard
    keyboard.press("Tab")
    expect(page.page.locator(".skip-link")).to_be_focused()
    keyboard.press("Enter")
    box = page.page.get_by_label("Message to Unknot")
    expect(box).to_be_focused()
    keyboard.type(SORE_QUADS)
    keyboard.press("Enter")
    expect(page.active_choices().get_by_role("button")).not_to_have_count(0)
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    # back from the message box to the last choice, then the one before it
    buttons = page.active_choices().get_by_role("button")
    count = buttons.count()
    for _ in range(count):
        keyboard.press("Shift+Tab")
    expect(buttons.first).to_be_focused()
    assert buttons.first.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    page.screenshot("08-keyboard-focus-desktop")
    keyboard.press("Enter")
    # the pain rating before the routine, typed
    expect(page.active_choices().get_by_role("button", name="6", exact=True)).to_be_visible()
    expect(box).to_be_focused()
    keyboard.type("6")
    keyboard.press("Enter")
    expect(page.current_step()).to_have_attribute("data-index", "1")
    expect(box).to_be_focused()
    # screen-reader hooks
    log = page.page.locator("#log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.page.locator("#connection")).to_have_attribute("role", "status")


def test_an_unreachable_server_is_said_plainly_and_the_page_reconnects(chat, servers):
    page = chat().open()
    start_routine(page)
    servers.stop_rasa()
    try:
        status = page.page.locator("#connection")
        expect(status).to_have_text("Can't reach Unknot right now, retrying…", timeout=20_000)
        expect(page.page.get_by_role("button", name="Send")).to_be_disabled()
        expect(page.active_choices().get_by_role("button", name="Done, next", exact=True)).to_be_disabled()
        page.screenshot("09-offline-desktop")
    finally:
        servers.start_rasa()
    page.wait_online(timeout=60_000)
    expect(page.page.locator("#connection")).to_contain_text("Back online")
    expect(page.page.get_by_role("button", name="Send")).to_be_enabled()
    page.screenshot("10-reconnected-desktop")
    page.choose("Done, next")
    expect(page.current_step()).to_have_attribute("data-index", "2")


def _seconds(clock: str) -> int:
    minutes, seconds = clock.strip().split(":")
    return int(minutes) * 60 + int(seconds)


def test_only_the_page_files_are_served_with_a_strict_policy(servers):
    base = f"http://127.0.0.1:{servers.rasa_port}/webchat/"

    def get(path):
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, b""

    status, headers, body = get("")
    assert status == 200 and b'id="log"' in body
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in body and b"style=" not in body and b"http" not in body.replace(b"http-equiv", b"")
    status, headers, body = get("vendor/socket.io.min.js")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript") and b"Socket.IO v4" in body
    for path in ["app.js", "style.css", "icon.svg"]:
        assert get(path)[0] == 200, path
    for path in ["package.json", "package-lock.json", "node_modules/socket.io-client/package.json",
                 "../credentials.yml", "..%2fcredentials.yml", ".npmrc"]:
        assert get(path)[0] == 404, path


def test_progress_view_with_a_chart_and_a_text_alternative(chat):
    page = chat(PHONE).open()
    card = start_routine(page, before="7")
    total = int(card.locator(".fact", has_text="Steps").locator("dd").inner_text())
    for _ in range(total):
        page.choose("Done, next")
    after = page.active_choices().get_by_role("button", name="3", exact=True)
    expect(after).to_be_visible()
    after.click()
    expect(page.page.locator(".bubble.bot").last).to_contain_text("Would you like a routine for another area?")
    page.page.locator("#show-progress").click()
    progress = page.page.locator(".progress-card").last
    expect(progress).to_be_visible()
    expect(progress.locator("svg.progress-chart circle")).to_have_count(2)
    rows = progress.locator(".progress-table tr")
    expect(rows).to_have_count(2)  # the header and one session
    expect(rows.nth(1)).to_contain_text("7")
    expect(rows.nth(1)).to_contain_text("3")
    width = page.page.evaluate("document.querySelector('.progress-card').getBoundingClientRect().width")
    assert width <= 360
    page.screenshot("08-progress-phone")
    assert page.page.evaluate(CONTRAST_CHECK) == []
