"""Keeps the conversation's `language` slot on the language of the latest message.

A policy that never chooses an action: it only returns a `SlotSet` event, which Rasa applies
before the next action runs, so the response that answers a message already picks its
variation by that message's language. The language comes from the language detector's
`language` output or, for a button or page payload such as `/greet{"language": "zh"}`,
from its `language` entity. A message with no clear language, or a name or number typed
into the lookup (intent `provide_details`), leaves the slot as it is; in a conversation
that has no language yet, it takes the language its channel puts in the message's metadata
(`channel_language`: WeChat's followers are Chinese unless they write English).

Done here rather than as an entity with a `from_entity` slot mapping so that the language
is not an entity: Rasa's conversation tests compare every predicted entity with the
story's annotations.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.knowledge.response_names import LANGUAGE_SLOT
from bot.text import LANGUAGES

# The metadata key under which a channel names its conversations' first language.
CHANNEL_LANGUAGE_KEY = "channel_language"
# Intents whose message says nothing about the conversation's language.
LANGUAGE_NEUTRAL_INTENTS = frozenset({"provide_details"})


def message_language(parse_data: dict[str, Any]) -> str | None:
    """The language a parsed message states, if any."""
    language = parse_data.get(LANGUAGE_SLOT)
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == LANGUAGE_SLOT:
            language = entity.get("value")
    if language not in LANGUAGES:
        return None
    if (parse_data.get("intent") or {}).get("name") in LANGUAGE_NEUTRAL_INTENTS:
        return None
    return str(language)


def channel_language(metadata: Any) -> str | None:
    """The first language a channel gives its conversations, if it names one."""
    language = metadata.get(CHANNEL_LANGUAGE_KEY) if isinstance(metadata, dict) else None
    return str(language) if language in LANGUAGES else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class LanguagePolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The lowest priority: it never predicts an action anyway.
        return {"priority": 0}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        latest = tracker.latest_message
        language = message_language(latest.parse_data) if latest else None
        if language is None and latest is not None and tracker.get_slot(LANGUAGE_SLOT) is None:
            language = channel_language(latest.metadata)
        changed = language is not None and tracker.get_slot(LANGUAGE_SLOT) != language
        return self._prediction(self._default_predictions(domain), events=[SlotSet(LANGUAGE_SLOT, language)]
                                if changed else None)
