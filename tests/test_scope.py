"""Questions beyond the knowledge: unrelated requests, certificates without a catalog entry,
topics no entry holds (bot.understanding.scope, and how bot.dialogue.answering answers them)."""

from __future__ import annotations

import pytest

from bot.dialogue.answering import Dialogue
from bot.knowledge.response_names import OUT_OF_SCOPE, UNCOVERED, UNLISTED, faq_response, unlisted_response
from bot.knowledge.routing import QUESTION_INTENT
from bot.understanding.gate import DomainGate, Verdict
from bot.understanding.scope import ScopeFinder
from tests.conftest import gated


@pytest.fixture(scope="module")
def scope(gate: DomainGate) -> ScopeFinder:
    return gate.scope


@pytest.mark.parametrize(("text", "name"), [
    ("do I need a certificate to work as a plasterer?", "plasterer"),
    ("is a scaffolding licence valid everywhere", "scaffolding"),
    ("is the yoga instructor's certification worth it", "yoga instructor"),
    ("what about the certificate of dog training", "dog training"),
    ("陪诊师证有用吗", "陪诊师"),
    ("想考个收纳师证", "收纳师"),
    ("做陪诊师需要证吗", "陪诊师"),
    ("焊工证全国通用吗", "焊工"),
    ("游艇驾驶证有哪些种类", "游艇"),  # a licence to drive at work (knowledge/scope.yml: work_licences)
    ("没有网约车驾驶证可以接单吗", "网约车"),
    ("do truck drivers need a special permit", "truck drivers"),  # the job, not the adjective
    ("is PMP recognised by employers", "pmp"),  # an acronym in capitals
    ("catti二级有用吗", "catti"),  # Latin letters before a level word
    ("cfa报考条件及时间", "cfa"),  # ... or a word only a certificate has
    ("rhca的有效期怎么", "rhca"),
    ("学护工证有学费么", "护工"),  # a verb in front is no part of the name
    ("会计证现在还能考吗", "会计"),  # a verb to jieba, right before the certificate word
    ("做推拿按摩要什么证", "推拿按摩"),  # after a job word, though 拿 is a boundary
    ("房产中介要不要持证上岗", "房产中介"),
    # A word for a person at work, with the words in front of it; with an ending ("-ist").
    ("can a massage therapist work without anything", "massage therapist"),
    ("is it hard to get hired as a florist", "florist"),
    ("do plumbers in shanghai have to register anywhere", "plumbers"),
    ("can a dental technician work in a clinic", "dental technician"),  # known words, unknown job
    ("is a PADI divemaster enough to work at a dive shop", "padi divemaster"),
    ("do i need a TEFL to get hired as an english tutor", "tefl"),  # the acronym, not the job
    ("华为HCIE会过期吗", "hcie"),  # an acronym right after Chinese characters
    ("健康管理师是国家认可的吗", "健康管理师"),  # every two characters known, 管理师 not
    ("钳工报考级别有哪些", "钳工"),  # 级别 is no grade word
    ("is a scaffolding licence from the UAE valid in china", "scaffolding"),  # a place, not a name
    ("普通话二甲证书有效期多久", "普通话二甲"),  # a grade at the end of the name
    ("足球裁判等级怎么考", "足球裁判"),
    ("钢琴考级证书升学有用吗", "钢琴"),
    ("领队证怎么考", "领队"),  # 领 begins a word here: no boundary
    ("大专主管护师考副高需要几年", "主管护师"),  # a schooling in front is no part of the name
    ("如何认定医疗机构挂靠护士证件", "护士"),  # nor a certificate act
    ("旧版茶艺师资格证是否有效", "茶艺师"),
    ("如何申请基层法律服务工作者执业资格证书", "基层法律服务工作者"),  # known words, never used whole
    ("挖掘机操作证怎么考", "挖掘机"),  # 作证 ("testify") is part of 操作证
])
def test_unlisted_names_are_found(scope: ScopeFinder, text: str, name: str) -> None:
    assert scope.unlisted_name(text) == name


@pytest.mark.parametrize("text", [
    "what is a qualification certificate",
    "does my certificate expire",
    "how do i check that a certificate is genuine",
    "is a qualifcation certificate the same as a practice licence",  # a typo is still a known word
    "资格证书过期了怎么办",
    "怎么验证证书真假",
    "哪个部门颁发资格证",  # a verb before the certificate word is no name
    "分不清资格证和执业证",
    "有证能涨工资不",  # 工资 is no trade ending in 工
    "what body is responsible for awarding certificates",
    "帮忙看看我同事的证是不是被吊销了",  # whose certificate, not which kind
    "上海买房资格有啥要求",  # a bare 资格 is no certificate
    "公司员工需要持证上岗吗",  # whose certificate, not a trade
    "do workers need a certificate",
    "when are most vocational qualification exams held each year",
    "is the list of jobs that need a certificate public",  # "list" is no "-ist"
    "is there a checklist for renewing a certificate",
    "is the exam content consistent every year",
    "can a tourist take the exam",
    "when is the next exam",
    "is the written exam hard",
    "hi assistant, does my certificate expire",
    "is there a study guide for the exam",
    "do my company's workers need a certificate",  # holders, not a job
    "do temporary workers need a certificate",
    "我在APP上能查证书吗",
    "证书多久能拿到手",  # 到手 and 新手 end like trades but are common words
    "我是新手能直接考证吗",
    "工作人员说我的证书是假的",
    "我师傅说证书每年都要年审",
    "厂区无证驾驶叉车怎么处罚",  # 无证 is no name's certificate word
])
def test_questions_in_the_knowledge_name_nothing_unlisted(scope: ScopeFinder, text: str) -> None:
    assert scope.unlisted_name(text) is None


def test_a_job_is_named_without_certificate_words(scope: ScopeFinder) -> None:
    assert scope.unlisted_name("do plasterers need anything to start") == "plasterers"
    assert scope.unlisted_name("陪诊师有用吗") == "陪诊师"  # ends like a trade
    assert scope.unknown_words("那陪诊师呢") == "陪诊师"
    assert scope.unknown_words("做陪诊师要证吗") == "陪诊师"
    assert scope.unknown_words("does my certificate expire") is None
    assert scope.unlisted_name("what do people mean by a qualification credential") is None


@pytest.mark.parametrize(("text", "topic"), [
    ("how much is the CPA exam fee", "fees"),
    ("when is the exam held this year", "exam_dates"),
    ("注会报名截止是哪天", "registration"),
    ("教资成绩什么时候出", "results"),
    ("I lost my certificate", "reissue"),
    ("证书能转到外省吗", "transfer"),
    ("how much is the registration fee for the exam", "fees"),  # the longest word decides
    ("how much does a licensed electrician earn in Shenzhen", "salary"),
    ("一建通过率多少啊", "pass_rate"),
])
def test_uncovered_topics_are_found(scope: ScopeFinder, text: str, topic: str) -> None:
    found = scope.uncovered_topic(text)
    assert found is not None and found.id == topic


@pytest.mark.parametrize("text", ["can you book me a train ticket", "what do i need to do to earn a certificate"])
def test_no_topic_is_invented(scope: ScopeFinder, text: str) -> None:
    assert scope.uncovered_topic(text) is None


@pytest.mark.parametrize(("text", "unrelated"), [
    ("put milk on my shopping list", True),
    ("how do I renew the SSL certificate on my site", True),  # another meaning of certificate
    ("结婚证怎么办理", True),
    ("帮我订明天去上海的机票", True),
    ("does a tour guide need a certificate", False),
    ("职业资格证书和毕业证是一回事吗", False),  # about qualifications after all
    ("证书过期了怎么办", False),
    ("育婴师有用吗", False),  # a trade is of the domain
    ("驾照过期了怎么办", True),  # a driving licence is another kind of certificate
    ("驾驶证扣分怎么查", True),
    ("船舶驾驶证报考条件", False),  # but not a licence to drive at work
    ("无人机驾照考试流程是怎样的", False),
    ("my driving licence expired, what now", True),  # English words still found with Chinese licences listed
])
def test_the_domain_gate(scope: ScopeFinder, text: str, unrelated: bool) -> None:
    assert scope.relatedness(text).unrelated(classified_unrelated=False) is unrelated


def test_a_trade_alone_does_not_outweigh_the_classifier(scope: ScopeFinder) -> None:
    haircut = scope.relatedness("理发师把我头发剪坏了咋办")
    assert haircut.unrelated(classified_unrelated=True) and not haircut.unrelated(classified_unrelated=False)
    assert not scope.relatedness("理发师证有用吗").unrelated(classified_unrelated=True)  # 证 is of the domain


def parsed(text: str, intent: str, faq: str | None = None) -> dict:
    message: dict = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    if faq:
        message["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq}", "confidence": 0.99},
                                                "ranking": []}}
    return gated(message)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_question_about_an_unlisted_job_gets_the_honest_answer(dialogue: Dialogue, language: str) -> None:
    text = "is the scaffolding licence useful for my career" if language == "en" else "脚手架工证对找工作有用吗"
    reply = dialogue.answer(parsed(text, "faq", "career_benefits"), None, language)
    assert reply.response == unlisted_response("career_benefits")
    assert reply.values["name"] in ("scaffolding", "脚手架工")


def test_a_topic_the_knowledge_lacks_names_whom_to_ask(dialogue: Dialogue) -> None:
    reply = dialogue.answer(parsed("how much does the CPA exam cost", "faq", "how_to_obtain"), None, "en")
    assert (reply.response, reply.answered_by) == (UNCOVERED, "certified_public_accountant")
    assert reply.values == {"topic": "fees", "subject": dialogue.kb.catalog_entry("certified_public_accountant")
                            .certificate["en"], "ask": "the authority that issues it"}
    zh = dialogue.answer(parsed("注会考试要多少钱", "faq", "how_to_obtain"), None, "zh")
    assert zh.values["topic"] == "费用"


def test_a_general_topic_question_keeps_the_faq_answer_that_covers_it(dialogue: Dialogue) -> None:
    # how_to_obtain already says that the sources give no fees: that answer is the honest one.
    reply = dialogue.answer(parsed("how much does a certificate exam cost", "faq", "how_to_obtain"), None, "en")
    assert reply.response == faq_response("how_to_obtain")


def test_out_of_scope_is_declined_unless_it_asks_about_certificates(dialogue: Dialogue) -> None:
    assert dialogue.answer(parsed("find me a good divorce lawyer", "out_of_scope"), None, "en").response == OUT_OF_SCOPE
    assert dialogue.answer(parsed("order a pizza", "out_of_scope"), None, "en").response == OUT_OF_SCOPE
    assert dialogue.answer(parsed("what does the lawyer exam cost", "out_of_scope"), None, "en").response == UNCOVERED
    # A catalog entry named says it is about certificates, with no domain word at all.
    assert dialogue.answer(parsed("注会一科报名费多少钱", "out_of_scope"), None, "zh").response == UNCOVERED
    reply = dialogue.answer(parsed("is a scaffolding licence any good", "out_of_scope"), None, "en")
    assert (reply.response, reply.values) == (UNLISTED, {"name": "scaffolding"})


def decided(verdict: Verdict) -> str:
    """The gate's intent; for a question it reads aspect by aspect, the intent it would have
    had otherwise (the answer it leads to comes first where it answers what was asked)."""
    if verdict.intent == QUESTION_INTENT and verdict.findings is not None:
        return str(verdict.findings.classified)
    return verdict.intent


def test_the_gate_turns_unrelated_and_unlisted_questions(gate: DomainGate) -> None:
    assert decided(gate.decide("faq", {"text": "put milk on my shopping list"})) == "out_of_scope"
    reservation = {"text": "please confirm my reservation for two"}
    assert decided(gate.decide("check_certificate", reservation)) == "out_of_scope"
    assert decided(gate.decide("faq", {"text": "does my certificate expire"})) == "faq"
    # A catalog entry named: never gated ("那律师呢" needs no certificate word).
    assert decided(gate.decide("inform", {"text": "那律师呢"})) == "inform"
    # A certificate the catalog lacks, whatever the classifier said; but a lookup of the
    # user's own certificate is a lookup (the database holds any kind).
    for intent in ("faq", "out_of_scope", "nlu_fallback", "help", "check_certificate"):
        assert decided(gate.decide(intent, {"text": "is a scaffolding licence valid"})) == "ask_unlisted"
    assert decided(gate.decide("check_certificate", {"text": "check my scaffolding licence"})) == "check_certificate"
    assert decided(gate.decide("check_certificate", {"text": "帮我查下我的脚手架工证"})) == "check_certificate"
    # 取消 is also "abolish", 认证 not a question about the bot.
    assert decided(gate.decide("cancel", {"text": "招标师证是不是已经取消了"})) == "ask_unlisted"
    assert decided(gate.decide("cancel", {"text": "取消"})) == "cancel"
    assert decided(gate.decide("cancel", {"text": "cancel, I don't want to check the scaffolding licence"})) == "cancel"
    assert decided(gate.decide("bot_challenge", {"text": "收纳师证是国家认证的吗"})) == "ask_unlisted"
    assert decided(gate.decide("bot_challenge", {"text": "你是机器人吗"})) == "bot_challenge"
    # A trade's date or fee is asked about its exam, not about anything else the trade does.
    assert gate.decide("out_of_scope", {"text": "监理工程师报名费多少"}).intent == "ask_about"
    assert gate.decide("out_of_scope", {"text": "理发师多少钱"}).intent == "out_of_scope"
    # Small talk and the lookup's details are left alone.
    assert decided(gate.decide("greet", {"text": "hello"})) == "greet"
    assert decided(gate.decide("provide_details", {"text": "Zhang Wei"})) == "provide_details"


def named(text: str, name: str, kind: str = "profession") -> dict:
    start = text.index(name)
    return {"text": text, "entities": [{"entity": kind, "value": name, "start": start, "end": start + len(name)}]}


def test_a_message_that_only_names_an_entry_continues_the_topic_whatever_the_classifier_said(
        gate: DomainGate) -> None:
    """The knowledge's own phrasings of the question that only names an entry."""
    for intent in ("out_of_scope", "nlu_fallback", "faq"):
        assert decided(gate.decide(intent, named("what about lawyers?", "lawyers"))) == "inform"
        assert decided(gate.decide(intent, named("how about lawyers?", "lawyers"))) == "inform"  # articles aside
        assert decided(gate.decide(intent, named("那要是律师呢", "律师"))) == "inform"
        cpa = named("What about the CPA qualification", "CPA qualification", "certificate")
        assert decided(gate.decide(intent, cpa)) == "inform"
    # More than a name: the classifier decides ("find me a divorce lawyer" asks for no certificate).
    assert decided(gate.decide("out_of_scope", named("find me a good divorce lawyer", "lawyer"))) == "out_of_scope"
    fees = named("what about lawyers' fees in court?", "lawyers")
    assert decided(gate.decide("out_of_scope", fees)) == "out_of_scope"
    assert decided(gate.decide("greet", named("lawyers", "lawyers"))) == "greet"


def test_an_unlisted_question_keeps_the_closest_general_rule(dialogue: Dialogue) -> None:
    message = parsed("is a scaffolding licence valid for life", "ask_unlisted", "expiry_and_renewal")
    reply = dialogue.answer(message, None, "en")
    assert (reply.response, reply.values) == (unlisted_response("expiry_and_renewal"), {"name": "scaffolding"})
    unsure = parsed("scaffolding licence?", "ask_unlisted")
    assert dialogue.answer(unsure, None, "en").response == UNLISTED


def test_a_bare_certificate_number_is_a_detail_whatever_its_words(gate: DomainGate) -> None:
    assert decided(gate.decide("faq", {"text": "DEMO-EXPIRED-0001"})) == "provide_details"
    assert decided(gate.decide("faq", {"text": " demo-expiring-0001 "})) == "provide_details"
    assert decided(gate.decide("faq", {"text": "expired certificate"})) == "faq"
