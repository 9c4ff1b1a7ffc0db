"""Reads the training data like Rasa's own importer, and adds to domain.yml the intents that
bot.routing answers, so that the routes are defined once (config.yml names this importer)."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.importers.rasa import RasaFileImporter

from bot.routing import routed_intents
from bot.settings import load_settings


class RoutedIntentsImporter(RasaFileImporter):
    def get_domain(self) -> Domain:
        from bot.knowledge_loader import load_knowledge

        kb = load_knowledge(load_settings().knowledge_dir)
        routed = Domain.from_dict({"intents": routed_intents(kb)})
        return super().get_domain().merge(routed)
