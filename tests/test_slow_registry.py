"""A slow issuing authority's registry delays only the lookup that waits for it: the action
server's event loop keeps answering everyone else."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot.processes.stack import StackConfig
from tests.fake_registry import RECORD, running_registry
from tests.servers import started_stack

REGISTRY_DELAY = 3.0


def say(config: StackConfig, sender: str, text: str) -> str:
    reply = requests.post(config.rest_url, json={"sender": sender, "message": text}, timeout=30)
    reply.raise_for_status()
    return "\n".join(message.get("text", "") for message in reply.json())


def test_a_slow_registry_does_not_slow_down_other_users(trained_model: Path,
                                                        tmp_path_factory: pytest.TempPathFactory,
                                                        responses: dict[str, str]) -> None:
    with running_registry() as registry:
        registry.script = [(200, {"certificate": RECORD}, REGISTRY_DELAY)]
        env = {"BOT_LOOKUP_BACKEND": "http", "BOT_REGISTRY_URL": registry.url, "BOT_REGISTRY_TIMEOUT": "3.5",
               "BOT_REGISTRY_RETRIES": "0"}
        with started_stack(trained_model, tmp_path_factory, env) as (config, _):
            holder = f"holder-{uuid.uuid4().hex}"
            say(config, holder, "check a certificate")
            say(config, holder, RECORD["certificate_number"])
            lookup_reply: list[str] = []
            lookup = threading.Thread(target=lambda: lookup_reply.append(say(config, holder, RECORD["holder_name"])))
            lookup.start()
            time.sleep(0.5)  # the lookup is now waiting for the registry
            other, latencies = f"other-{uuid.uuid4().hex}", []
            while lookup.is_alive() and len(latencies) < 5:
                started = time.monotonic()
                assert say(config, other, "how do I know if a certificate is fake?") == responses[
                    "utter_faq_answer__verify_authenticity"]
                latencies.append(time.monotonic() - started)
            lookup.join(30)
    assert lookup_reply and lookup_reply[0].startswith("This certificate is valid")
    assert latencies and max(latencies) < REGISTRY_DELAY / 2, latencies
