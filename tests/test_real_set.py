"""The real-question set: its labels follow LABELLING.md, its held-out third stays apart, and
the grading of an answer is right, hedged or wrong as that file says."""

from __future__ import annotations

import pytest

from bot.dialogue.answering import Reply
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import (
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
    catalog_response,
    entry_general_response,
    faq_response,
    unlisted_response,
)
from bot.understanding.gate import FINDINGS_KEY
from tests.real_set import (
    REAL_SETS,
    SECOND_LABELLINGS,
    RealQuestion,
    failure_cause,
    grade,
    label_problems,
    load_real_set,
)


def test_every_label_follows_the_rules(kb: KnowledgeBase) -> None:
    catalog_ids = {entry.id for entry in kb.catalog}
    problems = [f"{name}: {question.text!r}: {problem}" for name, path in REAL_SETS.items()
                for question in load_real_set(path) for problem in label_problems(question, catalog_ids)]
    assert not problems, "\n".join(problems)


def test_the_second_labelling_is_of_tuning_questions_by_the_same_rules(kb: KnowledgeBase) -> None:
    catalog_ids = {entry.id for entry in kb.catalog}
    tuning = {question.text for question in load_real_set(REAL_SETS["tune"])}
    for path in SECOND_LABELLINGS:
        second = load_real_set(path)
        assert len(second) >= 100 and {question.text for question in second} <= tuning
        assert not [problem for question in second for problem in label_problems(question, catalog_ids)]


def test_the_set_is_large_enough_and_the_held_out_third_apart() -> None:
    tune, heldout = (load_real_set(REAL_SETS[name]) for name in ("tune", "heldout"))
    everything = tune + heldout
    assert len(everything) >= 400 and sum(q.language == "zh" for q in everything) >= 280
    assert len(heldout) >= len(everything) // 4
    assert not {q.text for q in tune} & {q.text for q in heldout}


def question(subject: str, *aspects: str) -> RealQuestion:
    return RealQuestion("…", "zh", "https://example.com", subject, aspects)


@pytest.mark.parametrize(
    ("asked", "reply", "verdict"),
    [
        (question("constructor", "validity"), Reply(catalog_response("constructor", "expiry"), "constructor"), "right"),
        (question("constructor", "registration"), Reply(catalog_response("constructor", "expiry"), "constructor"),
         "wrong"),
        (question("constructor", "validity"), Reply(faq_response("expiry_and_renewal"), "x"), "hedged"),
        (question("constructor", "validity", "verify"), Reply(catalog_response("constructor", "verify"), "x"),
         "hedged"),
        (question("teacher", "needed"), Reply(catalog_response("doctor", "needed"), "doctor"), "wrong"),
        (question("constructor", "fees"), Reply(UNCOVERED, "constructor"), "right"),
        (question("general", "verify"), Reply(faq_response("verify_authenticity"), "x"), "right"),
        (question("general", "verify"), Reply(OUT_OF_SCOPE, "out_of_scope"), "wrong"),
        (question("general", "verify"), Reply("utter_did_you_mean", "suggestions"), "hedged"),
        (question("unlisted:瑜伽老师", "needed"), Reply(UNLISTED, "unlisted", values={"name": "瑜伽老师"}), "right"),
        (question("unlisted:瑜伽老师", "needed"), Reply(UNLISTED, "unlisted", values={"name": "找人工"}), "wrong"),
        # Either side may leave out the certificate word; another name is still wrong.
        (question("unlisted:八大员证", "recognition"), Reply(UNLISTED, "unlisted", values={"name": "建筑施工八大员"}),
         "right"),
        (question("unlisted:八大员证", "recognition"), Reply(UNLISTED, "unlisted", values={"name": "安全员证"}),
         "wrong"),
        (question("unlisted:瑜伽老师", "needed"), Reply(catalog_response("teacher", "needed"), "teacher"), "wrong"),
        # Two aspects, two answers; the general rule about an entry, marked as general.
        (question("teacher", "validity", "verify"),
         Reply(catalog_response("teacher", "expiry"), "teacher", more=(Reply(catalog_response("teacher", "verify"),
                                                                              "teacher"),)), "right"),
        (question("constructor", "registration"),
         Reply(entry_general_response("certificate_vs_practice_license"), "constructor"), "right"),
        (question("constructor", "registration"),
         Reply(entry_general_response("certificate_vs_practice_license"), "doctor"), "wrong"),
        (question("constructor", "validity", "verify"),
         Reply(catalog_response("constructor", "expiry"), "constructor",
               more=(Reply(catalog_response("doctor", "verify"), "doctor"),)), "wrong"),
        (question("unlisted:焊工证", "validity", "verify"),
         Reply(unlisted_response("expiry_and_renewal"), "unlisted", values={"name": "焊工证"},
               more=(Reply(faq_response("verify_authenticity"), "verify_authenticity"),)), "right"),
        # A certificate of a kind without an entry of its own: "no entry for it" is the honest
        # line, and answers nothing by itself.
        (question("kind:catalog", "obtain"),
         Reply(unlisted_response("how_to_obtain"), "unlisted", values={"name": "焊工"}), "right"),
        (question("kind:catalog", "needed"), Reply(UNLISTED, "unlisted", values={"name": "焊工"},
                                                    more=(Reply(faq_response("access_type_skilled_qualifications"),
                                                                "x"),)), "right"),
        (question("kind:catalog", "needed"), Reply(UNLISTED, "unlisted", values={"name": "焊工"}), "wrong"),
        (question("other_certificate"), Reply(OUT_OF_SCOPE, "out_of_scope"), "right"),
        (question("other_certificate"), Reply(faq_response("expiry_and_renewal"), "x"), "wrong"),
    ],
)
def test_grading(asked: RealQuestion, reply: Reply, verdict: str) -> None:
    assert grade(asked, reply) == verdict


def _parsed(**found: object) -> dict[str, object]:
    """A parsed message carrying the gate's findings."""
    findings = {"entry": None, "unlisted": None, "unknown": None, "uncovered": None, "aspects": [], "kind": None,
                "relatedness": {"domain_word": True, "trade": False, "other_meaning": False}, **found}
    return {"text": "…", FINDINGS_KEY: findings}


@pytest.mark.parametrize(
    ("asked", "parsed", "reply", "cause"),
    [
        (question("other_certificate"), _parsed(), Reply(faq_response("expiry_and_renewal"), "x"),
         "other_certificate not declined"),
        (question("teacher", "needed"), _parsed(entry="teacher"), Reply(OUT_OF_SCOPE, "out_of_scope"),
         "certificate question declined"),
        (question("teacher", "needed"), _parsed(entry="doctor", aspects=["needed"]),
         Reply(catalog_response("doctor", "needed"), "doctor"), "subject: another entry or none"),
        (question("unlisted:叉车证", "needed"), _parsed(aspects=["needed"]),
         Reply(faq_response("jobs_requiring_certificate"), "x"),
         "subject: unlisted name not found"),
        (question("constructor", "registration"), _parsed(entry="constructor", aspects=["obtain"]),
         Reply(catalog_response("constructor", "overview"), "constructor"), "aspects misread"),
        (question("constructor", "registration"), _parsed(entry="constructor", aspects=["registration"]),
         Reply(catalog_response("constructor", "overview"), "constructor"), "answer composed wrong"),
        (question("general", "verify"), _parsed(aspects=["verify"]), Reply("utter_did_you_mean", "suggestions"),
         "no answer (utter_did_you_mean)"),
    ],
)
def test_failure_cause_names_the_first_step_that_went_astray(asked: RealQuestion, parsed: dict[str, object],
                                                             reply: Reply, cause: str) -> None:
    assert failure_cause(asked, parsed, reply) == cause
