"""Which FAQ answer a question asks for: a logistic regression over the words and character
n-grams, in place of Rasa's ResponseSelector.

The ResponseSelector (a small TensorFlow model) was the largest part of the NLU's time under
load (bench/profile_load.py: 14% of the server's busy time against 8% for the intent
classifier's logistic regression) and most of the training time. This writes its output in the
ResponseSelector's form (`response_selector.faq.response` and `.ranking`), so Rasa's processor
and the custom actions read it unchanged.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, vstack

from bot.server.components.intent_classifier import RegularisedIntentClassifier

# ResponseSelector's output keys (rasa.nlu.selectors.response_selector), written the same way.
_PROPERTY = "response_selector"
_RETRIEVAL_INTENTS = "all_retrieval_intents"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerSelector(RegularisedIntentClassifier):
    """Trained on the retrieval intent's examples only, labelled by their answer key
    ("faq/expiry_and_renewal"); its probabilities are the answers' confidences."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**RegularisedIntentClassifier.get_default_config(), "retrieval_intent": "faq", "featurizers": [],
                "ranking_length": 10}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self._featurizers = list(self.config["featurizers"]) or None

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (the parent's name)
        rows = []
        for message in messages:
            # The sentence features ([1]) of the named featurizers only.
            features = message.get_sparse_features(TEXT, self._featurizers)[1]
            rows.append(csr_matrix(features.features if features else []))
        return vstack(rows).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        retrieval_intent = self.config["retrieval_intent"]
        examples = [example for example in training_data.intent_examples
                    if example.get(INTENT) == retrieval_intent and example.get(INTENT_RESPONSE_KEY)
                    and example.get(TEXT)]
        if examples:
            self.clf.fit(self._create_X(examples), [example.get(INTENT_RESPONSE_KEY) for example in examples])
            self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if not hasattr(self.clf, "classes_") or not messages:
            return messages
        retrieval_intent = self.config["retrieval_intent"]
        keys = [str(key) for key in self.clf.classes_]
        for message, probabilities in zip(messages, self.clf.predict_proba(self._create_X(messages)), strict=True):
            ranked = sorted(zip(keys, (float(p) for p in probabilities), strict=True), key=lambda pair: -pair[1])
            key, confidence = ranked[0]
            ranking = [{"confidence": p, INTENT_RESPONSE_KEY: k}
                       for k, p in ranked[:self.config["ranking_length"]]]
            selected = {"responses": [{TEXT: key}], "confidence": confidence, INTENT_RESPONSE_KEY: key,
                        "utter_action": f"utter_{key}"}
            properties = message.get(_PROPERTY, {})
            properties[_RETRIEVAL_INTENTS] = [retrieval_intent]
            properties[retrieval_intent] = {"response": selected, "ranking": ranking}
            message.set(_PROPERTY, properties, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
