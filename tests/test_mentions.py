"""Which catalog entry a message names, with entities or typed text, typos included."""

from __future__ import annotations

import pytest

from bot.understanding.gate import DomainGate


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("do tour guides need a certificate?", "tour_guide"),
        ("what certificate does an electrican need", "electrician"),
        ("does a safty production manager cert expire", "safety_production_manager"),
        ("What about LAWYERS?", "lawyer"),
        ("cpa", "certified_public_accountant"),
    ],
)
def test_text_mentions_are_found(gate: DomainGate, text: str, entry_id: str) -> None:
    assert gate.mentions.from_text(text) == entry_id


@pytest.mark.parametrize(
    "text",
    [
        "how can i tell if a certificate is fake",  # "a certificate" is not "cpa certificate"
        "my qualification certificate is no longer valid",
        "hello there",
        "what certificate does a driving instructor need",  # one letter from "constructor"
        "",
    ],
)
def test_no_mention_is_invented(gate: DomainGate, text: str) -> None:
    assert gate.mentions.from_text(text) is None


def test_entities_win_over_text(gate: DomainGate) -> None:
    message = {"text": "teachers and doctors", "entities": [{"entity": "profession", "value": "Doctors"}]}
    assert gate.mentions.find(message) == "doctor"


def test_unknown_entity_value_falls_back_to_text(gate: DomainGate) -> None:
    message = {"text": "and for a teacher?", "entities": [{"entity": "profession", "value": "astronaut"}]}
    assert gate.mentions.find(message) == "teacher"


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("做导游要不要证", "tour_guide"),
        ("消防工程师要持证上岗吗", "fire_engineer"),
        ("安全员证过期了还能用吗", "safety_production_manager"),
        ("教师资格证怎么查真假", "teacher"),
        ("注册会计师要持证吗", "certified_public_accountant"),
        ("那医生呢？", "doctor"),
        ("二建证书有效期多久", "constructor"),
        ("導遊證過期了怎麼辦", "tour_guide"),  # traditional characters
    ],
)
def test_chinese_mentions_are_found(gate: DomainGate, text: str, entry_id: str) -> None:
    assert gate.mentions.from_text(text) == entry_id


@pytest.mark.parametrize("text", ["会计要考什么证", "证书过期了怎么办", "你好"])
def test_no_chinese_mention_is_invented(gate: DomainGate, text: str) -> None:
    assert gate.mentions.from_text(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "瑜伽老师要什么证",  # 老师 inside another job's name
        "宠物医生要考什么证",  # 医生 inside another job's name
        "执业兽医师证书过期了怎么办",
        "do i need a license to be a patent attorney",  # "attorney" inside "patent attorney"
        "i drive a forklift, forklift drivers need what",  # not special equipment in our sources
        "is the medical licence permanent",  # a practice licence, not the doctor's qualification
        "国际汉语教师证书一年考几次",  # a certificate of its own, not the teacher qualification
        "电梯安全员证怎么考",  # special equipment, not the safety production manager
    ],
)
def test_names_of_other_jobs_name_no_entry(gate: DomainGate, text: str) -> None:
    assert gate.mentions.from_text(text) is None


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("瑜伽老师和中学老师都要教师资格证吗", "teacher"),  # the other job's name hides only itself
        ("patent attorney or lawyer, which needs a licence", "lawyer"),
    ],
)
def test_an_entry_beside_another_jobs_name_is_found(gate: DomainGate, text: str, entry_id: str) -> None:
    assert gate.mentions.from_text(text) == entry_id
