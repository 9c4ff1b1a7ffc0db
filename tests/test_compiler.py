"""The compiler's output: up to date, complete, deterministic, bilingual and safe for Rasa."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.errors import StaleGeneratedFilesError
from bot.knowledge.compiler import (
    CATALOG_LOOKUPS,
    CATALOG_NLU,
    FAQ_NLU,
    JIEBA_DICTIONARY,
    RESPONSES,
    check_generated,
    compile_knowledge,
    write_generated,
)
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import ASPECTS, KnowledgeBase
from bot.knowledge.response_names import catalog_response, faq_response, lookup_response, unlisted_response
from bot.knowledge.routing import interrupting_intents, routes
from bot.settings import PROJECT_ROOT, Settings
from bot.text import HAN_CHARACTER, LANGUAGES
from tests.conftest import response_languages


def _responses(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    generated = yaml.safe_load(compile_knowledge(kb)[RESPONSES])["responses"]
    return {name: response_languages(variants) for name, variants in generated.items()}


def test_committed_generated_files_are_up_to_date(kb: KnowledgeBase, settings: Settings) -> None:
    """Fails when knowledge/ was edited without running `python -m bot compile`."""
    check_generated(compile_knowledge(kb), settings.generated_dir)


def test_an_edited_answer_makes_only_the_responses_stale(knowledge_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_generated(compile_knowledge(load_knowledge(knowledge_copy)), out)
    path = knowledge_copy / "faq" / "career_benefits.yml"
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry["answer"]["zh"] += "（已修订）"
    path.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    with pytest.raises(StaleGeneratedFilesError) as caught:
        check_generated(compile_knowledge(load_knowledge(knowledge_copy, check_reviews=False)), out)
    assert caught.value.stale == [RESPONSES]


def test_output_is_deterministic(kb: KnowledgeBase) -> None:
    assert compile_knowledge(kb) == compile_knowledge(kb)


def test_every_response_exists_in_every_language(kb: KnowledgeBase) -> None:
    for name, texts in _responses(kb).items():
        assert set(texts) == set(LANGUAGES), name
        assert HAN_CHARACTER.search(texts["zh"]), f"{name}: the Chinese text has no Chinese"


def test_every_answer_ends_in_its_source_line_in_both_languages(kb: KnowledgeBase) -> None:
    responses = _responses(kb)
    for entry in kb.faq:
        texts = responses[faq_response(entry.id)]
        for language in LANGUAGES:
            assert texts[language].startswith(entry.answer[language])
            assert entry.reviewed.isoformat() in texts[language].splitlines()[-1]
        assert texts["en"].splitlines()[-1].startswith("Source: ")
    for catalog_entry in kb.catalog:
        for aspect in ASPECTS:
            texts = responses[catalog_response(catalog_entry.id, aspect)]
            for language in LANGUAGES:
                assert "{" not in texts[language] and len(texts[language].splitlines()) == 2


def test_chinese_answers_cite_the_sources_by_their_chinese_titles(kb: KnowledgeBase) -> None:
    text = _responses(kb)[faq_response("post_competency_certificate")]["zh"]
    assert kb.sources["pre_job_training_certificate"].title["zh"] in text.splitlines()[-1]


def test_chinese_text_folded_from_several_lines_has_no_spaces_inside(kb: KnowledgeBase) -> None:
    gap = re.compile(f"{HAN_CHARACTER.pattern} {HAN_CHARACTER.pattern}")
    assert [entry.id for entry in kb.faq if gap.search(entry.answer["zh"])] == []


def test_lookup_replies_that_continue_with_an_faq_answer_end_with_its_source(kb: KnowledgeBase) -> None:
    responses = _responses(kb)
    for key in ("expiring", "expired", "not_found", "locked_out", "unavailable", "service_unavailable"):
        faq = kb.faq_entry(kb.lookup_replies[key].then_faq or "")
        for language in LANGUAGES:
            text = responses[lookup_response(key)][language]
            assert faq.answer[language] in text
            assert faq.reviewed.isoformat() in text.splitlines()[-1], (key, language)


def test_unknown_mandatory_is_answered_without_guessing(kb: KnowledgeBase) -> None:
    text = _responses(kb)[catalog_response("electrician", "needed")]["en"]
    assert text.startswith("Our sources do not say whether an electrician must hold a certificate by law")


def test_nlu_has_every_faq_entry_and_catalog_question_in_both_languages(kb: KnowledgeBase) -> None:
    files = compile_knowledge(kb)
    faq = {block["intent"]: block["examples"] for block in yaml.safe_load(files[FAQ_NLU])["nlu"]}
    assert set(faq) == {f"faq/{entry.id}" for entry in kb.faq}
    assert all(HAN_CHARACTER.search(examples) for examples in faq.values())
    catalog = {block["intent"]: block["examples"] for block in yaml.safe_load(files[CATALOG_NLU])["nlu"]}
    assert set(catalog) == {question.intent for question in kb.questions}
    assert all("](profession)" in text or "](certificate)" in text for text in catalog.values())
    assert all(HAN_CHARACTER.search(examples) for examples in catalog.values())


def test_lookup_tables_hold_every_alias_of_both_languages(kb: KnowledgeBase) -> None:
    blocks = yaml.safe_load(compile_knowledge(kb)[CATALOG_LOOKUPS])["nlu"]
    tables = {block["lookup"]: block["examples"] for block in blocks}
    for entry in kb.catalog:
        for language in LANGUAGES:
            for kind, aliases in entry.aliases[language].items():
                assert all(f"- {alias}\n" in tables[kind] for alias in aliases), (entry.id, language, kind)


def test_jieba_dictionary_keeps_chinese_aliases_whole(kb: KnowledgeBase) -> None:
    words = compile_knowledge(kb)[JIEBA_DICTIONARY].splitlines()
    assert "教师资格证" in words and "电工证" in words
    assert all(HAN_CHARACTER.search(word) for word in words)


def test_generated_rules_follow_the_routes(kb: KnowledgeBase) -> None:
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "generated" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    plain = {(r["steps"][0]["intent"], r["steps"][1]["action"]) for r in rules if "condition" not in r}
    assert plain == {(route.intent, route.action) for route in routes(kb)}
    mid_lookup = {r["steps"][0]["intent"] for r in rules if "condition" in r}
    assert mid_lookup == set(interrupting_intents(kb)) == {"faq", "ask_certificate_needed", "ask_certificate_expiry",
                                                            "ask_certificate_verify", "ask_about"}


def test_lookup_slots_do_not_take_a_question_as_the_answer(kb: KnowledgeBase) -> None:
    # A question asked mid-lookup is answered, so it must not also fill the requested slot.
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for slot in ("certificate_number", "holder_name"):
        [mapping] = domain["slots"][slot]["mappings"]
        assert set(mapping["not_intent"]) == {"cancel", *interrupting_intents(kb)}


def test_an_invitation_to_go_on_follows_only_an_answer_that_stands_alone(kb: KnowledgeBase) -> None:
    compiled = _responses(kb)
    entry = kb.faq_entry("expiry_and_renewal")
    assert entry.follow_up is not None
    for language in LANGUAGES:
        invitation = entry.follow_up[language]
        assert invitation in compiled[faq_response(entry.id)][language]
        assert invitation not in compiled[unlisted_response(entry.id)][language]
        assert invitation not in compiled[lookup_response("expired")][language]
