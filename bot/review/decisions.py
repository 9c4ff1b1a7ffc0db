"""A curator's decision on a group of the review queue, the same from the console and the
command line: accepting adds its wordings to an entry, unrelated adds them to the
out-of-scope training data; every decision is recorded with who took it."""

from __future__ import annotations

from bot.review.grouping import Group
from bot.review.knowledge_edit import Edit, KnowledgeEditor
from bot.review.outcomes import MASK
from bot.review.store import ACCEPTED, DISMISSED, NEW_ENTRY, OUT_OF_SCOPE, ReviewStore
from bot.settings import Settings
from bot.text import normalize_phrase

# The decisions, as the console's addresses and the command line name them.
DECISIONS = {"accept": ACCEPTED, "out-of-scope": OUT_OF_SCOPE, "new-entry": NEW_ENTRY, "dismiss": DISMISSED}


def learnable_wordings(group: Group) -> list[tuple[str, str]]:
    """The group's (language, text) that can be learnt from, once each (case, punctuation and
    traditional characters aside): none with a masked number in it."""
    learnable: dict[str, tuple[str, str]] = {}
    for question in group.questions:
        if MASK not in question.text:
            learnable.setdefault(normalize_phrase(question.text), (question.language, question.text))
    return list(learnable.values())


def decide(store: ReviewStore, settings: Settings, group: Group, decision: str, actor: str,
           entry_id: str | None = None, aspect: str | None = None) -> Edit | None:
    """Carries out the decision (a key of DECISIONS); the change to the files, if any."""
    editor = KnowledgeEditor(settings.knowledge_dir, settings.data_dir)
    edit: Edit | None = None
    resolution: dict[str, object] = {}
    if decision == "accept":
        edit = editor.add_phrasings(entry_id or "", aspect or None, learnable_wordings(group))
        resolution = {"entry": entry_id, "aspect": aspect or None, "added": list(edit.added)}
    elif decision == "out-of-scope":
        edit = editor.add_out_of_scope([text for _, text in learnable_wordings(group)])
        resolution = {"added": list(edit.added)}
    store.resolve(group, DECISIONS[decision], actor, resolution)
    return edit
