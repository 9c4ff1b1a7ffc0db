"""What the assistant's messages become in WeChat: text within WeChat's length limit, and
"did you mean" buttons as a numbered list or a clickable menu.

WeChat shows text only: a message's buttons become a menu (msgmenu) in a customer-service
message, or, in the one reply WeChat's own request allows, numbered lines the follower
answers with a number. A long answer is split between sentences, never inside one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.dialogue.feedback import is_feedback
from bot.knowledge.loader import current_knowledge
from bot.text import detect_language, shortened

# WeChat cuts a text message's content at 2,048 bytes (UTF-8: about 680 Chinese characters).
TEXT_LIMIT_BYTES = 2048
# And refuses a menu (msgmenu) whose text is over 1,024 bytes, with more than 10 choices, or
# with a choice's words over 128 bytes (its customer-service message API).
MENU_TEXT_LIMIT_BYTES = 1024
MENU_CHOICES_LIMIT = 10
MENU_CHOICE_LIMIT_BYTES = 128
# A sentence ends after these (with any closing quotes or brackets); a paragraph at a line break.
_SENTENCE = re.compile(r".*?(?:[。！？；!?;]+[”’」』）)]*|\.(?=\s)|$)", re.DOTALL)
_CLAUSE = re.compile(r".*?(?:[，、,：:]|\s|$)", re.DOTALL)


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


@dataclass(frozen=True)
class Message:
    """One message of the assistant's reply: its text and any buttons under it."""

    text: str
    choices: tuple[Choice, ...] = ()


def messages_from_rasa(collected: list[dict[str, Any]]) -> list[Message]:
    """The messages a Rasa CollectingOutputChannel gathered, as WeChat can show them.

    Without the "helpful" buttons under answers: as numbered lines they would follow every
    answer and take the numbers that "did you mean" choices use."""
    messages = []
    for each in collected:
        choices = tuple(Choice(str(button.get("title", "")), str(button.get("payload", "")))
                        for button in each.get("buttons") or []
                        if button.get("payload") and not is_feedback(str(button["payload"])))
        text = str(each.get("text") or "").strip()
        if text or choices:
            messages.append(Message(text, choices))
    return messages


def _bytes(text: str) -> int:
    return len(text.encode())


def fits(text: str, limit: int = TEXT_LIMIT_BYTES) -> bool:
    return _bytes(text) <= limit


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """`text` in parts of at most `limit` bytes, each ending at a paragraph or sentence
    end (only a sentence longer than a whole message is split further, between clauses)."""
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and not fits(current + piece, limit):
            parts.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        parts.append(current.strip())
    return parts


def menu_parts(message: Message) -> tuple[list[str], str, list[tuple[Choice, ...]]]:
    """A message with choices as WeChat takes it: the texts sent before the menu, the menu's
    own text (the message's last part) and its choices, ten to a menu, each within WeChat's
    limits."""
    parts = split_text(message.text)
    if parts and not fits(parts[-1], MENU_TEXT_LIMIT_BYTES):
        parts[-1:] = split_text(parts[-1], MENU_TEXT_LIMIT_BYTES)
    head = parts.pop() if parts else ""
    choices = tuple(Choice(shortened(choice.title, MENU_CHOICE_LIMIT_BYTES, _bytes), choice.payload)
                    for choice in message.choices)
    return parts, head, [choices[start : start + MENU_CHOICES_LIMIT]
                         for start in range(0, len(choices), MENU_CHOICES_LIMIT)]


def _pieces(text: str, limit: int) -> list[str]:
    """Sentences (each with the space or line break after it), each within the limit."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        for sentence in (match.group() for match in _SENTENCE.finditer(line) if match.group()):
            pieces.extend([sentence] if fits(sentence, limit) else _shorter(sentence, limit))
    return pieces


def _shorter(sentence: str, limit: int) -> list[str]:
    """A sentence too long for one message, between clauses (or, for a clause that alone is
    too long, between characters)."""
    pieces: list[str] = []
    current = ""
    for clause in (match.group() for match in _CLAUSE.finditer(sentence) if match.group()):
        for character in clause if not fits(clause, limit) else [clause]:
            if current and not fits(current + character, limit):
                pieces.append(current)
                current = ""
            current += character
    return [*pieces, current] if current else pieces


def numbered(message: Message, first: int = 1) -> str:
    """A message with its choices as numbered lines from `first`, and how to choose."""
    if not message.choices:
        return message.text
    lines = [f"{number}. {choice.title}" for number, choice in enumerate(message.choices, start=first)]
    language = detect_language(message.text + " ".join(choice.title for choice in message.choices)) or "zh"
    how = current_knowledge().conversation_replies["choose_by_number"][language]
    return "\n".join(filter(None, [message.text, *lines, how]))


def single_text(messages: list[Message]) -> str | None:
    """The whole reply as one text message (the only kind WeChat's own request can carry),
    or None if it does not fit in one."""
    texts, first = [], 1
    for message in messages:  # the choices are numbered across the reply, as they are remembered
        texts.append(numbered(message, first))
        first += len(message.choices)
    text = "\n\n".join(texts)
    return text if fits(text) else None


def text_only_reply() -> str:
    """The reply to a picture, location, file or link (followers are Chinese unless they
    write English, and these say nothing about the language)."""
    return current_knowledge().conversation_replies["text_only"]["zh"]
