"""Say only what the sources say, and show where it comes from: every fact points to its
source, every reply that states one ends with a source line, and no text changes without a
review on record."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from bot.knowledge.compiler import RESPONSES, compile_knowledge
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import ASK_WHICH_CATALOG_ENTRY, conversation_response, lookup_response
from bot.knowledge.reviews import record_reviews
from bot.settings import PROJECT_ROOT
from tests.conftest import problems_of

SOURCE_LINE = {
    "en": re.compile(r"\nSource: .+\. Last reviewed (\d{4}-\d{2}-\d{2})\.$"),
    "zh": re.compile(r"\n来源：.+。最后审核：(\d{4}-\d{2}-\d{2})。$"),
}
# Replies that state no fact: the lookup's prompts, and the question "which job do you mean?".
PROMPTS = {lookup_response("invalid_number"), lookup_response("invalid_name"), ASK_WHICH_CATALOG_ENTRY}


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_reply_that_states_a_fact_ends_with_its_source_and_review_date(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb)[RESPONSES])["responses"]
    conversation = {conversation_response(key) for key in kb.conversation_replies}
    checked = 0
    for name, variations in responses.items():
        if name in conversation or name in PROMPTS:
            continue
        for variation in variations:
            language = "zh" if variation.get("condition") else "en"
            match = SOURCE_LINE[language].search(variation["text"])
            assert match, f"{name} ({language}) has no source line: {variation['text']!r}"
            assert date.fromisoformat(match.group(1)) <= date.today()
            checked += 1
    assert checked > 200  # every FAQ, catalog, lookup and scope reply, in both languages


def test_every_entry_points_to_its_sources_for_each_fact(kb: KnowledgeBase) -> None:
    # load_knowledge rejects a missing or wrong pointer (tests below); here: they are there.
    for path in sorted((PROJECT_ROOT / "knowledge").glob("*/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("evidence"), f"{path.name} has no evidence"


def test_a_phrase_not_in_its_source_is_reported(knowledge_copy: Path) -> None:
    replace_in(knowledge_copy / "faq" / "how_to_obtain.yml", "passing a unified exam or evaluation",
               "passing a unified exam or a short interview")
    [problem] = problems_of(knowledge_copy)
    assert (problem.file, problem.entry, problem.field) == ("knowledge/faq/how_to_obtain.yml", "how_to_obtain",
                                                            "evidence.answer")
    assert "is not in the source 'qualification_certificate_explainer'" in problem.message


def test_a_fact_without_evidence_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "catalog" / "teacher.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["evidence"]["note"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [problem] = problems_of(knowledge_copy)
    assert (problem.entry, problem.field) == ("teacher", "evidence.note") and "missing" in problem.message


def test_a_source_the_entry_does_not_cite_is_reported(knowledge_copy: Path) -> None:
    replace_in(knowledge_copy / "catalog" / "teacher.yml",
               "sources: [qualification_certificate_explainer, national_catalog_2021]",
               "sources: [qualification_certificate_explainer]")
    messages = [str(problem) for problem in problems_of(knowledge_copy)]
    assert any("quotes 'national_catalog_2021', which the entry's `sources` do not list" in m for m in messages)


def test_a_text_changed_after_its_review_is_reported_until_reviewed(knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "career_benefits.yml"
    replace_in(path, "noticeably more competitive", "much more competitive")
    [problem] = problems_of(knowledge_copy)
    assert (problem.file, problem.entry, problem.field) == ("knowledge/faq/career_benefits.yml", "career_benefits",
                                                            "reviewed")
    assert "changed after the review of" in problem.message and "bot reviewed faq/career_benefits" in problem.message
    record_reviews(load_knowledge(knowledge_copy, check_reviews=False), knowledge_copy, ["faq/career_benefits"],
                   date.today())
    assert load_knowledge(knowledge_copy).faq_entry("career_benefits").reviewed == date.today()


def test_a_date_changed_without_a_review_is_reported(knowledge_copy: Path) -> None:
    replace_in(knowledge_copy / "lookup_replies.yml", "reviewed: 2026-12-06", "reviewed: 2026-12-01")
    [problem] = problems_of(knowledge_copy)
    assert problem.file == "knowledge/lookup_replies.yml" and "the review on record is of 2026-12-06" in problem.message


def test_a_reply_on_a_changed_template_shows_the_templates_review(knowledge_copy: Path) -> None:
    replace_in(knowledge_copy / "answer_templates.yml", "For a definite answer, ask {ask}.",
               "For a definite answer, please ask {ask}.")
    record_reviews(load_knowledge(knowledge_copy, check_reviews=False), knowledge_copy, ["answer_templates"],
                   date.today())
    responses = yaml.safe_load(compile_knowledge(load_knowledge(knowledge_copy))[RESPONSES])["responses"]
    assert f"Last reviewed {date.today().isoformat()}." in responses["utter_catalog_finance__needed"][0]["text"]


def test_a_name_that_already_says_its_kind_gets_no_kind_clause(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb)[RESPONSES])["responses"]
    [en, zh] = [v["text"] for v in responses["utter_catalog_electrician__needed"]]
    assert "电工职业技能等级证书，属于职业技能等级证书" not in zh and "电工职业技能等级证书" in zh
    assert "which is a skill level certificate" in en  # "electrician level certificate" does not say it


def test_a_certificate_without_its_own_check_gets_the_general_methods_marked_as_general(kb: KnowledgeBase) -> None:
    responses = yaml.safe_load(compile_knowledge(kb)[RESPONSES])["responses"]
    [en, zh] = [v["text"] for v in responses["utter_catalog_constructor__verify"]]
    assert "three general ways" in en and "They do not say which of these covers" in en
    assert "nor that they may practise" in en
    assert "三种通用的核验办法" in zh and "也不等于可以执业" in zh
