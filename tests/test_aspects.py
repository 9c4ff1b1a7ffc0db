"""Questions read by subject and aspect (knowledge/aspects.yml), and answered aspect by aspect:
the issue's examples, each with what a classifier might have made of it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialogue.answering import Dialogue, Reply
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.response_names import (
    OUT_OF_SCOPE,
    UNCOVERED,
    UNLISTED,
    UNLISTED_ABROAD,
    catalog_response,
    entry_general_response,
    faq_response,
    kind_response,
    unlisted_response,
)
from bot.knowledge.routing import QUESTION_INTENT
from bot.understanding.aspects import AspectReader
from bot.understanding.gate import FINDINGS_KEY, DomainGate


@pytest.fixture(scope="module")
def reader(kb: KnowledgeBase) -> AspectReader:
    return AspectReader(kb)


@pytest.mark.parametrize(
    ("text", "aspects", "kind"),
    [
        ("二建证书需要注册才能用吗", ("registration",), None),
        ("how long is a teacher certificate valid and how do I check it is real?", ("validity", "verify"), None),
        ("焊工三级算什么水平", ("types_levels",), None),
        ("特种作业操作证是准入类的吗", (), "access_skilled"),
        ("精算师证书还有吗", ("reform_cancellation",), "catalog_changes"),
        # 注册会计师 is a name: it asks nothing about registration.
        ("注册会计师证书有效期多久", ("validity",), None),
        # A weak aspect in a clause of its own counts; beside a strong one it does not.
        ("考幼师需要什么学历 幼师资格证是什么", ("obtain", "what_is"), None),
        ("上岗证需要审证吗", ("reexamination",), "job_entry_permit"),
        ("電工證到期了怎麼換證", ("expiry_renewal",), None),
        # Two kinds of certificate compared: the types, not what one is.
        ("专业资格与职业资格的区别?", ("types_levels",), "professional_qualification"),
        ("什么是职业资格证书、职业技能等级证书、专项职业能力证书?", ("types_levels",), "skill_level"),
        ("职业技能鉴定什么意思", ("what_is",), "skill_level"),
        # A name taken out leaves its certificate word (要…证吗); "need" stands beside a fee,
        # "what is" does not beside a place.
        ("开店要电工证吗多少钱一个", ("needed", "fees"), None),
        ("二级建造师官网是什么报名入口在哪里", ("places",), None),
        # ... joined to the words around it: 假…证 asks about fakes.
        ("假电工证到单位上班会查吗", ("scams",), None),
        ("电子导游证怎么回事", ("what_is",), None),
        ("一建转注是什么意思", ("registration",), None),
        ("Do Lawyers Have to Retake the Bar Exam?", ("reexamination",), None),
        ("forklift operator is transferring to another company with valid certification, can he still use it?",
         ("recognition",), None),
        ("大专主管护师考副高需要几年", ("obtain",), None),  # years before one may sit it, not validity
        ("卫健委无医师证怎么处罚", ("needed",), None),  # a name without its certificate word: 无证
        ("目前我国到底有多少职业资格?", ("types_levels",), None),
        ("社会工作师证书需要登记吗", ("registration",), None),
        # One certificate's qualification against its licence to practise (a name with 资格 and
        # the same without it).
        ("教师资格证和教师证是同一个证吗?", ("qualification_vs_licence",), None),
        ("导游证和导游资格证书的区别", ("qualification_vs_licence",), None),
        ("i don't understand what qualification certificates are", ("what_is",), None),
        ("怎么确认一张证书是真的", ("verify",), None),
        ("资格证有那么要紧吗", ("value",), None),
        ("二级建造师全国都可以用吗", ("recognition",), None),
        ("助理医师证会自动注销吗", ("validity",), None),
        ("can a us lawyer practice in china?", ("recognition",), None),
        # Two variants of one thing compared ask about its types; a kind against all
        # certificates, or a name against a shorter one it ends with, asks what it is.
        ("高压电工证和低压电工证的区别", ("types_levels",), None),
        ("乡村助理医师和执业助理医师有什么区别", ("types_levels",), None),
        ("安全员ABC证区别", ("types_levels",), None),
        ("资格证书和证书的区别在哪里", ("what_is",), None),
        ("注册会计师和会计师有什么区别", ("what_is",), None),
        ("受邀会诊医师应具备什么资质", ("needed",), "industry_access"),
        # Pay and subsidies ask about its value; a lost certificate is obtained again.
        ("一级消防工程师月收入多少", ("value",), None),
        ("考证是否可以抵扣个税", ("value",), None),
        ("把教师资格证弄丢了怎么办", ("obtain",), None),
        ("注册安全工程师更换单位如何操作", ("registration",), None),  # a new employer
    ],
)
def test_reading(reader: AspectReader, text: str, aspects: tuple[str, ...], kind: str | None) -> None:
    reading = reader.read(text)
    assert reading.aspects[: len(aspects)] == aspects
    assert reading.kind == kind


def test_an_unlisted_name_asks_nothing_by_its_words(gate: DomainGate) -> None:
    # 中级 in 中级会计师 is its name, not a question about levels.
    found = gate.findings({"text": "怎么查中级会计师证的真伪?", "entities": []})
    assert found.unlisted == "中级会计师" and found.aspects == ("verify",)


@pytest.mark.parametrize("text", ["出租职业资格证书可月入过万?", "电子证书与纸质证书法律效力一样吗?",
                                  "国家职业资格证书对应的等级有哪些", "结业证和资格证有什么区别",
                                  # 挂证 is a scam, not a certificate; a name does not run over 被.
                                  "2020年“挂证”查处力度不减,如何证明不是“挂证”?", "认证机构被撤销,证书是否有效?",
                                  "Does a Completed Certification Need Renewal?"])
def test_words_that_describe_a_certificate_name_none(gate: DomainGate, text: str) -> None:
    assert gate.findings({"text": text, "entities": []}).unlisted is None


def test_a_certificate_named_by_its_acronym_is_the_subject(gate: DomainGate) -> None:
    found = gate.findings({"text": "Can I teach in China without a TEFL?", "entities": []})
    assert (found.entry, found.unlisted) == (None, "tefl")
    # An acronym of an entry names the entry; Chinese names are no acronyms.
    assert gate.findings({"text": "Do I need a CPA to work as an accountant in China?",
                          "entities": []}).entry == "certified_public_accountant"
    assert gate.findings({"text": "注册测绘师报考条件", "entities": []}).entry == "registered_surveyor"


@pytest.mark.parametrize(("text", "entry"), [("Is it possible to practice medicine in China", "doctor"),
                                             ("Can foreigners practise law in China?", "lawyer"),
                                             ("Am I eligible to teach in China?", "teacher")])
def test_doing_the_job_names_the_entry(gate: DomainGate, text: str, entry: str) -> None:
    assert gate.findings({"text": text, "entities": []}).entry == entry


def test_a_trade_made_of_known_words_is_named_whole(gate: DomainGate) -> None:
    # The knowledge has 消防工程师, not 造价工程师; 工 begins 工程 here, it ends no trade.
    assert gate.findings({"text": "造价工程师的报考条件是什么", "entities": []}).unlisted == "造价工程师"
    assert gate.findings({"text": "我想当一名工程师", "entities": []}).unlisted is None


def test_a_licence_abroad_is_not_chinas(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "Why do electricians need to be licensed in many states?", "faq", "en",
                   faq="jobs_requiring_certificate")
    assert responses(reply) == [UNLISTED_ABROAD] and reply.values["name"] == "electrician"
    assert answer(gate, dialogue, "美国护士执照难考吗", "faq", "zh").response == UNLISTED_ABROAD
    # Practising in China is China's rule, wherever the lawyer comes from.
    assert answer(gate, dialogue, "Can US lawyers practice in China?", "faq", "en").response != UNLISTED_ABROAD


def answer(gate: DomainGate, dialogue: Dialogue, text: str, classified: str, language: str,
           faq: str | None = None, entities: list[dict[str, Any]] | None = None) -> Reply:
    """The answer to a message a classifier took for `classified` (and the FAQ entry `faq`),
    with the entities the recogniser found in it."""
    message: dict[str, Any] = {"text": text, "intent": {"name": classified, "confidence": 0.9},
                               "intent_ranking": [{"name": classified, "confidence": 0.9}],
                               "entities": entities or []}
    if faq:
        message["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq}", "confidence": 0.9},
                                                "ranking": []}}
    verdict = gate.decide(classified, message)
    message["intent"] = {"name": verdict.intent, "confidence": 1.0}
    if verdict.findings is not None:
        message[FINDINGS_KEY] = verdict.findings.as_dict()
    return dialogue.answer(message, None, language)


def responses(reply: Reply) -> list[str]:
    return [part.response for part in reply.parts()]


def test_two_aspects_two_answers(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "how long is a teacher certificate valid and how do I check it is real?",
                   "nlu_fallback", "en")
    assert responses(reply) == [catalog_response("teacher", "expiry"), catalog_response("teacher", "verify")]


def test_an_aspect_the_entry_lacks_gets_the_general_rule_marked_as_general(gate: DomainGate,
                                                                          dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "二建证书需要注册才能用吗", "faq", "zh", faq="how_to_obtain")
    assert reply.response == entry_general_response("certificate_vs_practice_license")
    assert reply.values["certificate"] == "建造师资格证书"


def test_the_classifiers_answer_stands_when_it_answers_what_was_asked(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "is the post competency certificate recognised nationwide", "faq", "en",
                   faq="post_competency_certificate")
    assert responses(reply) == [faq_response("post_competency_certificate")]


def test_a_modifier_makes_another_job(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "宠物医生需要医师资格证吗", "ask_certificate_needed", "zh")
    assert reply.response.startswith(UNLISTED) and reply.values["name"] == "宠物医生"
    reply = answer(gate, dialogue, "没有保育员证能做保育老师吗", "ask_certificate_needed", "zh")
    assert reply.response.startswith(UNLISTED) and reply.values["name"] == "保育老师"
    # A contractor is not a constructor, though the words are close.
    reply = answer(gate, dialogue, "How Do I Look up a Contractors License", "inform", "en")
    assert reply.response == unlisted_response("verify_authenticity") and reply.values["name"] == "contractors license"


def test_a_name_inside_another_word_is_no_name(gate: DomainGate, dialogue: Dialogue) -> None:
    # The recogniser finds 一建 in it, one character at a time.
    found = gate.findings({"text": "我唯一建议你看看资格证", "entities": [
        {"entity": "certificate", "value": "一建", "start": 2, "end": 4}]})
    assert found.entry is None and found.unlisted is None


def test_in_scope_questions_are_not_refused(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "焊工三级算什么水平", "out_of_scope", "zh")
    assert responses(reply) == [unlisted_response("certificate_types")] and reply.values["name"] == "焊工"
    assert answer(gate, dialogue, "替考有什么风险", "out_of_scope", "zh").response != OUT_OF_SCOPE


def test_facts_of_the_catalog_note_are_reachable(gate: DomainGate, dialogue: Dialogue) -> None:
    assert answer(gate, dialogue, "特种作业操作证是准入类的吗", "nlu_fallback", "zh").response == faq_response(
        "access_type_skilled_qualifications")
    assert answer(gate, dialogue, "专业技术人员职业资格和技能人员职业资格有什么区别", "faq", "zh",
                  faq="certificate_types").response in (faq_response("vocational_qualification_catalog"),
                                                        faq_response("certificate_types"))
    assert answer(gate, dialogue, "精算师证书还有吗", "nlu_fallback", "zh").response == faq_response(
        "catalog_changes_2021")


def test_a_special_operation_without_an_entry_says_so_and_what_the_catalog_note_says(
        gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "焊工证需要吗", "ask_certificate_needed", "zh")
    assert responses(reply) == [UNLISTED, faq_response("access_type_skilled_qualifications")]
    assert reply.values["name"] == "焊工"
    reply = answer(gate, dialogue, "登高证怎么办理", "faq", "zh", faq="how_to_obtain")
    assert responses(reply) == [unlisted_response("how_to_obtain")] and reply.values["name"] == "登高"
    # A name the kind's own words name is no certificate without an entry: the note names it.
    reply = answer(gate, dialogue, "开车拉危险品的那个从业资格 是不是必须持证才能干", "faq", "zh",
                   faq="jobs_requiring_certificate")
    assert responses(reply) == [faq_response("access_type_skilled_qualifications")]


def test_other_kinds_of_certificate_are_declined(gate: DomainGate, dialogue: Dialogue) -> None:
    for text in ("网银U盾证书过期了怎么办", "数字证书CA过期了怎么续期", "养老资格认证几年一次",
                 "车辆合格证过期了怎么办", "does a certificate of occupancy expire", "ISO9001认证证书的有效期是多久",
                 "各级动火证的有效时间", "支付宝提示证书过期了怎么办", "高处作业票有效期几天",
                 "How Long Can Digital Certificates Be Valid?"):
        assert answer(gate, dialogue, text, "faq", "zh", faq="expiry_and_renewal").response == OUT_OF_SCOPE, text


def test_an_unlisted_certificate_keeps_its_name_through_every_aspect(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "月嫂证能全国通用吗现在怎么考", "faq", "zh", faq="how_to_obtain")
    assert responses(reply)[0] in (UNLISTED, unlisted_response("how_to_obtain"), UNCOVERED)
    assert all(part.values.get("name", part.values.get("subject")) == "月嫂" for part in reply.parts()
               if part.response in (UNLISTED, UNCOVERED))
    assert faq_response("how_to_obtain") in responses(reply) or unlisted_response("how_to_obtain") in responses(reply)


def test_the_gate_keeps_a_lookup_that_names_whose_certificate(gate: DomainGate) -> None:
    verdict = gate.decide("check_certificate", {"text": "is my certificate genuine?", "entities": []})
    assert verdict.intent != QUESTION_INTENT


def test_an_entry_answers_an_aspect_with_its_own_fact(gate: DomainGate, dialogue: Dialogue,
                                                      localized_responses: dict[str, dict[str, str]]) -> None:
    reply = answer(gate, dialogue, "教师资格证是哪个部门发的", "ask_certificate_verify", "zh")
    assert reply.response == catalog_response("teacher", "issuer")
    assert "教育部" in localized_responses[reply.response]["zh"]
    # An entry without that fact gets the general rule, marked as general.
    assert answer(gate, dialogue, "导游证是哪个部门发的", "ask_certificate_verify", "zh").response == \
        entry_general_response("who_issues_certificates")


def test_an_acronym_asked_about_is_a_certificate(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "Is CFA Worth It?", "out_of_scope", "en")
    assert reply.response.startswith(UNLISTED) and reply.values["name"] == "cfa"
    assert answer(gate, dialogue, "Is TEFL Recognised in China?", "out_of_scope", "en").response != OUT_OF_SCOPE
    assert answer(gate, dialogue, "Can I teach in China without a TEFL?", "out_of_scope", "en").response.startswith(
        UNLISTED)
    # Words in lower case are no acronym: "what does ciao mean" is not about a certificate.
    assert answer(gate, dialogue, "what does ciao mean", "out_of_scope", "en").response == OUT_OF_SCOPE
    assert answer(gate, dialogue, "how much is a cab from JFK", "out_of_scope", "en").response == OUT_OF_SCOPE


def test_what_an_entry_is_is_asked_even_when_the_classifier_saw_nothing(gate: DomainGate,
                                                                        dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "What Are the Jurisdictional Limitations of China-Appointed Attesting Officers?",
                   "out_of_scope", "en")
    assert reply.response == catalog_response("china_appointed_attesting_officer", "overview")
    # "Need" alone asks nothing of a job named in passing.
    assert answer(gate, dialogue, "I need a lawyer for my divorce", "out_of_scope", "en").response == OUT_OF_SCOPE


def test_a_request_for_a_person_names_no_certificate(gate: DomainGate) -> None:
    assert gate.findings({"text": "我想找人工客服", "entities": []}).unlisted is None


def test_a_need_asked_alone_is_answered_whatever_the_classifier_chose(gate: DomainGate, dialogue: Dialogue) -> None:
    # The classifier's eye is on "license"; the question is whether one is needed.
    reply = answer(gate, dialogue, "Do Welders Need A License?", "faq", "en", faq="certificate_vs_practice_license")
    assert responses(reply) == [unlisted_response("jobs_requiring_certificate")]
    # Of certificates in general, "need" alone is vague: the classifier knows such phrasings.
    reply = answer(gate, dialogue, "what must i do to be awarded a certificate", "faq", "en", faq="how_to_obtain")
    assert responses(reply) == [faq_response("how_to_obtain")]
    # "What is" read alone is vague: the classifier's answer on value stands.
    reply = answer(gate, dialogue, "what is the significance of certificates", "faq", "en", faq="career_benefits")
    assert responses(reply) == [faq_response("career_benefits")]


def test_what_a_kind_is_gets_what_our_sources_say_of_it(gate: DomainGate, dialogue: Dialogue) -> None:
    # Not the list of all kinds: the kind asked about, its example, and that the sources say no more.
    reply = answer(gate, dialogue, "职业技能鉴定什么意思", "faq", "zh", faq="certificate_types")
    assert responses(reply) == [kind_response("skill_level")]
    reply = answer(gate, dialogue, "资质是什么意思", "faq", "zh", faq="certificate_types")
    assert responses(reply) == [kind_response("industry_access")]
    # The types of a kind are still the list of kinds.
    reply = answer(gate, dialogue, "职业资格证书和职业技能证书有什么区别", "faq", "zh", faq="certificate_types")
    assert responses(reply) == [faq_response("certificate_types")]


def test_a_job_named_with_a_certificate_word_is_not_declined(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "电工无证上岗会怎么处罚", "out_of_scope", "zh")
    assert reply.response == catalog_response("electrician", "needed")


def test_a_job_we_hold_named_with_a_word_of_qualifications_is_not_declined(gate: DomainGate,
                                                                           dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "执业助理医师能否开诊所", "out_of_scope", "zh")
    assert reply.response == catalog_response("doctor", "needed")


def test_a_job_we_hold_named_as_doing_it_is_not_declined(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "What do you need to teach English in China?", "out_of_scope", "en")
    assert reply.response == catalog_response("teacher", "needed")
    # Doing the job keeps its verb when the name is taken out: "possible to practise" asks how.
    reply = answer(gate, dialogue, "Is it possible to practice medicine in China", "out_of_scope", "en")
    assert reply.response == entry_general_response("how_to_obtain") and reply.answered_by == "doctor"
    # Someone to hire is not the qualification.
    assert answer(gate, dialogue, "I need a lawyer for my divorce", "out_of_scope", "en").response == OUT_OF_SCOPE


def test_a_licence_in_another_us_state_is_asked_about_honestly(gate: DomainGate, dialogue: Dialogue) -> None:
    # A job noun is a trade in English too; "more than one state" asks about recognition abroad.
    reply = answer(gate, dialogue, "Can a Notary hold a commission in more than one state at the same time?",
                   "out_of_scope", "en")
    assert reply.response == UNLISTED and reply.values["name"] == "notary"
    assert answer(gate, dialogue, "Can a CPA practice in any state?", "out_of_scope", "en").response == \
        UNLISTED_ABROAD
    # Licensing is a certificate word.
    assert answer(gate, dialogue, "What Is Licensing Reciprocity?", "faq", "en", faq="certificate_types").response \
        == UNCOVERED
    # Continuing education in hours (CPE) is of the domain.
    assert answer(gate, dialogue, "How many hours of CPE do I have to take per year?", "out_of_scope",
                  "en").response == faq_response("expiry_and_renewal")


def test_a_comparison_asks_what_each_is_whatever_the_classifier_chose(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "注册会计师和会计师有什么区别", "ask_certificate_verify", "zh")
    assert reply.response == catalog_response("certified_public_accountant", "overview")
    # Of certificates in general too: the classifiers' answer on another aspect does not stand.
    reply = answer(gate, dialogue, "What is the difference between a certificate and a certification?", "faq", "en",
                   faq="certificate_types")
    assert reply.response == faq_response("what_is_a_qualification_certificate")


def test_a_qualification_compared_with_its_licence_gets_the_general_rule_on_both(gate: DomainGate,
                                                                                 dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "导游资格证和导游证的区别在哪", "ask_certificate_verify", "zh")
    assert reply.response == entry_general_response("certificate_vs_practice_license")
    assert reply.answered_by == "tour_guide"


def test_a_possessive_names_a_certificate(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "can i check a certificate's authenticity on the internet", "nlu_fallback", "en")
    assert reply.response == faq_response("verify_authenticity")


@pytest.mark.parametrize(("text", "name", "entry"), [
    ("那保安", ("profession", "保安"), "security"), ("导游嘞", ("profession", "导游"), "tour_guide"),
    ("二建", ("certificate", "二建"), "constructor"), ("and lawyers?", ("profession", "lawyers"), "lawyer")])
def test_a_message_that_only_names_an_entry_gets_its_overview(gate: DomainGate, dialogue: Dialogue, text: str,
                                                              name: tuple[str, str], entry: str) -> None:
    start = text.index(name[1])
    entities = [{"entity": name[0], "value": name[1], "start": start, "end": start + len(name[1])}]
    # However classified: unsure, or a detail typed outside the lookup.
    for classified in ("nlu_fallback", "provide_details"):
        reply = answer(gate, dialogue, text, classified, "zh", entities=entities)
        assert reply.response == catalog_response(entry, "overview")
    # Anything more than the name asks something else.
    assert answer(gate, dialogue, f"{text}的工资", "nlu_fallback", "zh", entities=entities).response \
        != catalog_response(entry, "overview")


def test_taking_a_certificate_exam_is_about_certificates(gate: DomainGate, dialogue: Dialogue) -> None:
    # 考证 names no certificate, but says the question is about them.
    reply = answer(gate, dialogue, "无人机要考证吗?", "nlu_fallback", "zh")
    assert reply.response == faq_response("jobs_requiring_certificate")


def test_a_certificate_named_by_its_acronym_beside_a_visa_is_still_asked_about(gate: DomainGate,
                                                                              dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "Do I need a TEFL for a Z visa?", "out_of_scope", "en")
    assert reply.response == unlisted_response("jobs_requiring_certificate") and reply.values["name"] == "tefl"
    ssl = answer(gate, dialogue, "How long is my SSL certificate valid?", "out_of_scope", "en")
    assert ssl.response == OUT_OF_SCOPE


def test_a_trade_without_an_entry_asked_about_as_a_trade_is_answered(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "护师报名年限怎么算", "out_of_scope", "zh")
    assert reply.response == unlisted_response("how_to_obtain") and reply.values["name"] == "护师"
    # What it is, too; credits are continuing education.
    reply = answer(gate, dialogue, "中级经济师以考代评是怎么回事", "out_of_scope", "zh")
    assert reply.response.startswith(UNLISTED) and reply.values["name"] == "中级经济师"
    reply = answer(gate, dialogue, "护师一类二类多少学分达标", "out_of_scope", "zh")
    assert reply.response == unlisted_response("expiry_and_renewal") and reply.values["name"] == "护师"
    # Asked for a price, or not asked about at all, it is no certificate question.
    for text in ("理发师多少钱", "理发师把我头发剪坏了怎么投诉"):
        assert answer(gate, dialogue, text, "out_of_scope", "zh").response == OUT_OF_SCOPE, text


def test_continuing_education_is_no_certificate_name(gate: DomainGate, dialogue: Dialogue) -> None:
    reply = answer(gate, dialogue, "What happens if I don't complete and report 12 CPD hours?", "out_of_scope", "en")
    assert reply.response == faq_response("expiry_and_renewal")
