"""The compiler's output: up to date, complete, deterministic, and safe for Rasa."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.compiler import (
    CATALOG_NLU,
    ENTITY_PATTERNS,
    FAQ_NLU,
    RESPONSES,
    check_generated,
    compile_knowledge,
    write_generated,
)
from bot.errors import StaleGeneratedFilesError
from bot.knowledge import ASPECTS, KnowledgeBase
from bot.knowledge_loader import load_knowledge
from bot.response_names import catalog_response, faq_response
from bot.settings import PROJECT_ROOT, Settings


def test_committed_generated_files_are_up_to_date(kb: KnowledgeBase, settings: Settings) -> None:
    """Fails when knowledge/ was edited without running `python -m bot compile`."""
    check_generated(compile_knowledge(kb, settings.language), settings.generated_dir)


def test_an_edited_entry_makes_the_generated_files_stale(knowledge_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_generated(compile_knowledge(load_knowledge(knowledge_copy), "en"), out)
    entry = knowledge_copy / "faq" / "career_benefits.yml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("noticeably", "much"), encoding="utf-8")
    with pytest.raises(StaleGeneratedFilesError) as caught:
        check_generated(compile_knowledge(load_knowledge(knowledge_copy), "en"), out)
    assert caught.value.stale == [RESPONSES]


def test_output_is_deterministic(kb: KnowledgeBase) -> None:
    assert compile_knowledge(kb, "en") == compile_knowledge(kb, "en")


def test_every_answer_has_a_response_ending_in_its_source_line(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb, "en")[RESPONSES])["responses"]
    for entry in kb.faq:
        [response] = responses[faq_response(entry.id)]
        assert response["text"].startswith(entry.answer["en"])
        assert response["text"].splitlines()[-1].startswith("Source: ")
        assert f"Last reviewed {entry.reviewed.isoformat()}." in response["text"]
    for catalog_entry in kb.catalog:
        for aspect in ASPECTS:
            [response] = responses[catalog_response(catalog_entry.id, aspect)]
            assert "{" not in response["text"] and "Source: " in response["text"]


def test_source_line_names_the_authority_when_the_entry_has_one(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb, "en")[RESPONSES])["responses"]
    text = responses[faq_response("jobs_requiring_certificate")][0]["text"]
    assert "Source: Ministry of Human Resources and Social Security, National Vocational Qualification Catalog" in text


def test_unknown_mandatory_is_answered_without_guessing(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb, "en")[RESPONSES])["responses"]
    text = responses[catalog_response("electrician", "needed")][0]["text"]
    assert text.startswith("Our sources do not say whether an electrician must hold a certificate by law")
    assert "appraisal centre" in text


def test_nlu_has_every_faq_entry_and_catalog_question(kb: KnowledgeBase) -> None:
    files = compile_knowledge(kb, "en")
    faq_intents = {block["intent"] for block in yaml.safe_load(files[FAQ_NLU])["nlu"]}
    assert faq_intents == {f"faq/{entry.id}" for entry in kb.faq}
    catalog = {block["intent"]: block["examples"] for block in yaml.safe_load(files[CATALOG_NLU])["nlu"]}
    assert set(catalog) == {question.intent for question in kb.questions}
    assert all("](profession)" in text or "](certificate)" in text for text in catalog.values())


def test_patterns_cover_every_alias_with_its_entry_id(kb: KnowledgeBase) -> None:
    patterns = [json.loads(line) for line in compile_knowledge(kb, "en")[ENTITY_PATTERNS].splitlines()]
    assert {"label": "profession", "pattern": "tour guides", "id": "tour_guide"} in patterns
    assert {p["id"] for p in patterns} == {entry.id for entry in kb.catalog}
    assert len(patterns) == sum(
        len(aliases) for entry in kb.catalog for aliases in entry.aliases["en"].values()
    )


def test_domain_lists_every_catalog_intent(kb: KnowledgeBase) -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert {question.intent for question in kb.questions} <= set(domain["intents"])
