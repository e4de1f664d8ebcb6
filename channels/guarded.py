"""REST and socket.io channels that never go silent.

If a user message produces no bot message at all (the action server is down, or
something failed on the way), the user gets a clear message instead of nothing,
with the emergency numbers in case what they wrote was urgent.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Text

from sanic import Blueprint

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from knowledge.facts import emergency_numbers

logger = logging.getLogger(__name__)

def silence_message() -> str:
    return ("Sorry, I'm having trouble answering right now. Please try again in a minute. "
            f"If you have a worrying symptom, don't wait for me: call {emergency_numbers()}.")


class _CountingOutput(OutputChannel):
    """Passes every message on and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    @classmethod
    def name(cls) -> Text:
        return "counting"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


class SocketIOCustomOutput(SocketIOOutput):
    """Rasa 3.6 emits custom payloads as keyword arguments of `emit`, which fails for
    ours (they have a `type` field). Send them as {"custom": {...}} instead, the same
    shape the REST channel uses."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, {"custom": json_message}, room=recipient_id)


def never_silent(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    async def guarded(message: UserMessage) -> None:
        if type(message.output_channel) is SocketIOOutput:
            inner = message.output_channel
            message.output_channel = SocketIOCustomOutput(inner.sio, inner.bot_message_evt)
        counting = _CountingOutput(message.output_channel)
        message.output_channel = counting
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001
            logger.exception("handling a message failed")
        if counting.sent == 0:
            logger.warning("no reply for a message from %s; sending the apology", message.sender_id)
            await counting.inner.send_text_message(message.sender_id, silence_message())

    return guarded


class GuardedRestInput(RestInput):
    """The REST channel at /webhooks/rest/webhook, never silent."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(never_silent(on_new_message))


class GuardedSocketIOInput(SocketIOInput):
    """The socket.io channel used by the web chat, never silent."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(never_silent(on_new_message))
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
