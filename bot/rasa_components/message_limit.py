"""Caps the length of a user message before NLU.

Inference runs on the Rasa server's event loop: one ~100 kB message was measured to take
18 s, stall every other user and grow the server's memory by about 5 GB. Nobody asks a
certificate question in more than a few hundred characters, so longer text is cut.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MessageLengthLimiter(GraphComponent):
    """Cuts each message's text to `max_characters`. Put it first in the pipeline."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Longer messages are cut to this many characters before any other component runs.
        return {"max_characters": 500}

    def __init__(self, config: dict[str, Any]) -> None:
        limit = config.get("max_characters")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"MessageLengthLimiter: max_characters must be a whole number >= 1, not {limit!r}")
        self.max_characters = limit

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLengthLimiter:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and len(text) > self.max_characters:
                message.set(TEXT, text[: self.max_characters])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
