"""The importer named in config.yml (bot/server/components/importer.py)."""

from __future__ import annotations

from rasa.shared.importers.importer import TrainingDataImporter

from bot.knowledge.response_names import faq_response
from bot.settings import PROJECT_ROOT


def test_answers_are_in_the_domain_and_not_in_the_nlu_data() -> None:
    """An answer's text must not count in the NLU's fingerprint: editing it would train the
    whole NLU again (issue #10)."""
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"), [str(PROJECT_ROOT / "data")])
    domain = importer.get_domain()
    nlu = importer.get_nlu_data("zh")
    assert faq_response("expiry_and_renewal") in domain.responses
    assert "ask_certificate_needed" in domain.intents  # a routed intent, added by the importer
    assert nlu.responses == {}
    assert nlu.training_examples
