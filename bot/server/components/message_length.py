"""Caps the length of a user message before NLU, and answers an over-long one with "that
message is too long" rather than with a guess from its first part.

Inference runs on the Rasa server's event loop: one ~100 kB message was measured to take
18 s, stall every other user and grow the server's memory by about 5 GB. Nobody asks a
certificate question in more than a few hundred characters, so longer text is cut first
(what is left still tells the reply's language), and the last component of the pipeline
gives the message the intent `message_too_long`.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge.routing import TOO_LONG_INTENT
from bot.server.components.stateless import StatelessComponent

# Marks a message that was cut, for TooLongMessageClassifier at the end of the pipeline.
CUT = "cut_to_length_limit"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MessageLengthLimiter(StatelessComponent):
    """Cuts each message's text to `max_characters`. Put it first in the pipeline."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Longer messages are cut to this many characters before any other component runs.
        return {"max_characters": 500}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        limit = self.config.get("max_characters")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"MessageLengthLimiter: max_characters must be a whole number >= 1, not {limit!r}")
        self.max_characters = limit

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.max_characters:
                message.set(TEXT, text[: self.max_characters])
                message.set(CUT, True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TooLongMessageClassifier(StatelessComponent):
    """Gives a message that MessageLengthLimiter cut the intent `message_too_long`, whatever
    the classifiers thought of its first part. Put it last in the pipeline."""


    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if message.get(CUT):
                intent = {INTENT_NAME_KEY: TOO_LONG_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages
