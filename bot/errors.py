"""Every error type the project raises, in one place."""

from __future__ import annotations

from dataclasses import dataclass


class BotError(Exception):
    """Base class: an error this project raises on purpose, with a message for people."""


@dataclass(frozen=True)
class Problem:
    """One mistake in the knowledge base, located as precisely as we can."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f", entry '{self.entry}'"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class KnowledgeError(BotError):
    """The knowledge base has mistakes; `problems` lists every one found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n{lines}")


class SettingsError(BotError):
    """An environment variable holds a value the assistant cannot use."""


class StaleGeneratedFilesError(BotError):
    """Generated files differ from what the knowledge base compiles to."""

    def __init__(self, stale: list[str]) -> None:
        self.stale = stale
        names = ", ".join(stale)
        super().__init__(
            f"generated files are out of date with knowledge/: {names}. "
            "Run `.venv/bin/python -m bot compile` and commit the result."
        )


class CertificateNotFound(BotError):
    """No certificate matches both the number and the holder's name.

    Deliberately the same error for an unknown number and a wrong name, so that nobody can
    learn from the answer whether a number exists.
    """


class LookupUnavailable(BotError):
    """The certificate store or registry cannot answer now (missing, locked, corrupt, down)."""


class ConversationStoreUnavailable(BotError):
    """The database that keeps conversations cannot be read or written now."""


class LimitsUnavailable(BotError):
    """The store of rate-limit counters cannot be read or written now."""


class SharedValuesUnavailable(BotError):
    """The store of values shared by processes (claimed messages, access tokens) cannot be
    read or written now."""


class WechatRequestRejected(BotError):
    """A request to the WeChat webhook that is not WeChat's, or not any more (stale)."""


class WechatApiError(BotError):
    """WeChat's API refused a call or could not be reached."""


class ImportFileError(BotError):
    """An import file cannot be read at all (not a single row can be trusted)."""


class UnsupportedVersionError(BotError):
    """Rasa or Sanic is not the version whose internals bot.server.patches changes."""


class ReviewError(BotError):
    """A decision on the review queue cannot be carried out: an unknown group, entry or
    aspect, or a change the knowledge would not accept."""


class TrainingError(BotError):
    """A training cannot start (another is running) or did not produce a model; the model
    being served stays."""


class HandoffError(BotError):
    """A handed-over conversation or a ticket cannot be acted on: it does not exist, or
    another member of staff took or answered it first."""
