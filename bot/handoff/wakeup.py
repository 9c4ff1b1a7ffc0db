"""Live updates between replicas: a message put in the outbox wakes the server processes
that send such messages at once, through Redis's publish/subscribe, instead of at their
next look. Each still looks every few seconds, so a lost wake-up (Redis down) only delays;
without Redis (one machine, the default) the look is all there is. Used where the widget's
replies go through Redis too (BOT_SOCKETIO_MANAGER=redis: the scaled deployment)."""

from __future__ import annotations

import asyncio
import logging

import redis
import redis.asyncio

from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "certificate-assistant:handoff-outbox"


def wakeup_url(settings: Settings) -> str | None:
    return settings.redis_url if settings.server.socketio_manager == "redis" else None


class Wakeups:
    """Sends wake-ups (from any process that puts a message in the outbox)."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._client: redis.Redis | None = None

    def publish(self) -> None:
        if not self.redis_url:
            return
        try:
            if self._client is None:
                self._client = redis.Redis.from_url(self.redis_url, socket_timeout=2.0)
            self._client.publish(CHANNEL, "1")
        except redis.RedisError as error:
            logger.warning("Could not wake the servers through Redis (they look again shortly): %s", error)


class WakeupListener:
    """Waits for a wake-up (in a server process's event loop)."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._subscription: redis.asyncio.client.PubSub | None = None
        self._failing = False

    async def wait(self, timeout: float) -> None:
        """Returns at the next wake-up, or after `timeout` seconds."""
        if self.redis_url:
            try:
                if self._subscription is None:
                    self._subscription = redis.asyncio.Redis.from_url(self.redis_url).pubsub()
                    await self._subscription.subscribe(CHANNEL)
                await self._next_message(self._subscription, timeout)
                self._failing = False
                return
            except (redis.RedisError, OSError) as error:
                if not self._failing:
                    logger.warning("Waiting for wake-ups through Redis failed (looking every %.1f s): %s",
                                   timeout, error)
                self._failing = True
                self._subscription = None
        await asyncio.sleep(timeout)

    @staticmethod
    async def _next_message(subscription: redis.asyncio.client.PubSub, timeout: float) -> None:
        """Until a published message or the timeout (the confirmation of the subscription,
        which get_message passes over by returning None at once, does not end the wait)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            if await subscription.get_message(ignore_subscribe_messages=True, timeout=left):
                return
