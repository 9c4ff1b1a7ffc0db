"""Which language a message is in, and how text is normalised and folded."""

from __future__ import annotations

import pytest

from bot.certificates.model import clean_holder_name, holder_name_problem, mask_name, number_from_message
from bot.text import detect_language, fold_lines, normalize_phrase, normalize_text, shortened


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("做导游要不要证", "zh"),
        ("那律师呢？", "zh"),
        ("導遊證過期了怎麼辦", "zh"),
        ("CPA要持证吗", "zh"),
        ("does a safety production manager certificate expire?", "en"),
        ("How do I check my 电工证 status?", "en"),
        ("hello", "en"),
        ("Li Xiaoming", "en"),
        ("ok", None),
        ("1", None),
        ("SPM-2022-004417", None),
        ("ＳＰＭ－２０２２－００４４１７", None),
        ('/choose_entry{"entry_id": "how_to_obtain"}', None),
        ("", None),
    ],
)
def test_language_of_a_message(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_full_width_and_traditional_text_is_normalised() -> None:
    assert normalize_text("ＣＰＡ證書過期") == "CPA证书过期"
    assert normalize_phrase("教師資格證，怎麼查？") == normalize_phrase("教师资格证 怎么查")


def test_folding_joins_chinese_lines_and_spaces_english_ones() -> None:
    folded = fold_lines("资格证书是\n证明能力的凭证。\nA proof\n of ability.")
    assert folded == "资格证书是证明能力的凭证。 A proof of ability."


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        (" spm-2022-004417 ", "SPM-2022-004417"),
        ("ＳＰＭ－２０２２－００４４１７", "SPM-2022-004417"),
        ("证书编号是SPM—2022—004417。", "SPM-2022-004417"),
        ("the number is spm-2022-004417", "SPM-2022-004417"),
    ],
)
def test_numbers_are_normalised(typed: str, number: str) -> None:
    assert number_from_message(typed) == number


@pytest.mark.parametrize(
    ("typed", "name", "masked"),
    [
        ("刘洋", "刘洋", "刘*"),
        ("持证人叫王小明。", "王小明", "王**"),
        ("阿依古丽・买买提", "阿依古丽·买买提", "阿***·买**"),
        ("my name is  Li   Xiaoming", "Li Xiaoming", "L* X*******"),
    ],
)
def test_holder_names_are_cleaned_and_masked(typed: str, name: str, masked: str) -> None:
    assert clean_holder_name(typed) == name
    assert holder_name_problem(name) is None
    assert mask_name(name) == masked


def test_names_with_digits_are_refused() -> None:
    assert holder_name_problem(clean_holder_name("110101199003077777")) is not None
    assert holder_name_problem("") is not None


def test_shortened_keeps_within_the_limit_by_characters_or_by_bytes() -> None:
    assert shortened("短问题", 5) == "短问题"
    assert shortened("abcdefghij", 5) == "abcd…"
    by_bytes = shortened("证书过期了怎么办", 10, lambda text: len(text.encode()))
    assert by_bytes == "证书…" and len(by_bytes.encode()) <= 10  # 「证书过」 and "…" would be 12 bytes
