"""Switching a running Rasa server process to a newly trained model, without a restart.

A training (bot.processes.training) replaces the model file in one rename. Every server
process (each Sanic worker of each replica) looks at the file every BOT_MODEL_CHECK_SECONDS;
when it has changed, the process loads the new model in a thread, while it goes on answering
with the old one, and then swaps it in between two messages. Conversations live in the
conversation store, not in the model, so none is dropped; a message being answered during
the swap finishes with the model it started with. A model that fails to load is logged and
the old one stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rasa.core.agent import Agent
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.processor import MessageProcessor

logger = logging.getLogger(__name__)

# What the log says once a process serves a new model (the tests wait for it).
SWITCHED = "switched to the new model"


@dataclass(frozen=True)
class FileVersion:
    """Which file is at a path: a rename puts a new inode there."""

    inode: int
    size: int
    modified_ns: int


def file_version(path: Path) -> FileVersion | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return FileVersion(status.st_ino, status.st_size, status.st_mtime_ns)


def load_processor(agent: Agent, model: Path) -> MessageProcessor:
    """A processor for the model at `model`, sharing the agent's stores and endpoints (what
    Agent.load_model builds, without putting it in place)."""
    return MessageProcessor(model_path=model, tracker_store=agent.tracker_store, lock_store=agent.lock_store,
                            action_endpoint=agent.action_endpoint, generator=agent.nlg,
                            http_interpreter=agent.http_interpreter)


def switch_to(agent: Agent, processor: MessageProcessor) -> None:
    """Puts a loaded processor in place (on the event loop, between two messages)."""
    agent.processor = processor
    agent.domain = processor.domain
    agent.tracker_store.domain = processor.domain
    if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
        agent.nlg.responses = processor.domain.responses if processor.domain else {}


async def watch_model(agent: Agent, model: Path, served: FileVersion | None, interval: float) -> None:
    """Runs until cancelled: switches `agent` to each new model file at `model`."""
    while True:
        await asyncio.sleep(interval)
        current = file_version(model)
        if current is None or current == served:
            continue
        served = current  # tried once: a model that fails is not tried again until the file changes
        try:
            await _switch(agent, model)
        except Exception:  # the old model keeps serving
            logger.exception("The new model at %s could not be loaded; the server keeps the one it has.", model)


async def _switch(agent: Agent, model: Path) -> None:
    processor = await asyncio.get_running_loop().run_in_executor(None, load_processor, agent, model)
    switch_to(agent, processor)
    logger.info("Process %d %s at %s (%s).", os.getpid(), SWITCHED, model, processor.model_metadata.model_id)
    # The old model's memory back to the system, so that training after training a process
    # holds at most two models' worth (bench/model_switch_benchmark.py).
    del processor
    gc.collect()
    _release_freed_memory()


def _release_freed_memory() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
