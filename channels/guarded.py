"""REST and socket.io channels that never go silent and never let input skip safety.

- If a user message produces no bot message at all (the action server is down, or
  something failed on the way), the user gets a clear message instead of nothing, with
  the emergency numbers in case what they wrote was urgent.
- Rasa reads a message that starts with "/" as an intent and skips the NLU pipeline,
  including the red-flag detector. Only the payloads of our own buttons keep that meaning
  (an intent of the domain, with entities of the domain); any other "/..." text
  ("/restart", "/inform{...} my chest hurts") is read as ordinary words.
- A message longer than MAX_MESSAGE_CHARS, or a sender going faster than the rate limit,
  gets a clear reply instead of being processed.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import yaml

from sanic import Blueprint

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from knowledge.facts import emergency_numbers
from stores.rolling_sql import watch_store_failures

logger = logging.getLogger(__name__)

def silence_message() -> str:
    return ("Sorry, I'm having trouble answering right now. Please try again in a minute. "
            f"If you have a worrying symptom, don't wait for me: call {emergency_numbers()}.")


class _CountingOutput(OutputChannel):
    """Passes every message on, counts them, and notices an `erased` payload."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0
        self.erased = False

    @classmethod
    def name(cls) -> Text:
        return "counting"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "erased":
            self.erased = True
        await self.inner.send_response(recipient_id, message)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


class SocketIOCustomOutput(SocketIOOutput):
    """Rasa 3.6 emits custom payloads as keyword arguments of `emit`, which fails for
    ours (they have a `type` field). Send them as {"custom": {...}} instead, the same
    shape the REST channel uses."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, {"custom": json_message}, room=recipient_id)


DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
MAX_MESSAGE_CHARS = 5000
TURN_TIMEOUT = float(__import__("os").environ.get("UNKNOT_TURN_TIMEOUT", "45"))
# Messages per sender per this many seconds; UNKNOT_RATE_LIMIT="30/60" sets it, "off" turns it
# off (the benchmarks drive one conversation through hundreds of turns).
RATE_LIMIT = (30, 60.0)
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]{1,40})(?P<entities>\{.{0,500}\})?$", re.DOTALL)
TOO_LONG = (f"That message is too long for me (over {MAX_MESSAGE_CHARS:,} characters), so I haven't read it. "
            "Please tell me in a few sentences where you're sore or what's worrying you.")
TOO_FAST = "You're sending messages faster than I can answer. Please wait a few seconds and try again."


def store_failed_message() -> str:
    return ("I couldn't save that, please send it again in a moment. If you have a worrying symptom, "
            f"don't wait for me: call {emergency_numbers()}.")


@lru_cache(maxsize=1)
def _domain_names() -> tuple[frozenset, frozenset]:
    domain = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}
    entities = set()
    for entry in domain.get("entities") or []:
        entities.add(next(iter(entry)) if isinstance(entry, dict) else entry)
    return frozenset(domain.get("intents") or []), frozenset(entities)


def safe_text(text: Optional[str]) -> Optional[str]:
    """The message as Rasa should read it: a button payload of our own domain stays a
    payload; any other text starting with "/" loses the slash, so it goes through NLU and
    the red-flag detector like any message."""
    if not text or not text.startswith("/"):
        return text
    intents, entities = _domain_names()
    match = _PAYLOAD.match(text.strip())
    if match and match.group("intent") in intents:
        raw = match.group("entities")
        if not raw:
            return text.strip()
        try:
            values = json.loads(raw)
        except ValueError:
            values = None
        if isinstance(values, dict) and all(
                k in entities and isinstance(v, (str, int, float)) and len(str(v)) <= 80 for k, v in values.items()):
            return text.strip()
    return text.lstrip("/").strip()


class RateLimiter:
    """A sliding window of message times per sender, bounded in memory."""

    def __init__(self, limit: int, window: float, senders: int = 10_000):
        self.limit, self.window, self.senders = limit, window, senders
        self._seen: "OrderedDict[str, list[float]]" = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, sender: str, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = [t for t in self._seen.pop(sender, []) if now - t < self.window]
            allowed = len(times) < self.limit
            if allowed:
                times.append(now)
            self._seen[sender] = times
            while len(self._seen) > self.senders:
                self._seen.popitem(last=False)
            return allowed


def _limiter_from_env() -> Optional[RateLimiter]:
    import os
    setting = os.environ.get("UNKNOT_RATE_LIMIT", "")
    if setting.lower() in ("off", "0", "none"):
        return None
    try:
        count, seconds = setting.split("/")
        return RateLimiter(int(count), float(seconds))
    except ValueError:
        return RateLimiter(*RATE_LIMIT)


_LIMITER: Optional[RateLimiter] = None
_LIMITER_READY = False


def limiter() -> Optional[RateLimiter]:
    global _LIMITER, _LIMITER_READY
    if not _LIMITER_READY:
        _LIMITER, _LIMITER_READY = _limiter_from_env(), True
    return _LIMITER


def never_silent(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    async def guarded(message: UserMessage) -> None:
        if type(message.output_channel) is SocketIOOutput:
            inner = message.output_channel
            message.output_channel = SocketIOCustomOutput(inner.sio, inner.bot_message_evt)
        if message.text and len(message.text) > MAX_MESSAGE_CHARS:
            await message.output_channel.send_text_message(message.sender_id, TOO_LONG)
            return
        rate = limiter()
        if rate is not None and not rate.allow(str(message.sender_id)):
            await message.output_channel.send_text_message(message.sender_id, TOO_FAST)
            return
        message.text = safe_text(message.text)
        counting = _CountingOutput(message.output_channel)
        message.output_channel = counting
        store_failure = watch_store_failures()
        try:
            # Below Sanic's 60 s response timeout, which would cancel the turn and return an
            # empty reply: a hung action server gets the user a clear message instead.
            await asyncio.wait_for(on_new_message(message), timeout=TURN_TIMEOUT)
        except asyncio.TimeoutError:
            logger.error("a turn of %s took longer than %ss; answering that I'm having trouble",
                         message.sender_id, TURN_TIMEOUT)
            collected = getattr(counting.inner, "messages", None)
            if isinstance(collected, list):
                collected.clear()
            counting.sent = 0
        except Exception:  # noqa: BLE001
            logger.exception("handling a message failed")
        if store_failure:
            # Never a reply that pretends the turn was stored: drop what was collected (REST)
            # and say so. socket.io messages already left; the apology follows them.
            collected = getattr(counting.inner, "messages", None)
            if isinstance(collected, list):
                collected.clear()
            logger.warning("a turn of %s could not be stored; asking to send it again", message.sender_id)
            await counting.inner.send_text_message(message.sender_id, store_failed_message())
        elif counting.sent == 0:
            logger.warning("no reply for a message from %s; sending the apology", message.sender_id)
            await counting.inner.send_text_message(message.sender_id, silence_message())
        if counting.erased:
            await erase_conversation(str(message.sender_id))

    return guarded


_APP: Dict[str, Any] = {}


def remember_app(blueprint: Blueprint) -> None:
    """Keeps the Sanic app, to reach the agent's tracker store after a turn."""
    @blueprint.listener("after_server_start")
    async def remember(app, _loop) -> None:  # noqa: ANN001
        _APP["app"] = app
        from .speedups import install
        install()


async def erase_conversation(sender_id: str) -> None:
    """After "delete my data" was confirmed and that turn stored: every event of the
    conversation leaves the tracker store too (the action server erased the rest)."""
    app = _APP.get("app")
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # Rasa's FailSafeTrackerStore wrapper
    if store is not None and hasattr(store, "erase"):
        count = await store.erase(sender_id)
        logger.info("erased %d stored events of a conversation on request", count)
    else:
        logger.error("could not erase the conversation: the tracker store has no erase()")


class GuardedRestInput(RestInput):
    """The REST channel at /webhooks/rest/webhook, never silent."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(never_silent(on_new_message))
        remember_app(blueprint)
        return blueprint


class GuardedSocketIOInput(SocketIOInput):
    """The socket.io channel used by the web chat, never silent."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(never_silent(on_new_message))
        remember_app(socketio_webhook)
        sio = self.sio

        # Rasa 3.6 calls sio.enter_room() without await; with python-socketio >= 5.10 it is a
        # coroutine, so the client never joins its session's room and never gets a reply.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"])
            await sio.emit("session_confirm", data["session_id"], room=sid)

        return socketio_webhook
