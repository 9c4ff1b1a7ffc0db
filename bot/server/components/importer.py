"""Reads the training data like Rasa's own importer, with two changes (config.yml names
this importer):

- it adds to domain.yml the intents that bot.knowledge.routing answers, so that the routes are
  defined once;
- the generated answers (data/generated/responses.yml) go to the domain only. Rasa reads a
  `responses:` file under data/ as NLU training data too, and its text then counts in the
  NLU's fingerprint: editing an answer trained the whole NLU again. Nothing in
  the NLU pipeline reads response texts.
"""

from __future__ import annotations

from functools import cached_property

from rasa.shared.core.domain import Domain
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.knowledge.routing import routed_intents


class RoutedIntentsImporter(RasaFileImporter):
    @cached_property
    def _data_files(self) -> TrainingData:
        """The training data files, read once (about a second): the NLU data and the
        domain's answers both come from them. Rasa's YAML reader ignores the language."""
        return super().get_nlu_data()

    def get_domain(self) -> Domain:
        from bot.knowledge.loader import current_knowledge

        kb = current_knowledge()
        generated = Domain.from_dict({"intents": routed_intents(kb), "responses": self._data_files.responses})
        return super().get_domain().merge(generated)

    def get_nlu_data(self, language: str | None = "en") -> TrainingData:
        data = self._data_files
        return TrainingData(data.training_examples, data.entity_synonyms, data.regex_features, data.lookup_tables)
