"""Normalises a message's text before NLU, in training and at run time alike: full-width
letters and digits become half-width, traditional Chinese becomes simplified, and white
space is folded. The knowledge is written in simplified Chinese; users type both."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.server.components.stateless import StatelessComponent
from bot.text import normalize_text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextNormalizer(StatelessComponent):
    """Put it right after the length limit, before the tokenizer."""


    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, " ".join(normalize_text(text).split()))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
