"""How a trained model answers the questions staff decided on: read as the Rasa server
reads them, and answered as the action server would answer (bot.dialogue.answering).

    python -m bot.server.model_check < decided.json > checks.json

Run by bot.processes.training after a training, on the model at BOT_MODEL: standard input
is a JSON list of bot.review.trainings.Decided, standard output the list of Checks.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict

from rasa.core.agent import Agent

from bot.dialogue.answering import Dialogue
from bot.knowledge.loader import load_knowledge
from bot.knowledge.routing import ANSWER_ACTION, route_table
from bot.review.outcomes import ANSWERED, DECLINED, outcome_of
from bot.review.store import ACCEPTED
from bot.review.trainings import Check, Decided
from bot.settings import Settings, current_settings


async def check_decisions(settings: Settings, decided: Sequence[Decided]) -> list[Check]:
    """How the model at settings.model_path answers each decided question."""
    agent = Agent.load(str(settings.model_path))
    kb = load_knowledge(settings.knowledge_dir, check_reviews=False)
    dialogue, routes = Dialogue(kb, settings), route_table(kb)
    checks = []
    for question in decided:
        parsed = await agent.parse_message(question.text)
        intent = str((parsed.get("intent") or {}).get("name") or "")
        route = routes.get(intent)
        answered_by: set[str] = set()
        if route is not None and route.action == ANSWER_ACTION:
            parts = dialogue.answer(parsed, None, question.language).parts()
            responses = [part.response for part in parts]
            answered_by = {part.answered_by for part in parts}
        else:
            responses = [route.action] if route else []
        outcome = outcome_of(responses, responses)
        if question.decision == ACCEPTED:
            passed = outcome == ANSWERED and question.entry in answered_by
        else:
            passed = outcome == DECLINED
        checks.append(Check(question.id, question.text, question.decision, question.entry,
                            ", ".join(sorted(answered_by)) or None, outcome, passed))
    return checks


def main() -> None:
    decided = [Decided(**question) for question in json.load(sys.stdin)]
    checks = asyncio.run(check_decisions(current_settings(), decided))
    print(json.dumps([asdict(check) for check in checks], ensure_ascii=False))  # one line, the last


if __name__ == "__main__":
    main()
