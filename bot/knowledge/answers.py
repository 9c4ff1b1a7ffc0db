"""Words the answers: fills the knowledge base's answer templates for one language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.knowledge.model import CatalogEntry, FaqEntry, KindRule, KnowledgeBase, Localized
from bot.text import fold_lines, join_sentences


def _fill(template: Localized, language: str, **values: str) -> str:
    # Folding white space removes the gaps left by optional fields that are empty.
    return fold_lines(template[language].format(**values))


def source_line(
    kb: KnowledgeBase, source_ids: Iterable[str], authority: Localized | None, reviewed: date, language: str
) -> str:
    """The line that ends an answer: what it rests on and when it was last reviewed."""
    separator = "；" if language == "zh" else "; "
    titles = separator.join(kb.sources[source_id].title[language] for source_id in source_ids)
    if authority is None:
        return _fill(kb.templates.source_line, language, sources=titles, reviewed=reviewed.isoformat())
    return _fill(
        kb.templates.source_line_with_authority,
        language,
        sources=titles,
        authority=authority[language],
        reviewed=reviewed.isoformat(),
    )


def with_source(kb: KnowledgeBase, answer: str, source_ids: Iterable[str], authority: Localized | None,
                reviewed: date, language: str) -> str:
    # One newline, not a blank line: Rasa's channels split a text at blank lines into
    # separate messages, and the source line belongs to its answer.
    return f"{answer}\n{source_line(kb, source_ids, authority, reviewed, language)}"


def _kind_name(category: str) -> str:
    # "a skill level certificate" -> "skill level certificate"
    return category.casefold().removeprefix("a ").removeprefix("an ")


def catalog_reviewed(kb: KnowledgeBase, entry: CatalogEntry) -> date:
    """A catalog answer is the entry's facts in the templates' words: reviewed when the later
    of the two was (a template's review covers the answers it words)."""
    return max(entry.reviewed, kb.templates.reviewed)


def catalog_answer(kb: KnowledgeBase, entry: CatalogEntry, aspect: str, language: str) -> str:
    """The answer to one aspect of a catalog entry, without its source line."""
    templates = kb.templates
    category = kb.categories[entry.category][language] if entry.category else ""
    # "电工职业技能等级证书，属于职业技能等级证书" says nothing: a name that already says its
    # kind gets no clause.
    clause = _fill(templates.category_clause, language, category=category) if category else ""
    if category and _kind_name(category) in entry.certificate[language].casefold():
        clause = ""
    ask = (entry.ask or templates.default_ask)[language]
    verify = entry.verify[language] if entry.verify else _fill(
        templates.verify_general, language, certificate=entry.certificate[language], ask=ask)
    values = {
        "title": entry.title[language],
        "profession": entry.profession[language],
        "certificate": entry.certificate[language],
        "category": category,
        "category_clause": clause,
        "note": entry.note[language] if entry.note else "",
        "validity": entry.validity[language] if entry.validity else "",
        "verify": verify,
        "ask": ask,
    }
    if aspect in entry.facts:
        return entry.facts[aspect][language]
    if aspect == "needed":
        return _fill(templates.needed[entry.mandatory], language, **values)
    if aspect == "expiry":
        template = templates.expiry_stated if entry.validity else templates.expiry_not_stated
        return _fill(template, language, **values)
    if aspect == "verify":
        return _fill(templates.verify, language, **values)
    if aspect == "overview":
        summary = _fill(templates.mandatory_summary[entry.mandatory], language, **values)
        expiry = catalog_answer(kb, entry, "expiry", language)
        return _fill(templates.overview, language, **values, mandatory_summary=summary, expiry=expiry)
    raise ValueError(f"unknown aspect {aspect!r}")


def faq_answer(entry: FaqEntry, language: str) -> str:
    """An FAQ entry's answer as it stands alone, with its invitation to go on, if it has one."""
    if entry.follow_up is None:
        return entry.answer[language]
    return join_sentences(entry.answer[language], entry.follow_up[language], language)


def ask_which_entry(kb: KnowledgeBase, language: str) -> str:
    """The question asked when a user names no job or certificate we know."""
    titles = ("、" if language == "zh" else ", ").join(entry.title[language] for entry in kb.catalog)
    return _fill(kb.templates.ask_which, language, titles=titles)


def lookup_reply(kb: KnowledgeBase, reply: str, language: str) -> str:
    """A lookup reply's text with its {placeholders}; a reply that refers to an FAQ entry
    continues with that entry's answer. A reply that states a fact ends with a source line:
    what it rests on (the certificate database, the source of its caveat) and the FAQ
    entry's sources."""
    template = kb.lookup_replies[reply]
    text = template.text[language]
    sources = list(template.sources)
    reviewed = template.reviewed
    authority = None
    if template.then_faq:
        entry = kb.faq_entry(template.then_faq)
        text = join_sentences(text, entry.answer[language], language)
        sources += [source for source in entry.sources if source not in sources]
        reviewed = max(reviewed, entry.reviewed)
        authority = entry.authority
    if not sources:
        return text
    return with_source(kb, text, sources, authority, reviewed, language)


def scope_reply(kb: KnowledgeBase, key: str, language: str) -> str:
    """A reply of scope.yml that stands alone ("not covered"), with its source line."""
    scope = kb.scope
    return with_source(kb, scope.replies[key][language], scope.reply_sources.get(key, ()), None, scope.reviewed,
                       language)


def kind_answer(kb: KnowledgeBase, kind: KindRule, language: str) -> str:
    """What our sources say one kind of certificate is: its name among the four kinds and
    their example of it, and that they define it no further."""
    assert kind.category is not None and kind.example is not None  # the loader requires both
    text = kb.scope.replies["kind_what_is"][language].format(
        kind=kb.categories[kind.category][language], example=kind.example[language])
    return with_source(kb, text, kb.scope.reply_sources.get("kind_what_is", ()), None, kb.scope.reviewed, language)


def unlisted_answer(kb: KnowledgeBase, faq_id: str | None, language: str) -> str:
    """The answer about a certificate or job without a catalog entry: says so (its {name} is
    filled in when sent), where to check, then the general rule from an FAQ entry, if any;
    its source line names what both parts rest on."""
    scope = kb.scope
    text = join_sentences(scope.replies["unlisted"][language], scope.replies["where_to_check"][language], language)
    sources = list(scope.reply_sources.get("where_to_check", ()))
    if faq_id is None:
        return with_source(kb, text, sources, None, scope.reviewed, language)
    entry = kb.faq_entry(faq_id)
    general = join_sentences(scope.replies["unlisted_general_rule"][language], entry.answer[language], language)
    sources += [source for source in entry.sources if source not in sources]
    return with_source(kb, join_sentences(text, general, language), sources, None,
                       max(scope.reviewed, entry.reviewed), language)


def entry_general_answer(kb: KnowledgeBase, faq_id: str, language: str) -> str:
    """The general rule of one FAQ entry about a catalog entry that has no fact of its own on
    that aspect: says so first (its {certificate} and {ask} are filled in when sent)."""
    scope = kb.scope
    entry = kb.faq_entry(faq_id)
    text = join_sentences(scope.replies["entry_general_rule"][language], entry.answer[language], language)
    return with_source(kb, text, entry.sources, entry.authority, max(scope.reviewed, entry.reviewed), language)
