"""The support shell: a terminal conversation with the running assistant.

It talks to the Rasa server's REST channel like any client. With debug on, it also reads
the conversation's tracker through Rasa's HTTP API (turned on for this run only, on
localhost, behind a random token) and shows, for each message, the intent and its
confidence, the FAQ answer the answer selector picked, the entities, the actions that
ran and the knowledge entry each reply came from.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from bot.knowledge.response_names import describe_response
from bot.processes.stack import StackConfig
from bot.understanding.gate import FINDINGS_KEY

QUIT_WORDS = ("/quit", "/exit", "/stop")


@dataclass
class ShellSession:
    config: StackConfig
    debug: bool
    sender: str = ""

    def __post_init__(self) -> None:
        self.sender = self.sender or f"shell-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = requests.post(self.config.rest_url, json={"sender": self.sender, "message": text}, timeout=60)
        reply.raise_for_status()
        messages: list[dict[str, Any]] = reply.json()
        return messages

    def last_turn(self) -> list[dict[str, Any]]:
        """The tracker events from the latest user message on."""
        url = f"http://{self.config.host}:{self.config.rasa_port}/conversations/{self.sender}/tracker"
        reply = requests.get(url, params={"token": self.config.api_token}, timeout=30)
        reply.raise_for_status()
        events: list[dict[str, Any]] = reply.json().get("events", [])
        starts = [index for index, event in enumerate(events) if event.get("event") == "user"]
        return events[starts[-1]:] if starts else []


def explain(turn: list[dict[str, Any]]) -> list[str]:
    """What the debug switch shows for one turn: understanding first, then who answered."""
    if not turn:
        return []
    parse = turn[0].get("parse_data", {})
    intent = parse.get("intent", {})
    found = parse.get(FINDINGS_KEY) or {}
    if found.get("classified"):
        # A question the gate reads aspect by aspect: what the classifiers said, then what it read.
        top = (parse.get("intent_ranking") or [intent])[0]
        lines = [f"intent: {top.get('name')} ({top.get('confidence', 0.0):.2f})",
                 f"aspects: {', '.join(found.get('aspects') or ['what_is'])}"
                 + (f"; kind: {found['kind']}" if found.get("kind") else "")]
    else:
        lines = [f"intent: {intent.get('name')} ({intent.get('confidence', 0.0):.2f})"]
    selected = parse.get("response_selector", {}).get("faq", {}).get("response", {})
    if lines[0].startswith("intent: faq ") and selected.get("intent_response_key"):
        lines.append(f"faq answer: {selected['intent_response_key']} ({selected.get('confidence', 0.0):.2f})")
    entities = ", ".join(f"{entity['entity']}={entity['value']}" for entity in parse.get("entities", []))
    if entities:
        lines.append(f"entities: {entities}")
    for event in turn[1:]:
        if event.get("event") == "action" and event.get("name") != "action_listen":
            lines.append(f"action: {event['name']}")
        elif event.get("event") == "bot":
            response = (event.get("metadata") or {}).get("utter_action")
            lines.append(f"answered from: {describe_response(response)}" if response else "answered from: text")
    return lines


def run_shell(session: ShellSession, read: Callable[[str], str] = input,
              write: Callable[[str], None] = print) -> None:
    """The conversation loop. A number picks one of the buttons the assistant just offered."""
    write(f"Talk to the certificate assistant. {' or '.join(QUIT_WORDS)} or Ctrl-D ends.")
    buttons: list[dict[str, Any]] = []
    while True:
        try:
            text = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text in QUIT_WORDS:
            return
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            button = buttons[int(text) - 1]
            write(f"  (picked: {button['title']})")
            text = button["payload"]
        buttons = []
        for message in session.say(text):
            if message.get("text"):
                write("bot> " + message["text"].replace("\n", "\n     "))
            for button in message.get("buttons", []):
                buttons.append(button)
                write(f"     [{len(buttons)}] {button['title']}")
        if session.debug:
            for line in explain(session.last_turn()):
                write(f"  · {line}")
