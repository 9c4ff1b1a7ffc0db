"""The support shell: its debug explanation, its loop, and `python -m bot shell --debug`
end to end with the real servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.response_names import describe_response
from bot.processes.shell import explain, run_shell
from bot.settings import PROJECT_ROOT
from tests.servers import own_stores


@pytest.mark.parametrize(
    ("response", "description"),
    [
        ("utter_faq_answer__expiry_and_renewal", "FAQ entry 'expiry_and_renewal'"),
        ("utter_catalog_tour_guide__needed", "catalog entry 'tour_guide', aspect 'needed'"),
        ("utter_lookup_not_found", "certificate lookup reply 'not_found'"),
        ("utter_greet", "response 'utter_greet'"),
    ],
)
def test_responses_name_the_knowledge_they_come_from(response: str, description: str) -> None:
    assert describe_response(response) == description


def test_explain_shows_intent_confidence_entities_and_what_answered() -> None:
    turn = [
        {"event": "user", "parse_data": {
            "intent": {"name": "faq", "confidence": 0.9712},
            "entities": [{"entity": "profession", "value": "tour guide"}],
            "response_selector": {"faq": {"response": {"intent_response_key": "faq/expiry_and_renewal",
                                                       "confidence": 0.88}}}}},
        {"event": "action", "name": "action_answer"},
        {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_faq_answer__expiry_and_renewal"}},
        {"event": "action", "name": "action_listen"},
    ]
    assert explain(turn) == [
        "intent: faq (0.97)",
        "faq answer: faq/expiry_and_renewal (0.88)",
        "entities: profession=tour guide",
        "action: action_answer",
        "answered from: FAQ entry 'expiry_and_renewal'",
    ]


class ScriptedSession:
    """Stands in for the servers, to test the loop's own logic: buttons and quitting."""

    debug = False

    def __init__(self) -> None:
        self.sent: list[str] = []

    def say(self, text: str) -> list[dict[str, Any]]:
        self.sent.append(text)
        return [{"text": "Did you mean?", "buttons": [{"title": "A", "payload": "/choose_entry{\"entry_id\": \"a\"}"},
                                                      {"title": "B", "payload": "/choose_entry{\"entry_id\": \"b\"}"}]}]


def test_a_number_picks_a_button_and_quit_ends() -> None:
    session = ScriptedSession()
    lines = iter(["hmm", "", "2", "7", "/quit", "never read"])
    output: list[str] = []
    run_shell(session, read=lambda prompt: next(lines), write=output.append)  # type: ignore[arg-type]
    assert session.sent == ["hmm", '/choose_entry{"entry_id": "b"}', "7"]
    assert "     [2] B" in output and "  (picked: B)" in output


def test_debug_shell_end_to_end(trained_model: Path, responses: dict[str, str], tmp_path: Path) -> None:
    conversation = "do tour guides need a certificate?\nwhat do i do when my certificate has expired?\n/quit\n"
    with own_stores(tmp_path):
        finished = subprocess.run([sys.executable, "-m", "bot", "shell", "--debug", "--model", str(trained_model)],
                                  input=conversation, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert finished.returncode == 0, finished.stderr
    out = finished.stdout
    assert "intent: ask_certificate_needed (" in out
    assert "answered from: catalog entry 'tour_guide', aspect 'needed'" in out
    assert "intent: faq (" in out and "faq answer: faq/expiry_and_renewal (" in out
    assert "answered from: FAQ entry 'expiry_and_renewal'" in out
    assert "bot> " + responses["utter_catalog_tour_guide__needed"].splitlines()[0] in out
