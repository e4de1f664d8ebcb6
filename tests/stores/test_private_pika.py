"""The RabbitMQ broker keeps what people typed out of the logs when a publish fails."""
from __future__ import annotations

import asyncio
import logging

import pytest

from stores.private_pika import PrivatePikaEventBroker

SECRET = "crushing pain in my chest since the fall"


class _DeadExchange:
    async def publish(self, *_args, **_kwargs):
        raise ConnectionError("RabbitMQ is gone")


def _broker(**kwargs) -> PrivatePikaEventBroker:
    loop = asyncio.new_event_loop()
    broker = PrivatePikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"], event_loop=loop, **kwargs)
    broker._exchange = _DeadExchange()
    return broker


def test_a_failed_publish_is_logged_without_the_message_and_kept(caplog):
    broker = _broker()
    event = {"event": "user", "text": SECRET, "sender_id": "someone"}
    with caplog.at_level(logging.DEBUG):
        asyncio.run(broker._publish(event))
    assert "could not publish a 'user' event" in caplog.text
    assert SECRET not in caplog.text and "someone" not in caplog.text
    assert list(broker._unpublished_events) == [event]


def test_raise_on_failure_still_raises(caplog):
    broker = _broker(raise_on_failure=True)

    async def close():
        return None
    broker.close = close
    with pytest.raises(ConnectionError):
        asyncio.run(broker._publish({"event": "user", "text": SECRET}))
    assert SECRET not in caplog.text
