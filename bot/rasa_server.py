"""Runs Rasa's command line with these changes: the user always gets an answer, a custom
action call costs less (bot.action_endpoint), several Sanic workers share the load
(bot.sanic_workers), Sanic refuses oversize bodies and trusts only configured proxies, and a
failing conversation store is reported instead of replaced by memory.

Rasa 3.6 waits up to a hard-coded 300 s for a custom action, and when the action server is
down or fails it logs "Bot will continue, but the actions events are lost" and the user
gets no reply at all. Every answer of this assistant comes from a custom action, so here a
custom action that fails or takes longer than BOT_ACTION_TIMEOUT seconds is replaced by the
`utter_lookup_service_unavailable` response (what to do meanwhile, from the knowledge base),
and the failure is logged.

    python -m bot.rasa_server run ...     (instead of `rasa run ...`; `shell` likewise)

Only this module, the modules it installs, the conversation and lock stores and
bot.rasa_components import Rasa; importing `bot` does not.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

from jsonschema import ValidationError
from rasa.core.actions import action as rasa_actions
from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException

from bot import action_endpoint, sanic_workers
from bot.response_names import lookup_response
from bot.settings import ServerSettings, load_server_settings, load_settings

logger = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = lookup_response("service_unavailable")


def install_action_fallback(timeout: float) -> None:
    """Wraps RemoteAction.run: a time limit, and a reply instead of silence on failure."""
    original = rasa_actions.RemoteAction.run
    if getattr(original, "with_fallback", False):
        return

    async def run_with_fallback(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain), timeout)
        except rasa_actions.ActionExecutionRejection:
            raise  # a form declining a message: Rasa's normal flow, not a failure
        except (asyncio.TimeoutError, RasaException, ValidationError) as error:
            reason = str(error) or f"no answer within {timeout:.1f} s"
            logger.error("Custom action '%s' failed: %s. The user was told the service is unavailable.",
                         self.name(), reason)
            message = await nlg.generate(SERVICE_UNAVAILABLE, tracker, output_channel.name())
            return [rasa_actions.create_bot_utterance(message)] if message else []

    run_with_fallback.with_fallback = True  # type: ignore[attr-defined]
    rasa_actions.RemoteAction.run = run_with_fallback


def install_strict_tracker_store() -> None:
    """Rasa wraps the tracker store in a FailSafeTrackerStore. When the database fails, that
    wrapper hands the processor no conversation (so the user is answered without context)
    and keeps the new one in memory, where it is lost, with only a log line. Unwrapped, the
    store's error reaches the channel, which tells the user the service is unavailable and
    logs why (bot.channel_replies); the health check reports it too."""
    def create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
        if store is None:
            return InMemoryTrackerStore(domain)
        store.domain = domain
        return store

    Agent._create_tracker_store = staticmethod(create_tracker_store)


def configure_sanic(settings: ServerSettings) -> None:
    """Sanic reads these when Rasa creates its app.

    A body over REQUEST_MAX_SIZE gets 413 as soon as its Content-Length is read (or, sent
    in chunks, as soon as it grows too large), before any handler parses it. PROXIES_COUNT
    and REAL_IP_HEADER say which forwarded address to trust (bot.clients).
    """
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(settings.max_request_bytes)
    os.environ["SANIC_PROXIES_COUNT"] = str(settings.trusted_proxies)
    if settings.real_ip_header:
        os.environ["SANIC_REAL_IP_HEADER"] = settings.real_ip_header


def configure_tensorflow_threads(workers: int) -> None:
    """With several server processes sharing the cores, each runs TensorFlow on one thread
    (Rasa reads these when it starts): DIET's and the ResponseSelector's small predictions
    were split over threads that the other processes needed (throughput measured by
    bench/load_benchmark.py, in the README). One process keeps TensorFlow's threads."""
    if workers > 1:
        os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
        os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")


def main() -> None:
    configure_sanic(load_server_settings())
    workers = int(os.environ.get("SANIC_WORKERS", "1"))
    if workers > 1:
        sanic_workers.install(workers)
    configure_tensorflow_threads(workers)
    action_endpoint.install()
    install_strict_tracker_store()
    install_action_fallback(load_settings().action_timeout)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
