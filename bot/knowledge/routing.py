"""Which action or response answers each intent: the one definition that the generated rules
(data/generated/rules.yml), the domain's intents (added at training time by
bot.server.components.importer), the actions and the evaluation all use.

Cancelling a lookup stays in domain.yml and data/rules/lookup.yml: what it does depends on
whether a lookup is under way."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import FAQ_INTENT, conversation_response

# The one action that answers from the knowledge (bot.dialogue.answering.Dialogue.answer decides how).
ANSWER_ACTION = "action_answer"
LOOKUP_FORM = "certificate_lookup_form"
# The slots the lookup form fills with what the user types, and what replaces that text
# once the lookup is over (bot.server.lookup_privacy).
LOOKUP_SLOTS = frozenset({"certificate_number", "holder_name"})
REMOVED = "[removed]"
CHOOSE_ENTRY_INTENT = "choose_entry"
NLU_FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
# Ends a lookup under way (domain.yml, data/rules/lookup.yml).
CANCEL_INTENT = "cancel"
# "Are you a bot?"
BOT_CHALLENGE_INTENT = "bot_challenge"
LOOKUP_INTENT = "check_certificate"
# A certificate number or a holder's name, typed for the lookup.
DETAILS_INTENT = "provide_details"
# Set by the message length limiter (config.yml) on a message over the length cap.
TOO_LONG_INTENT = "message_too_long"
# Set by the domain gate (config.yml) on a question about a certificate or job that the
# catalog lacks ("is a forklift licence valid nationwide?"), whatever the classifiers said.
UNLISTED_INTENT = "ask_unlisted"
# Set by the domain gate on a question whose aspects it read (knowledge/aspects.yml): answered
# aspect by aspect, about the entry, kind or unlisted certificate it names, or in general.
QUESTION_INTENT = "ask_about"

# A press of a "helpful" or "not helpful" button under an answer (bot.dialogue.feedback),
# thanked by an action that also counts a "not helpful" towards offering a person.
FEEDBACK_INTENT = "feedback"
FEEDBACK_ACTION = "action_thank_for_feedback"
# "Talk to a person": handed to staff by an action the Rasa server runs itself (bot.server.handoff).
ASK_FOR_PERSON_INTENT = "ask_for_person"
REQUEST_PERSON_ACTION = "action_request_person"

# Intents answered by a fixed reply of knowledge/conversation_replies.yml, by reply name.
CONVERSATION_REPLIES = {
    "greet": "greet",
    "goodbye": "goodbye",
    "thank": "youre_welcome",
    BOT_CHALLENGE_INTENT: "iamabot",
    "help": "help",
    "switch_language": "language_switched",
    # A number or a name typed outside a lookup: explain how to start one, never start it.
    DETAILS_INTENT: "details_outside_lookup",
    TOO_LONG_INTENT: "message_too_long",
}


@dataclass(frozen=True)
class Route:
    intent: str
    action: str
    # Also answered in the middle of a certificate lookup, which then asks its question again.
    during_lookup: bool = False


def knowledge_intents(kb: KnowledgeBase) -> list[str]:
    """The intents that the knowledge answers: FAQ questions and questions about one entry."""
    return [FAQ_INTENT, *(question.intent for question in kb.questions)]


def routes(kb: KnowledgeBase) -> list[Route]:
    """Every intent that gets an answer, and what answers it."""
    answered = [
        # A question about one job or certificate is answered mid-lookup; a bare job name
        # ("lawyer", aspect "overview") is not: mid-lookup it is more likely a holder's name.
        Route(intent, ANSWER_ACTION, during_lookup=intent == FAQ_INTENT or kb.question_for_intent(intent).aspect
              != "overview")
        for intent in knowledge_intents(kb)
    ]
    # Out of scope goes to the knowledge too: "how much is the CPA exam?" can look unrelated
    # to the classifier, yet deserves "the knowledge does not cover fees" (bot.dialogue.answering).
    answered += [Route(intent, ANSWER_ACTION) for intent in (CHOOSE_ENTRY_INTENT, NLU_FALLBACK_INTENT,
                                                              OUT_OF_SCOPE_INTENT, UNLISTED_INTENT)]
    answered.append(Route(QUESTION_INTENT, ANSWER_ACTION, during_lookup=True))
    answered.append(Route(LOOKUP_INTENT, LOOKUP_FORM))
    answered.append(Route(FEEDBACK_INTENT, FEEDBACK_ACTION))
    answered.append(Route(ASK_FOR_PERSON_INTENT, REQUEST_PERSON_ACTION))
    answered += [Route(intent, conversation_response(reply)) for intent, reply in CONVERSATION_REPLIES.items()]
    return answered


def route_table(kb: KnowledgeBase) -> dict[str, Route]:
    return {route.intent: route for route in routes(kb)}


def routed_intents(kb: KnowledgeBase) -> list[str]:
    """The intents of every route, for the domain (nlu_fallback is Rasa's own)."""
    return [route.intent for route in routes(kb) if route.intent != NLU_FALLBACK_INTENT]


def interrupting_intents(kb: KnowledgeBase) -> list[str]:
    """Intents answered mid-lookup: what the user types then is not the requested detail."""
    return [route.intent for route in routes(kb) if route.during_lookup]
