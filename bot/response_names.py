"""Names of the responses the compiler generates, shared by the compiler and the actions."""

from __future__ import annotations

FAQ_INTENT = "faq"
ASK_WHICH_CATALOG_ENTRY = "utter_ask_which_catalog_entry"


def faq_response(entry_id: str) -> str:
    """The retrieval response that answers one FAQ entry."""
    return f"utter_{FAQ_INTENT}/{entry_id}"


def faq_entry_id(intent_response_key: str) -> str:
    """The FAQ entry id in a response selector key such as 'faq/expiry_and_renewal'."""
    return intent_response_key.split("/", 1)[1]


def catalog_response(entry_id: str, aspect: str) -> str:
    """The response that answers one aspect (needed, expiry, ...) of one catalog entry."""
    return f"utter_catalog_{entry_id}__{aspect}"


def lookup_response(reply: str) -> str:
    """The response for one certificate lookup result (valid, expired, not_found, ...)."""
    return f"utter_lookup_{reply}"


def describe_response(name: str) -> str:
    """Which knowledge entry a response name answers from, for people (the debug shell)."""
    faq_prefix, catalog_prefix, lookup_prefix = faq_response(""), catalog_response("", ""), lookup_response("")
    if name.startswith(faq_prefix):
        return f"FAQ entry '{name.removeprefix(faq_prefix)}'"
    catalog_prefix = catalog_prefix.removesuffix("__")
    if name.startswith(catalog_prefix) and "__" in name:
        entry_id, aspect = name.removeprefix(catalog_prefix).rsplit("__", 1)
        return f"catalog entry '{entry_id}', aspect '{aspect}'"
    if name.startswith(lookup_prefix):
        return f"certificate lookup reply '{name.removeprefix(lookup_prefix)}'"
    return f"response '{name}'"
