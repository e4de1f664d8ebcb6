"""Rasa's RabbitMQ event broker, without health data in the logs.

When a publish fails (RabbitMQ down or restarting), Rasa's PikaEventBroker logs the whole
event at ERROR level, which for a user event is what the person typed about their body.
This broker logs what failed (event type, host) and nothing of its content; the event is
kept for later as Rasa does, and the optional raise-on-failure is kept too.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)


class PrivatePikaEventBroker(PikaEventBroker):
    """PikaEventBroker whose failed publishes are logged without the event."""

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        if self._exchange is None:
            return
        try:
            await self._exchange.publish(self._message(event, headers), "")
        except Exception:
            logger.error("could not publish a %r event to RabbitMQ at %s; %s", event.get("event"), self.host,
                         "kept to publish later" if self.should_keep_unpublished_messages else "dropped")
            if self.should_keep_unpublished_messages:
                self._unpublished_events.append(event)
            if self.raise_on_failure:
                await self.close()
                raise
