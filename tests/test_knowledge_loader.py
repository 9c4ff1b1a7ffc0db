"""The loader accepts the real knowledge base and reports each kind of mistake precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import Problem
from bot.knowledge.loader import MIN_PHRASINGS, load_knowledge
from bot.knowledge.model import KnowledgeBase
from tests.conftest import problems_of


def edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_real_knowledge_base_loads(kb: KnowledgeBase) -> None:
    assert len(kb.faq) >= 12
    required = {
        "teacher", "doctor", "lawyer", "certified_public_accountant", "constructor", "fire_engineer",
        "special_equipment_operator", "electrician", "safety_production_manager", "tour_guide",
        "security", "finance", "insurance",
    }
    assert required <= {entry.id for entry in kb.catalog}
    assert all(len(entry.phrasings[language]) >= MIN_PHRASINGS for entry in kb.faq for language in ("en", "zh"))


def test_missing_answer_is_reported_with_file_entry_and_field(knowledge_copy: Path) -> None:
    edit(knowledge_copy / "faq" / "how_to_obtain.yml", answer=None)
    [problem] = problems_of(knowledge_copy)
    assert problem == Problem("knowledge/faq/how_to_obtain.yml", "how_to_obtain", "answer", "missing")


def test_duplicate_id_is_reported_for_both_files(knowledge_copy: Path) -> None:
    source = knowledge_copy / "faq" / "how_to_obtain.yml"
    copy = knowledge_copy / "faq" / "how_to_obtain_again.yml"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    messages = [str(p) for p in problems_of(knowledge_copy)]
    assert any("how_to_obtain_again.yml" in m and "file is named" in m for m in messages)
    assert any("id 'how_to_obtain' is also used by entry 'how_to_obtain'" in m for m in messages)


def test_unknown_category_names_the_allowed_ones(knowledge_copy: Path) -> None:
    edit(knowledge_copy / "catalog" / "teacher.yml", category="famous_job")
    [problem] = problems_of(knowledge_copy)
    assert (problem.file, problem.entry, problem.field) == ("knowledge/catalog/teacher.yml", "teacher", "category")
    assert "'famous_job' is not allowed" in problem.message and "skill_level" in problem.message


@pytest.mark.parametrize("value", ["22/11/2026", "2026-13-01", "yesterday"])
def test_bad_date_is_reported(knowledge_copy: Path, value: str) -> None:
    edit(knowledge_copy / "faq" / "career_benefits.yml", reviewed=value)
    [problem] = problems_of(knowledge_copy)
    assert problem.field == "reviewed" and "YYYY-MM-DD" in problem.message


def test_future_review_date_is_reported(knowledge_copy: Path) -> None:
    edit(knowledge_copy / "faq" / "career_benefits.yml", reviewed="2999-01-01")
    [problem] = problems_of(knowledge_copy)
    assert problem.field == "reviewed" and "in the future" in problem.message


def test_alias_shared_by_two_entries_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "catalog" / "doctor.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["aliases"]["en"]["profession"].append("Teachers")
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    messages = [str(p) for p in problems_of(knowledge_copy)]
    assert any(
        "knowledge/catalog/teacher.yml" in m and "alias 'teachers' is also used by entry 'doctor'" in m
        for m in messages
    ), messages


def test_every_problem_is_reported_not_just_the_first(knowledge_copy: Path) -> None:
    edit(knowledge_copy / "faq" / "how_to_obtain.yml", answer=None, sources=["no_such_source"])
    edit(knowledge_copy / "catalog" / "lawyer.yml", mandatory="maybe", colour="blue")
    fields = {(p.entry, p.field) for p in problems_of(knowledge_copy)}
    assert fields == {
        ("how_to_obtain", "answer"), ("how_to_obtain", "sources"), ("lawyer", "mandatory"), ("lawyer", "colour"),
        # its evidence quotes a source the entry no longer cites
        ("how_to_obtain", "evidence.answer"),
    }


def test_too_few_phrasings_and_duplicates_across_entries(knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "career_benefits.yml"
    zh = yaml.safe_load(path.read_text(encoding="utf-8"))["phrasings"]["zh"]
    edit(path, phrasings={"en": ["what is a qualification certificate"], "zh": zh})
    messages = [str(p) for p in problems_of(knowledge_copy)]
    assert any("has 1 item(s); at least 12" in m for m in messages)
    assert any("phrasing 'what is a qualification certificate' is also used" in m for m in messages)


def test_invalid_yaml_reports_line(knowledge_copy: Path) -> None:
    (knowledge_copy / "faq" / "career_benefits.yml").write_text("id: career_benefits\nanswer: [unclosed\n")
    [problem] = problems_of(knowledge_copy)
    assert problem.file == "knowledge/faq/career_benefits.yml" and "not valid YAML at line" in problem.message


def test_a_text_without_chinese_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "what_is_a_qualification_certificate.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["answer"]["zh"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [problem] = problems_of(knowledge_copy)
    assert (problem.file, problem.entry, problem.field) == (
        "knowledge/faq/what_is_a_qualification_certificate.yml", "what_is_a_qualification_certificate", "answer")
    assert "has no 'zh' text" in problem.message


def test_a_catalog_entry_without_chinese_aliases_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "catalog" / "teacher.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["aliases"]["zh"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [problem] = problems_of(knowledge_copy)
    assert (problem.entry, problem.field) == ("teacher", "aliases") and "'zh'" in problem.message


def test_chinese_folded_over_lines_keeps_no_space_inside(knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "what_is_a_qualification_certificate.yml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["answer"]["zh"] = "资格证书是\n证明能力的凭证。 It is, in English,\nproof of ability."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    kb = load_knowledge(knowledge_copy, check_reviews=False)
    answer = kb.faq_entry("what_is_a_qualification_certificate").answer["zh"]
    assert answer == "资格证书是证明能力的凭证。 It is, in English, proof of ability."


def test_answer_with_template_braces_is_rejected(knowledge_copy: Path) -> None:
    edit(knowledge_copy / "faq" / "career_benefits.yml", answer={"en": "Pay rises by {percent}.", "zh": "收入提高。"})
    [problem] = problems_of(knowledge_copy)
    assert problem.field == "answer.en" and "[ ] { }" in problem.message


def test_lookup_reply_mistakes_are_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "lookup_replies.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["valid"]["en"] = "Valid for {holder_id}."
    data["expired"]["then_faq"] = "no_such_entry"
    del data["revoked"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    messages = {str(p) for p in problems_of(knowledge_copy)}
    assert messages == {
        "knowledge/lookup_replies.yml, entry 'valid', field 'en': unknown placeholder(s): holder_id",
        "knowledge/lookup_replies.yml, entry 'expired', field 'then_faq': 'no_such_entry' is not an FAQ entry id",
        "knowledge/lookup_replies.yml, entry 'revoked': missing",
    }


def test_a_general_question_naming_one_job_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "faq" / "expiry_and_renewal.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["phrasings"]["zh"].append("导游证过期了咋整")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [problem] = problems_of(knowledge_copy)
    assert (problem.entry, problem.field) == ("expiry_and_renewal", "phrasings.zh")
    assert "names the catalog entry 'tour_guide'" in problem.message


def test_a_reply_sent_on_its_own_must_name_its_sources(knowledge_copy: Path) -> None:
    scope = knowledge_copy / "scope.yml"
    text = scope.read_text(encoding="utf-8")
    line = "  abroad: [qualification_certificate_explainer, pre_job_training_certificate, national_catalog_2021]\n"
    assert line in text
    scope.write_text(text.replace(line, ""), encoding="utf-8")
    problems = [p for p in problems_of(knowledge_copy) if p.field == "abroad"]
    assert problems and "names the documents it rests on" in str(problems[0]), problems


def test_a_kinds_example_must_be_given_and_quoted_from_a_source(knowledge_copy: Path) -> None:
    path = knowledge_copy / "aspects.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["kinds"]["skill_level"]["example"]
    unquoted = [{"qualification_certificate_explainer": "a permit to fly"}]
    data["kinds"]["industry_access"]["evidence"]["example"] = unquoted
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = {(p.entry, p.field) for p in problems_of(knowledge_copy)}
    assert ("kinds.skill_level", "example") in problems
    assert any(entry == "kinds.industry_access" and field.startswith("evidence.example") for entry, field in problems)


def test_an_aspects_button_question_must_name_the_certificate_once(knowledge_copy: Path) -> None:
    path = knowledge_copy / "aspects.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["aspects"]["validity"]["question"] = {"en": "How long is it valid?",
                                               "zh": "{certificate}{profession}有效期多久？"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = {(p.entry, p.field) for p in problems_of(knowledge_copy)}
    assert {("aspects.validity", "question.en"), ("aspects.validity", "question.zh")} <= problems
