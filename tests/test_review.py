"""The review queue: how a message ended, what is kept of it (never a lookup's details),
grouping by likeness, decisions from the command line, and accepted wordings written into
the knowledge in its own style."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered

from bot.dialogue.feedback import ANSWER_TO_ENTITY, HELPFUL_ENTITY, feedback_payload
from bot.errors import ReviewError, TrainingError
from bot.knowledge.compiler import catalog_nlu
from bot.knowledge.loader import load_knowledge
from bot.knowledge.response_names import (
    DID_YOU_MEAN,
    OUT_OF_SCOPE,
    catalog_response,
    faq_response,
    unlisted_response,
)
from bot.knowledge.routing import FEEDBACK_INTENT, LOOKUP_FORM
from bot.review import stats
from bot.review.accounts import add_account, check_password
from bot.review.grouping import Question, group_questions
from bot.review.knowledge_edit import KnowledgeEditor, append_to_list
from bot.review.outcomes import ANSWERED, DECLINED, HEDGED, LOOKUP, NOT_HELPFUL, UNLISTED_OUTCOME, mask_numbers
from bot.review.store import Filters, ReviewStore
from bot.review.tables import create_tables, feedback, insert_new, metadata, turns
from bot.review.trainings import FAILED, Trainings
from bot.server.review_recording import finished, record_feedback, without_texts_after_lookups
from bot.settings import PROJECT_ROOT


def user(text: str, at: float, intent: str = "faq", domain_word: bool = True) -> UserUttered:
    parsed = {"intent": {"name": intent, "confidence": 0.41}, "text": text,
              "intent_ranking": [{"name": intent, "confidence": 0.41}, {"name": "out_of_scope", "confidence": 0.3}],
              "scope": {"entry": None, "unlisted": None, "unknown": None, "uncovered": None, "aspects": [],
                        "relatedness": {"domain_word": domain_word, "trade": False, "other_meaning": False}}}
    return UserUttered(text, parse_data=parsed, timestamp=at)


def bot(response: str, text: str = "…", buttons: list[dict[str, str]] | None = None) -> BotUttered:
    return BotUttered(text, data={"buttons": buttons}, metadata={"utter_action": response})


LISTEN = ActionExecuted(ACTION_LISTEN_NAME)


def test_numbers_that_look_like_certificate_or_id_numbers_are_masked() -> None:
    assert mask_numbers("编号SPM-2022-004417查一下") == "编号###查一下"
    assert mask_numbers("身份证110101199003071234") == "身份证###"
    assert mask_numbers("ＤＥＭＯ－２０２２－００４４") == "###"
    assert mask_numbers("2021年的三级证 5年有效") == "2021年的三级证 5年有效"


def test_each_finished_message_is_recorded_with_how_it_ended() -> None:
    events: list[Event] = [
        LISTEN, user("二建要注册吗", 1.0),
        bot(DID_YOU_MEAN, "您是不是想问：", [{"title": "证书过期", "payload": "/x"}]),
        LISTEN, user("一建证书有用吗", 2.0), bot(catalog_response("constructor", "overview")), LISTEN,
        user("月嫂证有用吗", 3.0), bot(unlisted_response("career_benefits"), "我的知识库里没有关于「月嫂证」"), LISTEN,
        user("今天天气", 4.0, "out_of_scope", domain_word=False), bot(OUT_OF_SCOPE), LISTEN,
        user("证书过期了吗天气", 5.0, "out_of_scope"), bot(OUT_OF_SCOPE), LISTEN,
        user("还没说完", 6.0),  # not finished: recorded at the next save
    ]
    recorded = finished("s", events, first_new=0)[0]
    assert [(t.asked_at, t.outcome, t.for_review) for t in recorded] == [
        (1.0, HEDGED, True), (2.0, ANSWERED, False), (3.0, UNLISTED_OUTCOME, True), (4.0, DECLINED, False),
        (5.0, DECLINED, True)]
    hedged = recorded[0]
    assert hedged.answer_seconds is not None and hedged.answer_seconds >= 0
    assert hedged.text == "二建要注册吗" and hedged.language == "zh" and hedged.confidence == 0.41
    assert "证书过期" in json.loads(hedged.candidates or "[]") and hedged.answer == "您是不是想问："
    assert recorded[1].text is None  # answered: only counted
    # A later save records what finished after the events it already stored.
    later = finished("s", [*events, bot(DID_YOU_MEAN), LISTEN], first_new=len(events))[0]
    assert [t.asked_at for t in later] == [6.0]


def test_nothing_typed_into_a_lookup_is_kept() -> None:
    events: list[Event] = [
        LISTEN, user("check my certificate", 1.0, "check_certificate"), ActionExecuted(LOOKUP_FORM),
        ActiveLoop(LOOKUP_FORM), SlotSet(REQUESTED_SLOT, "certificate_number"), LISTEN,
        user("SPM-2022-004417", 2.0, "nlu_fallback"), SlotSet("certificate_number", "SPM-2022-004417"),
        SlotSet(REQUESTED_SLOT, "holder_name"), LISTEN,
        user("Chen Jing", 3.0, "nlu_fallback"), SlotSet("holder_name", "Chen Jing"), ActiveLoop(None),
        SlotSet(REQUESTED_SLOT, None), bot("utter_lookup_valid"), LISTEN,
        user("is chen jing's 月嫂证 SPM-2022-004417 (ID 110101199003071234) worth it?", 4.0),
        bot(unlisted_response("career_benefits")), LISTEN,
    ]
    recorded = finished("s", events, first_new=0)[0]
    assert [(t.outcome, t.for_review, t.text) for t in recorded] == [(LOOKUP, False, None)] * 3 + [
        (UNLISTED_OUTCOME, False, None)]  # after a lookup: counted, its text not kept


def test_no_text_is_kept_for_a_conversation_that_had_a_lookup_before(tmp_path: Path) -> None:
    """Its lookup may have been cut from the events at hand, or be in an earlier session."""
    store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
    with store.engine.begin() as connection:
        insert_new(connection, turns, [{"turn_key": "a:1", "sender_id": "a", "asked_at": 1.0, "language": "zh",
                                        "outcome": LOOKUP, "for_review": False}], "turn_key")
        later = finished("a", [LISTEN, user("陈静的月嫂证有用吗", 5.0), bot(unlisted_response("x")), LISTEN], 0)[0]
        other = finished("b", [LISTEN, user("月嫂证有用吗", 5.0), bot(unlisted_response("x")), LISTEN], 0)[0]
        kept = without_texts_after_lookups(connection, later + other)
    assert [(turn.sender_id, turn.for_review, turn.text) for turn in kept] == [
        ("a", False, None), ("b", True, "月嫂证有用吗")]


def press(helpful: bool, answer_to: float, at: float) -> UserUttered:
    """A press of a feedback button under the answer to the message sent at `answer_to`."""
    payload = feedback_payload(helpful, repr(answer_to))
    parsed = {"intent": {"name": FEEDBACK_INTENT, "confidence": 1.0}, "text": payload,
              "entities": [{"entity": HELPFUL_ENTITY, "value": "yes" if helpful else "no"},
                           {"entity": ANSWER_TO_ENTITY, "value": repr(answer_to)}]}
    return UserUttered(payload, parse_data=parsed, timestamp=at)


def test_not_helpful_puts_the_answered_question_in_the_queue_and_both_are_counted(tmp_path: Path) -> None:
    events: list[Event] = [
        LISTEN, user("证书过期了怎么办", 1.0), bot(faq_response("expiry_and_renewal"), "大多数资格证书长期有效"),
        LISTEN,
        user("二建要注册吗", 2.0), bot(catalog_response("constructor", "needed"), "需要注册"), LISTEN,
        press(False, 1.0, 3.0), bot("utter_feedback_thanks"), LISTEN,
        press(True, 2.0, 4.0), bot("utter_feedback_thanks"), LISTEN,
        press(False, 9.0, 5.0), bot("utter_feedback_thanks"), LISTEN,  # about no message of this conversation
    ]
    turns_, feedback_ = finished("s", events, first_new=0)
    assert [(turn.text, turn.outcome, turn.for_review) for turn in turns_] == [
        (None, ANSWERED, False), (None, ANSWERED, False)]  # the presses are not messages
    assert [(each.turn_key, each.helpful) for each in feedback_] == [("s:1.0", False), ("s:2.0", True)]
    assert feedback_[0].question and feedback_[0].question.text == "证书过期了怎么办"
    assert feedback_[0].question.answer == "大多数资格证书长期有效"
    store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
    with store.engine.begin() as connection:
        insert_new(connection, turns, [turn.row() for turn in turns_], "turn_key")
        record_feedback(connection, feedback_)
        record_feedback(connection, feedback_)  # saved twice: recorded once
        days = stats.daily_counts(connection, 0.0)
    [group] = store.groups(Filters(outcome=NOT_HELPFUL))
    assert group.wordings == ["证书过期了怎么办"]
    assert [(day.counts[ANSWERED], day.helpful, day.not_helpful) for day in days] == [(2, 1, 1)]


def test_not_helpful_after_a_lookup_is_counted_without_its_text(tmp_path: Path) -> None:
    events: list[Event] = [
        LISTEN, user("check my certificate", 1.0, "check_certificate"), ActionExecuted(LOOKUP_FORM),
        ActiveLoop(LOOKUP_FORM), SlotSet(REQUESTED_SLOT, "holder_name"), LISTEN,
        user("Chen Jing", 2.0, "nlu_fallback"), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None),
        bot("utter_lookup_valid"), LISTEN,
        user("is Chen Jing's certificate still needed", 3.0), bot(faq_response("expiry_and_renewal")), LISTEN,
        press(False, 3.0, 4.0), bot("utter_feedback_thanks"), LISTEN,
    ]
    turns_, feedback_ = finished("s", events, first_new=0)
    store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
    with store.engine.begin() as connection:
        insert_new(connection, turns, [turn.row() for turn in turns_], "turn_key")
        record_feedback(connection, feedback_)
        texts = connection.execute(sa.select(turns.c.text).where(turns.c.text.is_not(None))).all()
        marks = connection.execute(sa.select(feedback.c.helpful)).scalars().all()
    assert texts == [] and marks == [False] and store.groups() == []


def test_alike_questions_are_grouped_the_most_asked_first() -> None:
    asked = ["二建要注册吗", "二建需要注册吗", "二建需要注册吗?", "今天天气怎么样",
             "do I need to register as a constructor", "do i need to register a constructor certificate"]
    groups = group_questions([Question(i + 1, text, "zh", HEDGED, float(i)) for i, text in enumerate(asked)])
    assert [(g.id, g.count) for g in groups] == [("g1", 3), ("g5", 2), ("g4", 1)]
    assert groups[0].wordings[0] == "二建需要注册吗"


def _store_with(tmp_path: Path, texts: list[tuple[str, str, str]]) -> ReviewStore:
    store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
    rows = [{"turn_key": f"s:{i}", "sender_id": "s", "asked_at": 1_700_000_000.0 + i, "language": language,
             "outcome": outcome, "for_review": True, "text": text} for i, (text, language, outcome) in enumerate(texts)]
    with store.engine.begin() as connection:
        insert_new(connection, turns, rows, "turn_key")
        insert_new(connection, turns, rows, "turn_key")  # a second save of the same turns adds nothing
    return store


def test_the_queue_filters_and_decisions(tmp_path: Path) -> None:
    store = _store_with(tmp_path, [("二建要注册吗", "zh", HEDGED), ("二建需要注册吗", "zh", HEDGED),
                                   ("is a yoga teacher certificate needed", "en", UNLISTED_OUTCOME)])
    assert [g.count for g in store.groups()] == [2, 1]
    assert [g.languages for g in store.groups(Filters(language="en"))] == [["en"]]
    assert store.groups(Filters(outcome=DECLINED)) == []
    assert store.groups(Filters(since=1_700_000_002.0))[0].wordings == ["is a yoga teacher certificate needed"]
    store.resolve(store.group("g1"), "dismissed", "alice", {})
    assert [g.id for g in store.groups()] == ["g3"]
    assert store.history()[0]["actor"] == "alice" and store.history()[0]["action"] == "dismissed"
    with pytest.raises(ReviewError, match="no open group 'g1'"):
        store.group("g1")


def test_passwords_are_kept_only_as_argon2_hashes(tmp_path: Path) -> None:
    store = ReviewStore(f"sqlite:///{tmp_path / 'conversations.db'}")
    add_account(store, "alice", "correct horse battery", "test")
    assert check_password(store, "alice", "correct horse battery")
    assert not check_password(store, "alice", "wrong password!") and not check_password(store, "bob", "x" * 12)
    with sqlite3.connect(tmp_path / "conversations.db") as database:
        stored = database.execute("SELECT password_hash FROM staff_accounts").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    with pytest.raises(ReviewError, match="at least 10"):
        add_account(store, "bob", "short", "test")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for folder in ("knowledge", "data"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    return tmp_path


def test_accepted_wordings_are_appended_in_the_files_own_style(project_copy: Path) -> None:
    editor = KnowledgeEditor(project_copy / "knowledge", project_copy / "data")
    faq_file = project_copy / "knowledge" / "faq" / "expiry_and_renewal.yml"
    before = faq_file.read_text(encoding="utf-8")
    edit = editor.add_phrasings("expiry_and_renewal", None, [("zh", "证书过期咋整"), ("zh", "资格证书有效期多久")])
    assert edit.added == ("证书过期咋整",)  # the second is there already
    assert [line for line in edit.diff.splitlines() if line.startswith(("+", "-"))] == [
        "--- a/knowledge/faq/expiry_and_renewal.yml", "+++ b/knowledge/faq/expiry_and_renewal.yml",
        "+    - 证书过期咋整"]
    assert faq_file.read_text(encoding="utf-8").replace("    - 证书过期咋整\n", "") == before
    editor.add_phrasings("constructor", "needed", [("zh", "二建证书需要注册才能用吗"), ("en", "constructor: cert?")])
    written = (project_copy / "knowledge" / "catalog" / "constructor.yml").read_text(encoding="utf-8")
    assert written.index("phrasings:") < written.index("# Where the sources say") < written.index("evidence:")
    data = yaml.safe_load(written)
    assert data["phrasings"] == {"needed": {"zh": ["二建证书需要注册才能用吗"], "en": ["constructor: cert?"]}}
    kb = load_knowledge(project_copy / "knowledge", check_reviews=False)
    assert "二建证书需要注册才能用吗" in catalog_nlu(kb)


def test_comments_inside_and_after_a_list_are_kept_in_place(tmp_path: Path) -> None:
    text = "phrasings:\n  en:\n    - a\n# about the next list\n  zh:\n    - 甲\n\n# about evidence\nevidence: {}\n"
    changed = append_to_list(text, ["phrasings", "zh"], ["乙"], "x.yml")
    assert changed == text.replace("    - 甲\n", "    - 甲\n    - 乙\n")
    assert yaml.safe_load(changed)["phrasings"] == {"en": ["a"], "zh": ["甲", "乙"]}


def test_a_wording_the_knowledge_would_not_accept_changes_nothing(project_copy: Path) -> None:
    editor = KnowledgeEditor(project_copy / "knowledge", project_copy / "data")
    entry = project_copy / "knowledge" / "catalog" / "constructor.yml"
    before = entry.read_text(encoding="utf-8")
    with pytest.raises(ReviewError, match="names none of its aliases"):
        editor.add_phrasings("constructor", "needed", [("zh", "证书要注册吗")])
    with pytest.raises(ReviewError, match="which aspect"):
        editor.add_phrasings("constructor", None, [("zh", "二建要注册吗")])
    with pytest.raises(ReviewError, match="no entry 'nurse'"):
        editor.add_phrasings("nurse", None, [("zh", "护士证")])
    assert entry.read_text(encoding="utf-8") == before


def _bot(args: list[str], project: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), "USER": "tester",
           "BOT_TRACKER_DB_URL": f"sqlite:///{project / 'conversations.db'}",
           "BOT_KNOWLEDGE_DIR": str(project / "knowledge"), "BOT_DATA_DIR": str(project / "data"),
           "BOT_MODEL": str(project / "models" / "certificates.tar.gz")}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=120)


def test_the_command_line_lists_accepts_and_declines_groups(project_copy: Path) -> None:
    _store_with(project_copy, [("二建要注册吗", "zh", HEDGED), ("二建需要注册吗", "zh", HEDGED),
                               ("网银U盾证书过期了怎么办", "zh", HEDGED), ("瑜伽老师要什么证", "zh", UNLISTED_OUTCOME)])
    listed = json.loads(_bot(["review", "--json"], project_copy).stdout)
    assert [(g["group"], g["count"]) for g in listed] == [("g1", 2), ("g4", 1), ("g3", 1)]
    table = _bot(["review", "--language", "zh"], project_copy).stdout
    assert "g1" in table and "二建" in table
    accepted = _bot(["review", "accept", "g1", "--entry", "constructor", "--aspect", "needed"], project_copy)
    assert accepted.returncode == 0, accepted.stderr
    assert "+      - 二建要注册吗" in accepted.stdout and "b/knowledge/catalog/constructor.yml" in accepted.stdout
    declined = _bot(["review", "out-of-scope", "g3"], project_copy)
    assert "+    - 网银U盾证书过期了怎么办" in declined.stdout
    assert "网银U盾证书过期了怎么办" in (project_copy / "data" / "nlu" / "out_of_scope.yml").read_text(encoding="utf-8")
    assert _bot(["review", "new-entry", "g4"], project_copy).returncode == 0
    assert json.loads(_bot(["review", "new-entries", "--json"], project_copy).stdout)[0]["text"] == "瑜伽老师要什么证"
    assert _bot(["review"], project_copy).stdout.strip() == "nothing to review"
    unknown = _bot(["review", "dismiss", "g1"], project_copy)
    assert unknown.returncode == 1 and "no open group 'g1'" in unknown.stderr
    added = _bot(["staff", "add", "alice"], project_copy, stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    assert _bot(["staff", "list"], project_copy).stdout.split() == ["alice"]
    assert _bot(["staff", "remove", "alice"], project_copy).returncode == 0
    assert _bot(["staff", "list"], project_copy).stdout.split() == []
    gone = _bot(["staff", "remove", "alice"], project_copy)
    assert gone.returncode == 1 and "there is no account 'alice'" in gone.stderr
    with sqlite3.connect(project_copy / "conversations.db") as database:
        actions = [row[0] for row in database.execute("SELECT actor || ' ' || action FROM staff_audit ORDER BY id")]
    assert actions == ["shell:tester accepted", "shell:tester out_of_scope", "shell:tester new_entry",
                       "shell:tester staff_added", "shell:tester staff_removed"]


def _create(url: str, start: Any, create: Callable[[sa.engine.Engine], None]) -> None:
    engine = sa.create_engine(url)
    engine.connect().close()
    start.wait()  # all at once
    create(engine)


def _race(url: str, create: Callable[[sa.engine.Engine], None]) -> list[int | None]:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(4)
    processes = [context.Process(target=_create, args=(url, start, create)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    return [process.exitcode for process in processes]


def test_processes_starting_together_create_the_tables_once_without_an_error(tmp_path: Path) -> None:
    """Two Rasa server processes take their first messages at the same moment: the one that
    loses the race to create the review tables must not fail the message."""
    assert any(code != 0 for attempt in range(10)  # the race this guards against is real
               for code in _race(f"sqlite:///{tmp_path / f'plain-{attempt}.db'}", metadata.create_all))
    for attempt in range(10):
        url = f"sqlite:///{tmp_path / f'conversations-{attempt}.db'}"
        assert _race(url, create_tables) == [0, 0, 0, 0]
        assert {"review_turns", "staff_accounts"} <= set(sa.inspect(sa.create_engine(url)).get_table_names())


def test_one_training_at_a_time_and_an_abandoned_one_ends_as_failed(review_store: ReviewStore) -> None:
    runs = Trainings(review_store)
    first = runs.begin("alice")
    with pytest.raises(TrainingError, match="already running: started .* by alice"):
        runs.begin("bob")
    gone = subprocess.Popen(["true"])
    gone.wait()
    runs.attach(first, gone.pid)  # the training's process ended without recording how
    assert runs.running() is None
    assert runs.latest()[0].status == FAILED and "ended without finishing" in runs.latest()[0].message
    second = runs.begin("bob")
    assert runs.running() is not None and runs.running().id == second  # type: ignore[union-attr]


def test_a_training_checks_the_questions_decided_since_the_one_before(review_store: ReviewStore) -> None:
    rows = [{"turn_key": f"s:{i}", "sender_id": "s", "asked_at": float(i), "language": "zh", "outcome": HEDGED,
             "for_review": True, "text": text} for i, text in enumerate(["二建要注册吗", "今天天气", "月嫂证有用吗"])]
    with review_store.engine.begin() as connection:
        insert_new(connection, turns, rows, "turn_key")
    groups = {group.wordings[0]: group for group in review_store.groups()}
    review_store.resolve(groups["二建要注册吗"], "accepted", "alice", {"entry": "constructor"})
    runs = Trainings(review_store)
    first = runs.begin("alice")
    assert [(q.text, q.decision, q.entry) for q in runs.decided_since_last(first)] == [
        ("二建要注册吗", "accepted", "constructor")]
    runs.finish(first, "succeeded", "new model", [])
    review_store.resolve(groups["今天天气"], "out_of_scope", "alice", {})
    second = runs.begin("alice")
    assert [(q.text, q.decision, q.entry) for q in runs.decided_since_last(second)] == [
        ("今天天气", "out_of_scope", None)]


def test_a_failed_training_keeps_the_model_and_says_why(project_copy: Path) -> None:
    model = project_copy / "models" / "certificates.tar.gz"
    model.parent.mkdir()
    model.write_bytes(b"the model being served")
    broken = project_copy / "data" / "nlu" / "broken.yml"
    broken.write_text('version: "3.1"\nnlu:\n- intent: faq\n  examples: [\n', encoding="utf-8")
    failed = _bot(["train"], project_copy)
    assert failed.returncode == 1 and "Rasa's training failed" in failed.stderr
    assert model.read_bytes() == b"the model being served"
    assert not list(model.parent.glob(".training-*"))
    (project_copy / "knowledge" / "faq" / "expiry_and_renewal.yml").write_text("question: [", encoding="utf-8")
    failed = _bot(["train"], project_copy)
    assert failed.returncode == 1 and "expiry_and_renewal.yml" in failed.stderr
    with sqlite3.connect(project_copy / "conversations.db") as database:
        runs = database.execute("SELECT started_by, status, message FROM training_runs ORDER BY id").fetchall()
    assert [(by, status) for by, status, _ in runs] == [("shell:tester", "failed")] * 2
    assert all("the running model was not changed" in message for _, _, message in runs)


def test_a_sqlite_conversation_database_keeps_its_connections_in_wal_mode(tmp_path: Path) -> None:
    # A new SQLite connection per transaction was most of the handoff desk's time per message.
    store = ReviewStore(f"sqlite:///{tmp_path}/conversations.db")
    for _ in range(3):
        with store.transaction() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert store.engine.pool.checkedin() == 1  # one connection, used three times
    store.close()
