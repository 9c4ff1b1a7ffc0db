"""The intent classifier: Rasa's logistic regression, with the regularisation config.yml sets."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.server.components.intent_classifier import RegularisedIntentClassifier
from bot.settings import PROJECT_ROOT


def configured() -> dict[str, object]:
    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    return next(component for component in pipeline if component["name"].endswith(RegularisedIntentClassifier.__name__))


def test_the_regularisation_of_config_yml_reaches_scikit_learn(tmp_path: Path) -> None:
    config = {**RegularisedIntentClassifier.get_default_config(), **configured()}
    classifier = RegularisedIntentClassifier(config, "intent", LocalModelStorage(tmp_path), Resource("intent"))
    assert classifier.clf.C == float(configured()["C"]) != 1.0
