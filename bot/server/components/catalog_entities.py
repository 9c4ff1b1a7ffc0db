"""Recognises the catalog's jobs and certificates, in English and Chinese, with a spaCy
entity ruler. Its patterns are the lookup tables of the training data (generated from the
catalog's aliases), so they are stored inside the trained model and a changed alias
retrains it."""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.spacy_pipeline import build_entity_ruler

PATTERNS_FILE = "patterns.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CatalogEntityRecognizer(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The lookup tables (and entity labels) whose entries are recognised.
        return {"dimensions": ["profession", "certificate"]}

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        patterns: list[tuple[str, str]],
    ) -> None:
        dimensions = config.get("dimensions")
        if not isinstance(dimensions, list) or not dimensions or not all(isinstance(d, str) for d in dimensions):
            raise ValueError(f"CatalogEntityRecognizer: dimensions must be a list of entity names, not {dimensions!r}")
        self.dimensions = dimensions
        self._model_storage = model_storage
        self._resource = resource
        self.patterns = patterns
        self._nlp = build_entity_ruler(patterns) if patterns else None

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogEntityRecognizer:
        return cls(config, model_storage, resource, [])

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> CatalogEntityRecognizer:
        with model_storage.read_from(resource) as directory:
            patterns = json.loads((directory / PATTERNS_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, [(label, phrase) for label, phrase in patterns])

    def train(self, training_data: TrainingData) -> Resource:
        patterns = [
            (table["name"], str(element))
            for table in training_data.lookup_tables
            if table.get("name") in self.dimensions
            for element in table.get("elements") or []
        ]
        if not patterns:
            raise ValueError(
                f"CatalogEntityRecognizer: the training data has no lookup table for {', '.join(self.dimensions)}; "
                "run `python -m bot compile`"
            )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PATTERNS_FILE).write_text(json.dumps(patterns, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._nlp is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            found = [
                {"entity": span.label_, "value": span.text, "start": span.start_char, "end": span.end_char}
                for span in self._nlp(text).ents
            ]
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found), add_to_output=True)
        return messages
