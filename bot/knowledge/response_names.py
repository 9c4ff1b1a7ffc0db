"""Names of the responses the compiler generates, shared by the compiler and the actions."""

from __future__ import annotations

FAQ_INTENT = "faq"
# The slot that holds the conversation's language, filled from the entity of the same name
# that the language detector adds to each message with a clear language.
LANGUAGE_SLOT = "language"
ASK_WHICH_CATALOG_ENTRY = "utter_ask_which_catalog_entry"
# "Did you mean" buttons, and the reply to a message not understood at all.
DID_YOU_MEAN = "utter_did_you_mean"
NOT_UNDERSTOOD = "utter_default"
# No "/" in the name: Rasa would take "utter_faq/<id>" for a retrieval response and put its
# text into the NLU training data, so that editing an answer would train the NLU again.
FAQ_PREFIX = f"utter_{FAQ_INTENT}_answer__"
CATALOG_PREFIX = "utter_catalog_"
ASPECT_SEPARATOR = "__"
LOOKUP_PREFIX = "utter_lookup_"
# Answers beyond the knowledge (knowledge/scope.yml): a certificate or job without a catalog
# entry, and a topic no entry holds. Their {placeholders} are filled in when sent.
UNLISTED = "utter_unlisted"
# A certificate or job asked about outside China: the knowledge covers China only.
UNLISTED_ABROAD = "utter_unlisted_abroad"
UNCOVERED = "utter_uncovered"
OUT_OF_SCOPE = "utter_out_of_scope"
# The general rule (an FAQ entry's answer) for an aspect that a catalog entry has no fact of
# its own on, marked as general; its {certificate} and {ask} are filled in when sent.
ENTRY_GENERAL = "utter_entry_general"
# What our sources say a kind of certificate is (knowledge/aspects.yml's kinds with a category).
KIND_PREFIX = "utter_kind__"


def conversation_response(key: str) -> str:
    """The response for one reply of knowledge/conversation_replies.yml (greet, help, ...)."""
    return f"utter_{key}"


def faq_response(entry_id: str) -> str:
    """The response that answers one FAQ entry."""
    return f"{FAQ_PREFIX}{entry_id}"


def faq_entry_id(intent_response_key: str) -> str:
    """The FAQ entry id in a response selector key such as 'faq/expiry_and_renewal'."""
    return intent_response_key.split("/", 1)[1]


def unlisted_response(faq_id: str) -> str:
    """The answer about an unlisted certificate or job that ends with one FAQ entry's answer."""
    return f"{UNLISTED}{ASPECT_SEPARATOR}{faq_id}"


def entry_general_response(faq_id: str) -> str:
    """The answer that gives one FAQ entry's general rule about a catalog entry's certificate."""
    return f"{ENTRY_GENERAL}{ASPECT_SEPARATOR}{faq_id}"


def general_rule_of(response: str) -> str | None:
    """The FAQ entry whose general rule a response gives, if it gives one."""
    for prefix in (FAQ_PREFIX, f"{ENTRY_GENERAL}{ASPECT_SEPARATOR}", f"{UNLISTED}{ASPECT_SEPARATOR}"):
        if response.startswith(prefix):
            return response.removeprefix(prefix)
    return None


def kind_response(kind_id: str) -> str:
    """The response that says what our sources say one kind of certificate is."""
    return f"{KIND_PREFIX}{kind_id}"


def catalog_response(entry_id: str, aspect: str) -> str:
    """The response that answers one aspect (needed, expiry, ...) of one catalog entry."""
    return f"{CATALOG_PREFIX}{entry_id}{ASPECT_SEPARATOR}{aspect}"


def lookup_response(reply: str) -> str:
    """The response for one certificate lookup result (valid, expired, not_found, ...)."""
    return f"{LOOKUP_PREFIX}{reply}"


def describe_response(name: str) -> str:
    """Which knowledge entry a response name answers from, for people (the debug shell)."""
    if name.startswith(FAQ_PREFIX):
        return f"FAQ entry '{name.removeprefix(FAQ_PREFIX)}'"
    if name.startswith(CATALOG_PREFIX) and ASPECT_SEPARATOR in name:
        entry_id, aspect = name.removeprefix(CATALOG_PREFIX).rsplit(ASPECT_SEPARATOR, 1)
        return f"catalog entry '{entry_id}', aspect '{aspect}'"
    if name.startswith(LOOKUP_PREFIX):
        return f"certificate lookup reply '{name.removeprefix(LOOKUP_PREFIX)}'"
    if name.startswith(KIND_PREFIX):
        return f"kind of certificate '{name.removeprefix(KIND_PREFIX)}' (knowledge/aspects.yml)"
    return f"response '{name}'"
