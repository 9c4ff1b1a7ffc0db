"""Decides the language of each message and adds it to the parse result as `language`;
the language policy keeps the conversation's `language` slot on it, so responses and
actions answer in that language. A message with no clear language (a number, "ok", a
button) has none, and the conversation keeps its language."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.server.components.stateless import StatelessComponent
from bot.text import detect_language


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(StatelessComponent):

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = detect_language(text) if isinstance(text, str) else None
            if language is not None:
                message.set(LANGUAGE_SLOT, language, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
