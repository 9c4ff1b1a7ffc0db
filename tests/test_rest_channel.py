"""End to end: the Rasa server with the REST channel and a real action server, both started
here on free ports, answering real messages with the trained model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.handoff.desk import CANCEL, LEAVE_MESSAGE, NO_THANKS, SKIP, Desk
from bot.handoff.store import HandoffStore
from bot.knowledge.model import KnowledgeBase
from bot.processes.stack import StackConfig
from bot.review.store import ReviewStore
from bot.text import HAN_CHARACTER
from tests.conftest import VAGUE_MESSAGES, suggestions
from tests.servers import oversize_post, started_stack


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    with started_stack(trained_model, tmp_path_factory) as (config, _):
        yield config


class Conversation:
    def __init__(self, config: StackConfig) -> None:
        self.url = config.rest_url
        self.sender = f"test-{uuid.uuid4().hex}"

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=30)
        reply.raise_for_status()
        messages: list[dict[str, Any]] = reply.json()
        assert messages, f"no reply to {text!r}"
        return messages


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_faq_question_is_answered_with_its_source_line(stack: StackConfig, responses: dict[str, str]) -> None:
    reply = texts(Conversation(stack).say("what is the difference between a qualification and a practice license?"))
    assert reply == responses["utter_faq_answer__certificate_vs_practice_license"]
    assert reply.splitlines()[-1].startswith("Source: ")


def test_typos_still_find_the_answer(stack: StackConfig, responses: dict[str, str]) -> None:
    reply = texts(Conversation(stack).say("wat do i do when my certifcate has expird"))
    assert reply == responses["utter_faq_answer__expiry_and_renewal"]


def test_catalog_question_then_follow_up_about_another_job(stack: StackConfig, responses: dict[str, str]) -> None:
    conversation = Conversation(stack)
    assert texts(conversation.say("do tour guides need a certificate?")) == responses[
        "utter_catalog_tour_guide__needed"
    ]
    assert texts(conversation.say("what about lawyers?")) == responses["utter_catalog_lawyer__needed"]


@pytest.mark.parametrize(
    ("question", "response"),
    [
        ("what certificate does an electrician need?", "utter_catalog_electrician__needed"),
        ("does a safety production manager certificate expire?", "utter_catalog_safety_production_manager__expiry"),
        ("how do i confirm a teacher certificate is legit", "utter_catalog_teacher__verify"),
    ],
)
# These check the wiring from NLU to the catalog answers, with phrasings the model knows;
# tests/test_heldout_accuracy.py measures how well it understands new phrasings.
def test_questions_about_one_certificate(stack: StackConfig, responses: dict[str, str], question: str,
                                         response: str) -> None:
    assert texts(Conversation(stack).say(question)) == responses[response]


# Which vague message the model is unsure about changes from one training to the next;
# the decision itself is unit-tested (tests/test_dialogue.py). This checks the wiring:
# buttons reach the channel, and a picked button is answered.


def test_unsure_offers_buttons_and_a_picked_button_is_answered(stack: StackConfig, responses: dict[str, str]) -> None:
    for message in VAGUE_MESSAGES:
        conversation = Conversation(stack)
        replies = conversation.say(message)
        if suggestions(replies[0]):
            break
    else:
        pytest.fail(f"none of {VAGUE_MESSAGES} was answered with suggestions")
    [offer] = replies
    assert offer["text"] == responses["utter_did_you_mean"]
    assert 2 <= len(offer["buttons"]) <= 3
    picked = offer["buttons"][0]
    entry_id = json.loads(picked["payload"].removeprefix("/choose_entry"))["entry_id"]
    assert texts(conversation.say(picked["payload"])) == responses[f"utter_faq_answer__{entry_id}"]


@pytest.mark.parametrize(
    ("message", "response"),
    [
        ("hi there", "utter_greet"),
        ("are you a bot?", "utter_iamabot"),
        ("thank you", "utter_youre_welcome"),
        ("book me a flight to shanghai please", "utter_out_of_scope"),
    ],
)
def test_small_talk(stack: StackConfig, responses: dict[str, str], message: str, response: str) -> None:
    assert texts(Conversation(stack).say(message)) == responses[response]


def test_a_long_message_is_answered_promptly_with_too_long(stack: StackConfig, responses: dict[str, str],
                                                            zh: dict[str, str]) -> None:
    """Without the length cap, NLU on a long text blocks the server; and an answer to its
    first 500 characters would be a guess."""
    assert texts(Conversation(stack).say("certificate " * 1000)) == responses["utter_message_too_long"]
    assert texts(Conversation(stack).say("a " * 5000)) == responses["utter_message_too_long"]
    assert texts(Conversation(stack).say("证书过期了怎么办" * 100)) == zh["utter_message_too_long"]


def test_the_health_check_reports_every_part(stack: StackConfig) -> None:
    health = requests.get(f"http://{stack.host}:{stack.rasa_port}/webhooks/health/", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "model": "ok", "conversations": "ok", "locks": "ok",
                             "limits": "ok"}


@pytest.mark.parametrize("size", [100_000, 5_000_000])
def test_an_oversize_body_is_refused_before_it_is_read(stack: StackConfig, size: int) -> None:
    assert oversize_post(stack, size).startswith(b"HTTP/1.1 413 ")
    # Nothing was parsed: the same client is answered as usual right after.
    assert Conversation(stack).say("hello")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "the body is not valid JSON"),
        (b'["hello"]', "the body must be a JSON object"),
        (b'{"message": "hello"}', "the body's 'sender' must be a non-empty string"),
        (b'{"sender": "someone", "message": 42}', "the body's 'message' must be a non-empty string"),
    ],
)
def test_a_malformed_body_gets_a_clear_error(stack: StackConfig, body: bytes, problem: str) -> None:
    reply = requests.post(stack.rest_url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 400 and reply.json()["error"].startswith(problem)


@pytest.mark.parametrize("message", ["SPM-2022-004417", "2019", "Zhang Wei", "ok 123456"])
def test_details_typed_outside_a_lookup_do_not_start_one(stack: StackConfig, responses: dict[str, str],
                                                        message: str) -> None:
    reply = texts(Conversation(stack).say(message))
    assert reply != responses["utter_ask_certificate_number"] and reply != responses["utter_ask_holder_name"]


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("i need milk on my shopping list", "en"),
        ("please confirm my reservation at the noodle bar for two", "en"),
        ("how do I renew the ssl certificate of my website", "en"),
        ("帮我把明天的牙医预约取消掉", "zh"),
        ("大额存单利息怎么算", "zh"),
    ],
)
def test_unrelated_requests_are_declined_in_their_language(stack: StackConfig, responses: dict[str, str],
                                                           zh: dict[str, str], message: str, language: str) -> None:
    expected = zh if language == "zh" else responses
    assert texts(Conversation(stack).say(message)) == expected["utter_out_of_scope"]


def test_a_certificate_without_an_entry_is_named_in_the_honest_answer(stack: StackConfig,
                                                                      zh: dict[str, str]) -> None:
    english = texts(Conversation(stack).say("do I need a certificate to work as a plasterer?"))
    assert '"plasterer"' in english and "National Vocational Qualification Catalog" in english
    chinese = texts(Conversation(stack).say("陪诊师证有用吗"))
    assert "「陪诊师」" in chinese and "国家职业资格目录" in chinese


def test_a_topic_the_knowledge_lacks_is_said_so(stack: StackConfig) -> None:
    reply = texts(Conversation(stack).say("how much is the registration fee for the CPA exam?"))
    assert "does not cover" in reply and "{" not in reply


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_both_servers_listen_on_localhost_only(stack: StackConfig) -> None:
    loopback = "0100007F"  # 127.0.0.1, little-endian hex
    assert listening_addresses(stack.rasa_port) == {loopback}
    assert listening_addresses(stack.action_port) == {loopback}


def test_the_http_api_is_off_by_default(stack: StackConfig) -> None:
    base = f"http://{stack.host}:{stack.rasa_port}"
    assert requests.get(f"{base}/conversations/someone/tracker", timeout=5).status_code == 404
    assert requests.post(f"{base}/model/parse", json={"text": "hi"}, timeout=5).status_code == 404


# Chinese: the same assistant, the same model, answering in the language of the message.

@pytest.fixture(scope="module")
def zh(localized_responses: dict[str, dict[str, str]]) -> dict[str, str]:
    return {name: texts["zh"] for name, texts in localized_responses.items()}


@pytest.mark.parametrize(
    ("question", "response"),
    [
        ("资格证书和执业证书有啥区别", "utter_faq_answer__certificate_vs_practice_license"),
        ("證書過期了怎麼辦", "utter_faq_answer__expiry_and_renewal"),  # traditional characters
        ("做导游要不要证", "utter_catalog_tour_guide__needed"),
        ("教师资格证怎么查真假", "utter_catalog_teacher__verify"),
    ],
)
def test_chinese_questions_get_chinese_answers(stack: StackConfig, zh: dict[str, str], question: str,
                                               response: str) -> None:
    reply = texts(Conversation(stack).say(question))
    assert reply == zh[response]


def test_switching_language_keeps_the_context(stack: StackConfig, responses: dict[str, str],
                                              zh: dict[str, str]) -> None:
    conversation = Conversation(stack)
    assert texts(conversation.say("does a safety production manager certificate expire?")) == responses[
        "utter_catalog_safety_production_manager__expiry"]
    assert texts(conversation.say("那律师呢？")) == zh["utter_catalog_lawyer__expiry"]
    # A message with no clear language keeps the conversation's.
    assert HAN_CHARACTER.search(texts(conversation.say("ok")))
    assert texts(conversation.say("what about doctors?")) == responses["utter_catalog_doctor__expiry"]


@pytest.mark.parametrize(
    ("message", "response"),
    [
        ("您好呀", "utter_greet"),
        ("多谢", "utter_youre_welcome"),
        ("你是真人吗", "utter_iamabot"),
        ("拜拜", "utter_goodbye"),
        ("推荐个好吃的餐厅", "utter_out_of_scope"),
    ],
)
def test_chinese_small_talk(stack: StackConfig, zh: dict[str, str], message: str, response: str) -> None:
    assert texts(Conversation(stack).say(message)) == zh[response]


def test_the_page_greeting_and_switch_set_the_language(stack: StackConfig, responses: dict[str, str],
                                                       zh: dict[str, str]) -> None:
    conversation = Conversation(stack)
    assert texts(conversation.say('/greet{"language": "zh"}')) == zh["utter_greet"]
    assert texts(conversation.say('/switch_language{"language": "en"}')) == responses["utter_language_switched"]
    assert not HAN_CHARACTER.search(texts(conversation.say("ok")))
    assert texts(conversation.say('/switch_language{"language": "zh"}')) == zh["utter_language_switched"]


def test_chinese_suggestions_are_chinese_buttons(stack: StackConfig, kb: KnowledgeBase) -> None:
    questions = {entry.question["zh"] for entry in kb.faq}
    for message in ("证书", "嗯嗯", "那个东西", "资格", "怎么说呢", "啥", "证书的事", "关于证书", "证书方面",
                    "证书相关"):
        replies = Conversation(stack).say(message)
        if suggestions(replies[0]):
            assert {button["title"] for button in suggestions(replies[0])} <= questions
            return
    pytest.fail("none of the vague Chinese messages was answered with suggestions")


def desk_of(stack: StackConfig, kb: KnowledgeBase) -> Desk:
    """The handoff desk on the stack's conversation database, as the staff console has it."""
    return Desk(HandoffStore(ReviewStore(stack.settings.tracker_db_url)), stack.settings, lambda: kb)


def test_asking_for_a_person_with_nobody_available_offers_a_message(stack: StackConfig, kb: KnowledgeBase) -> None:
    """Not read as a certificate's name (「人工」) nor as "are you a bot?"."""
    replies = kb.conversation_replies
    desk_of(stack, kb).store.set_available("alice", False)  # staff of an earlier test
    offer = Conversation(stack).say("我想找人工客服")
    assert texts(offer) == replies["handoff_no_staff"]["zh"]
    assert [button["payload"] for button in offer[0]["buttons"]] == [LEAVE_MESSAGE, NO_THANKS]
    conversation = Conversation(stack)
    assert texts(conversation.say("I want to talk to a human")) == replies["handoff_no_staff"]["en"]
    assert texts(conversation.say(NO_THANKS)) == replies["anything_else"]["en"]


def test_a_live_conversation_through_rest(stack: StackConfig, kb: KnowledgeBase,
                                          responses: dict[str, str]) -> None:
    """REST cannot send first: what staff write comes with the user's next reply."""
    desk, replies = desk_of(stack, kb), kb.conversation_replies
    desk.store.set_available("alice", True)
    user = Conversation(stack)
    user.say("do tour guides need a certificate?")
    waiting = user.say("talk to a person")
    assert texts(waiting).startswith("I have asked a member of staff to join this chat.")
    assert [button["payload"] for button in waiting[0]["buttons"]] == [CANCEL]
    assert texts(user.say("hello?")) == replies["handoff_still_waiting"]["en"].format(position=1)
    handoff = desk.store.open_for(user.sender)
    assert handoff is not None and handoff.channel == "rest"
    assert [line.text for line in desk.store.lines(handoff.id)][:2] == [
        "do tour guides need a certificate?", responses["utter_catalog_tour_guide__needed"]]
    desk.take(handoff.id, "alice")
    assert texts(user.say("my certificate expired")) == replies["handoff_joined"]["en"]  # no answer from the bot
    desk.reply(handoff.id, "alice", "Which certificate is it?")
    assert texts(user.say("a welding certificate")) == replies["handoff_staff_says"]["en"].format(
        text="Which certificate is it?")
    assert [line.text for line in desk.store.lines(handoff.id)][-3:] == [
        "my certificate expired", "Which certificate is it?", "a welding certificate"]
    desk.hand_back(handoff.id, "alice")
    back = texts(user.say("do tour guides need a certificate?"))
    assert back == "\n".join([replies["handoff_handed_back"]["en"], responses["utter_catalog_tour_guide__needed"]])


def test_a_ticket_answered_from_the_shell_reaches_a_rest_user_with_the_next_reply(
        stack: StackConfig, kb: KnowledgeBase) -> None:
    desk, replies = desk_of(stack, kb), kb.conversation_replies
    desk.store.set_available("alice", False)  # staff of an earlier test
    user = Conversation(stack)
    user.say("人工客服")
    assert texts(user.say(LEAVE_MESSAGE)) == replies["handoff_ask_question"]["zh"]
    assert texts(user.say("焊工证过期了还能用吗")).startswith("如您愿意，还可以留下联系方式")
    saved = texts(user.say(SKIP))
    [ticket] = [ticket for ticket in desk.store.tickets() if ticket.sender_id == user.sender]
    assert saved == replies["handoff_ticket_saved"]["zh"].format(ticket=ticket.id)
    listed = subprocess.run([sys.executable, "-m", "bot", "tickets", "--json"], capture_output=True, text=True,
                            check=True, env={**os.environ, **stack.settings.environment()}).stdout
    listed_ticket = next(item for item in json.loads(listed) if item["id"] == ticket.id)
    assert (listed_ticket["question"], listed_ticket["contact"]) == ("焊工证过期了还能用吗", None)
    answered = subprocess.run([sys.executable, "-m", "bot", "tickets", "answer", str(ticket.id), "--by", "alice"],
                              input="过期后需要重新参加考核。", capture_output=True, text=True,
                              env={**os.environ, **stack.settings.environment()})
    assert answered.returncode == 0, answered.stderr
    assert desk.store.ticket(ticket.id).delivery == "pending"
    reply = texts(user.say("谢谢"))
    expected = replies["handoff_ticket_answer"]["zh"].format(ticket=ticket.id, answer="过期后需要重新参加考核。")
    assert reply.startswith(expected)
    assert desk.store.ticket(ticket.id).delivery == "delivered"
    again = subprocess.run([sys.executable, "-m", "bot", "tickets", "answer", str(ticket.id)], input="again",
                           capture_output=True, text=True, env={**os.environ, **stack.settings.environment()})
    assert again.returncode == 1 and "answered already (by alice)" in again.stderr


def test_a_person_is_offered_after_two_answers_in_a_row_that_did_not_help(stack: StackConfig,
                                                                          kb: KnowledgeBase) -> None:
    replies = kb.conversation_replies
    desk_of(stack, kb).store.set_available("alice", False)  # staff of an earlier test
    user = Conversation(stack)
    answer = user.say("do tour guides need a certificate?")
    not_helpful = next(button["payload"] for button in answer[-1]["buttons"] if '"no"' in button["payload"])
    thanked = user.say(not_helpful)
    assert texts(thanked) == replies["feedback_thanks"]["en"]  # one did not help: no offer yet
    uncovered = user.say("how much is the exam fee for the tour guide certificate?")
    offer = uncovered[-1]
    assert offer["text"] == replies["offer_person"]["en"]
    assert [button["payload"] for button in offer["buttons"]] == ["/ask_for_person"]
    assert texts(user.say("/ask_for_person")) == replies["handoff_no_staff"]["en"]
