"""The answer selector: which FAQ entry answers, written where Rasa's ResponseSelector would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix

from bot.server.components.answer_selector import AnswerSelector
from bot.settings import PROJECT_ROOT
from tests.evaluation import ParseFunction

# Three words, one feature each, from the "words" featurizer.
WORDS = ("expire", "fake", "weather")


def message(word: str, intent: str, key: str | None = None, mention: float = 0.0) -> Message:
    words = np.zeros((1, len(WORDS)))
    words[0, WORDS.index(word)] = 1.0
    mentions = np.zeros((1, 1))
    # Another featurizer's feature, which the selector is not configured to read.
    mentions[0, 0] = mention
    data = {TEXT: word, INTENT: intent, **({INTENT_RESPONSE_KEY: key} if key else {})}
    return Message(data=data, features=[Features(coo_matrix(words), FEATURE_TYPE_SENTENCE, TEXT, "words"),
                                        Features(coo_matrix(mentions), FEATURE_TYPE_SENTENCE, TEXT, "mentions")])


def configured() -> dict[str, object]:
    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    return next(component for component in pipeline if component["name"].endswith(AnswerSelector.__name__))


def selector(tmp_path: Path) -> tuple[AnswerSelector, LocalModelStorage, Resource, ExecutionContext]:
    storage, resource = LocalModelStorage(tmp_path), Resource("answers")
    context = ExecutionContext(GraphSchema({}), node_name="answers")
    config = {**AnswerSelector.get_default_config(), "featurizers": ["words"], "C": 10.0}
    return AnswerSelector.create(config, storage, resource, context), storage, resource, context


def trained(tmp_path: Path) -> tuple[AnswerSelector, LocalModelStorage, Resource, ExecutionContext]:
    made = selector(tmp_path)
    examples = [*(message("expire", "faq", "faq/expiry", mention=1.0) for _ in range(5)),
                *(message("fake", "faq", "faq/verify") for _ in range(5)),
                # Another intent's examples are not answers: "weather" must not become a key.
                *(message("weather", "out_of_scope") for _ in range(5))]
    made[0].train(TrainingData(training_examples=examples))
    return made


def test_picks_the_answer_by_the_named_featurizers_only_and_ranks_the_rest(tmp_path: Path) -> None:
    answers, *_ = trained(tmp_path)
    # Read, the other featurizer's feature (seen with "faq/expiry" only) would outweigh the word.
    [parsed] = answers.process([message("fake", "faq", mention=100.0)])
    selected = parsed.get("response_selector")
    assert selected["all_retrieval_intents"] == ["faq"]
    assert selected["faq"]["response"][INTENT_RESPONSE_KEY] == "faq/verify"
    ranking = selected["faq"]["ranking"]
    assert [entry[INTENT_RESPONSE_KEY] for entry in ranking] == ["faq/verify", "faq/expiry"]
    assert ranking[0]["confidence"] == selected["faq"]["response"]["confidence"] > 0.5 > ranking[1]["confidence"]
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)


def test_a_saved_selector_loads_and_answers_the_same(tmp_path: Path) -> None:
    answers, storage, resource, context = trained(tmp_path)
    config = {**AnswerSelector.get_default_config(), "featurizers": ["words"]}
    loaded = AnswerSelector.load(config, storage, resource, context)
    [parsed] = loaded.process([message("expire", "faq")])
    assert parsed.get("response_selector")["faq"]["response"][INTENT_RESPONSE_KEY] == "faq/expiry"


def test_an_untrained_selector_leaves_the_message_alone(tmp_path: Path) -> None:
    answers, *_ = selector(tmp_path)
    [parsed] = answers.process([message("expire", "faq")])
    assert parsed.get("response_selector") is None


def test_config_yml_trains_it_on_words_and_characters_with_its_regularisation(tmp_path: Path) -> None:
    config = {**AnswerSelector.get_default_config(), **configured()}
    assert config["featurizers"] == ["words", "characters"] and config["retrieval_intent"] == "faq"
    answers = AnswerSelector(config, "answers", LocalModelStorage(tmp_path), Resource("answers"))
    assert float(configured()["C"]) == answers.clf.C
    assert AnswerSelector({**config, "C": 7}, "answers", LocalModelStorage(tmp_path), Resource("answers")).clf.C == 7.0


def test_the_trained_model_selects_the_answer_of_a_faq_question(parse: ParseFunction) -> None:
    parsed = parse("how to check whether a certificate is fake")  # a training example
    assert parsed["intent_ranking"][0]["name"] == "faq"
    selected = parsed["response_selector"]["faq"]
    assert selected["response"]["intent_response_key"] == "faq/verify_authenticity"
    assert selected["ranking"][0] == {"confidence": selected["response"]["confidence"],
                                      "intent_response_key": "faq/verify_authenticity"}
