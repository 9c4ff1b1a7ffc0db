"""The domain gate, after the classifiers (bot.understanding.gate decides, from
knowledge/scope.yml): a certificate question that names no catalog entry and nothing of the
domain becomes `out_of_scope`, one about a certificate the catalog lacks `ask_unlisted`. What
it found travels on in the parsed message, under `scope`, for the action server to answer
from."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge.loader import current_knowledge
from bot.server.components.stateless import StatelessComponent
from bot.understanding.gate import FINDINGS_KEY
from bot.understanding.gate import DomainGate as Gate


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DomainGate(StatelessComponent):
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self._gate = Gate(current_knowledge())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT)
            if not isinstance(intent, str) or not isinstance(text, str):
                continue
            verdict = self._gate.decide(intent, {TEXT: text, ENTITIES: message.get(ENTITIES) or []})
            if verdict.findings is not None:
                message.set(FINDINGS_KEY, verdict.findings.as_dict(), add_to_output=True)
            if verdict.intent != intent:
                message.set(INTENT, {INTENT_NAME_KEY: verdict.intent, PREDICTED_CONFIDENCE_KEY: 1.0},
                            add_to_output=True)
        return messages
