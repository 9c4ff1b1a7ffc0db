"""The domain gate, after the classifiers: a message classified as a certificate question
(or as not understood) that names no catalog entry and nothing of the domain becomes
`out_of_scope`, so that "i need milk on my shopping list" gets "I can't help with that"
rather than the nearest certificate answer, and "please confirm my reservation" does not
start a lookup. bot.scope.DomainGate decides, from knowledge/scope.yml."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge_loader import load_knowledge
from bot.rasa_components.stateless import StatelessComponent
from bot.scope import DomainGate as Gate
from bot.settings import load_settings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DomainGate(StatelessComponent):
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self._gate = Gate(load_knowledge(load_settings().knowledge_dir))


    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT)
            if not isinstance(intent, str) or not isinstance(text, str):
                continue
            gated = self._gate.intent(intent, {TEXT: text, ENTITIES: message.get(ENTITIES) or []})
            if gated != intent:
                message.set(INTENT, {INTENT_NAME_KEY: gated, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
        return messages
