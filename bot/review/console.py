"""The staff console at /staff/ on the web page's server: login, the review queue grouped
by likeness, a decision on each group (the same as `python -m bot review ...`), a
dashboard (messages per day and language by how they ended, the latest benchmark figures)
and the record of who did what. In Chinese and English.

Independent of the HTTP server (bot.processes.webpage hands it each /staff/ request):
every page but the login asks for a session, every form a CSRF token (the session's, or
before login the one in the login cookie), and a POST from another origin is refused.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import secrets
import threading
from datetime import date, datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
import sqlalchemy as sa
import yaml

from bot.errors import BotError, ConversationStoreUnavailable, LimitsUnavailable
from bot.handoff.store import HandoffStore
from bot.knowledge.loader import KnowledgeWatcher
from bot.knowledge.model import ASPECTS
from bot.protection.clients import forwarded_address
from bot.protection.counter_store import open_limit_storage
from bot.review import stats
from bot.review.accounts import NAME, check_password
from bot.review.chart import stacked_bars
from bot.review.decisions import DECISIONS, decide
from bot.review.grouping import Group
from bot.review.handoff_pages import HandoffPages
from bot.review.http import Request, Response, redirect, security_headers
from bot.review.outcomes import OUTCOMES, QUEUE_OUTCOMES
from bot.review.sessions import LOGIN_WINDOW_MINUTES, LoginLimits, Session, Sessions
from bot.review.store import Filters, ReviewStore, when
from bot.review.trainings import Trainings, start_training
from bot.settings import PROJECT_ROOT, Settings
from bot.text import LANGUAGES

logger = logging.getLogger(__name__)

PREFIX = "/staff/"
TEMPLATES = PROJECT_ROOT / "web" / "staff"
# The console's own files, served to anyone (the login page uses the style sheet).
STATIC_FILES = {"console.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}
SESSION_COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"
LANGUAGE_COOKIE = "staff_language"
# How many of a group's wordings the queue shows.
SHOWN_WORDINGS = 5
# The dashboard's days, and the benchmarks whose latest figures it shows (results/<name>.json).
DASHBOARD_DAYS = 14
BENCHMARKS = ("benchmark", "real_questions")


class StaffConsole:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.texts: dict[str, dict[str, str]] = yaml.safe_load((TEMPLATES / "texts.yml").read_text(encoding="utf-8"))
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                            undefined=jinja2.StrictUndefined)
        self._ready = threading.Lock()
        self._store: ReviewStore | None = None
        self._limits: LoginLimits | None = None
        self.knowledge = KnowledgeWatcher(settings.knowledge_dir)
        self.handoff_pages = HandoffPages(settings, self.knowledge.current, PREFIX)

    # The database and the limits storage are opened on first use: the page serves the
    # public while they are down.
    def _open(self) -> tuple[ReviewStore, Sessions, LoginLimits]:
        with self._ready:
            if self._store is None or self._limits is None:
                self._store = ReviewStore(self.settings.tracker_db_url)
                self._limits = LoginLimits(open_limit_storage(self.settings.limits_url), self.settings.staff)
        return self._store, Sessions(self._store, self.settings.staff), self._limits

    def handle(self, request: Request) -> Response:
        server = self.settings.server
        request = dataclasses.replace(request, address=forwarded_address(
            request.address, request.headers, server.trusted_proxies, server.real_ip_header))
        language = self._language(request)
        try:
            return self._route(request, language)
        except (ConversationStoreUnavailable, LimitsUnavailable, sa.exc.SQLAlchemyError) as error:
            logger.error("staff console: %s", error)
            return self._page("message.html", request, language, None, HTTPStatus.SERVICE_UNAVAILABLE,
                              message=self.texts["unavailable"][language])
        except BotError as error:
            return self._page("message.html", request, language, None, HTTPStatus.BAD_REQUEST, message=str(error))

    def _route(self, request: Request, language: str) -> Response:
        path = request.path
        if path.removeprefix(PREFIX) in STATIC_FILES and request.method == "GET":
            name = path.removeprefix(PREFIX)
            return Response(HTTPStatus.OK, (TEMPLATES / name).read_bytes(),
                            [("Content-Type", STATIC_FILES[name]), *security_headers()])
        if path == f"{PREFIX}login":
            return self._login(request, language)
        if request.method == "POST" and not self._same_origin(request):
            return self._page("message.html", request, language, None, HTTPStatus.FORBIDDEN,
                              message=self.texts["other_origin"][language])
        store, sessions, _ = self._open()
        token = request.cookies.get(SESSION_COOKIE)
        session = sessions.find(token)
        if session is None:
            return redirect(f"{PREFIX}login")
        if request.method == "POST" and not _same_token(request.form.get("csrf", ""), session.csrf):
            return self._page("message.html", request, language, session, HTTPStatus.FORBIDDEN,
                              message=self.texts["bad_csrf"][language])
        if path == f"{PREFIX}logout" and request.method == "POST" and token:
            sessions.end(token)
            HandoffStore(store).set_available(session.name, False)  # no new chats for someone who left
            store.record(session.name, "logout", "")
            return redirect(f"{PREFIX}login", [("Set-Cookie", self._cookie(SESSION_COOKIE, "", expire=True))])
        if self.handoff_pages.handles(path):
            def page(template: str, **values: Any) -> Response:
                return self._page(template, request, language, session, HTTPStatus.OK, **values)

            handled = self.handoff_pages.route(request, session, store, page)
            if handled is not None:
                return handled
        if path == PREFIX and request.method == "GET":
            return self._queue(request, language, session, store)
        if path == f"{PREFIX}dashboard" and request.method == "GET":
            return self._dashboard(request, language, session, store)
        if path == f"{PREFIX}history" and request.method == "GET":
            return self._page("history.html", request, language, session, HTTPStatus.OK,
                              history=[{**line, "at": when(line["at"])} for line in store.history()])
        if path == f"{PREFIX}train" and request.method == "POST":
            start_training(Trainings(store), self.settings, session.name)
            return redirect(f"{PREFIX}train")
        if path == f"{PREFIX}train" and request.method == "GET":
            runs = Trainings(store)
            running, latest = runs.running(), runs.latest()
            return self._page("train.html", request, language, session, HTTPStatus.OK, running=running,
                              latest=latest[0] if latest else None, runs=latest)
        parts = path.removeprefix(PREFIX).split("/")
        if len(parts) == 3 and parts[0] == "groups" and parts[2] in DECISIONS and request.method == "POST":
            return self._decide(request, language, session, store, parts[1], parts[2])
        return self._page("message.html", request, language, session, HTTPStatus.NOT_FOUND,
                          message=self.texts["not_found"][language])

    def _login(self, request: Request, language: str) -> Response:
        if request.method == "GET":
            csrf = secrets.token_urlsafe(32)
            return self._page("login.html", request, language, None, HTTPStatus.OK, csrf=csrf, error="",
                              cookies=[self._cookie(LOGIN_COOKIE, csrf)])
        if request.method != "POST":
            return Response(HTTPStatus.METHOD_NOT_ALLOWED, headers=[("Allow", "GET, POST")])
        form = request.form
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not self._same_origin(request) or not expected or not _same_token(form.get("csrf", ""), expected):
            return self._page("message.html", request, language, None, HTTPStatus.FORBIDDEN,
                              message=self.texts["bad_csrf"][language])
        store, sessions, limits = self._open()
        name, password = form.get("name", "").strip(), form.get("password", "")
        # A name that cannot be an account (a password typed in the wrong field) is not recorded.
        recorded = name if NAME.match(name) else "-"
        if limits.blocked(name, request.address):
            store.record(recorded, "login_refused", f"too many failed logins (address {request.address})")
            return self._page("login.html", request, language, None, HTTPStatus.TOO_MANY_REQUESTS, csrf=expected,
                              error=self.texts["login_blocked"][language].format(minutes=LOGIN_WINDOW_MINUTES))
        if not check_password(store, name, password):
            limits.failed(name, request.address)
            store.record(recorded, "login_failed", f"address {request.address}")
            return self._page("login.html", request, language, None, HTTPStatus.UNAUTHORIZED, csrf=expected,
                              error=self.texts["login_failed"][language])
        token, _ = sessions.start(name)
        store.record(name, "login", f"address {request.address}")
        return redirect(PREFIX, [("Set-Cookie", self._cookie(SESSION_COOKIE, token)),
                                  ("Set-Cookie", self._cookie(LOGIN_COOKIE, "", expire=True))])

    def _queue(self, request: Request, language: str, session: Session, store: ReviewStore) -> Response:
        query = request.query
        chosen_language = query.get("language") if query.get("language") in LANGUAGES else None
        outcome = query.get("outcome") if query.get("outcome") in QUEUE_OUTCOMES else None
        since = _day(query.get("since", ""))
        groups = store.groups(Filters(chosen_language, outcome, since.timestamp() if since else None))
        kb = self.knowledge.current()
        entries = [(entry.id, entry.question[language]) for entry in kb.faq]
        entries += [(entry.id, entry.title[language]) for entry in kb.catalog]
        return self._page("queue.html", request, language, session, HTTPStatus.OK,
                          groups=[_group_view(group) for group in groups], entries=entries, aspects=ASPECTS,
                          outcomes=QUEUE_OUTCOMES, languages=LANGUAGES,
                          filters={"language": chosen_language or "", "outcome": outcome or "",
                                   "since": since.strftime("%Y-%m-%d") if since else ""})

    def _dashboard(self, request: Request, language: str, session: Session, store: ReviewStore) -> Response:
        today = date.today()
        days = [(today - timedelta(days=back)).isoformat() for back in range(DASHBOARD_DAYS - 1, -1, -1)]
        since = datetime.combine(date.fromisoformat(days[0]), datetime.min.time()).timestamp()
        with store.engine.connect() as connection:
            table = stats.daily_counts(connection, since)
        labels = {name: self.texts[f"outcome_{name}"][language] for name in OUTCOMES}
        marks = {name: self.texts[f"marked_{name}"][language] for name in ("helpful", "not_helpful")}
        charts = []
        for code in LANGUAGES:
            counts = {day.day: day.counts for day in table if day.language == code}
            caption = self.texts[f"chart_{code}"][language]
            charts.append({"caption": caption, "svg": stacked_bars([(day, counts.get(day, {})) for day in days],
                                                                   labels, caption)})
            marked = {day.day: {"helpful": day.helpful, "not_helpful": day.not_helpful}
                      for day in table if day.language == code}
            caption = self.texts[f"feedback_chart_{code}"][language]
            charts.append({"caption": caption, "svg": stacked_bars([(day, marked.get(day, {})) for day in days],
                                                                   marks, caption)})
        return self._page("dashboard.html", request, language, session, HTTPStatus.OK, days=DASHBOARD_DAYS,
                          charts=charts, table=table, outcomes=OUTCOMES, benchmarks=latest_benchmarks())

    def _decide(self, request: Request, language: str, session: Session, store: ReviewStore, group_id: str,
                decision: str) -> Response:
        group = store.group(group_id)
        shown = request.form.get("questions", "")
        if shown != _question_ids(group):
            raise BotError(self.texts["group_changed"][language])
        edit = decide(store, self.settings, group, decision, session.name, request.form.get("entry"),
                      request.form.get("aspect"))
        return self._page("result.html", request, language, session, HTTPStatus.OK, group=_group_view(group),
                          decision=decision, diff=edit.diff if edit else "", changed=bool(edit and edit.diff))

    def _page(self, template: str, request: Request, language: str, session: Session | None, status: int,
              cookies: list[str] | None = None, **values: Any) -> Response:
        texts = {key: by_language[language] for key, by_language in self.texts.items()}
        other = "en" if language == "zh" else "zh"
        # The language switch reloads the page; after a form (a POST), the queue.
        here = request.path if request.method == "GET" else PREFIX
        body = self.templates.get_template(template).render(
            t=texts, language=language, session=session, prefix=PREFIX,
            switch=f"{here}?{urlencode({**request.query, 'lang': other})}", other_language=other, **values)
        headers = [("Content-Type", "text/html; charset=utf-8"), *security_headers()]
        headers += [("Set-Cookie", cookie) for cookie in cookies or []]
        if request.query.get("lang") in LANGUAGES:
            headers.append(("Set-Cookie", self._cookie(LANGUAGE_COOKIE, language)))
        return Response(status, body.encode(), headers)

    def _language(self, request: Request) -> str:
        chosen = request.query.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return str(chosen)
        return "zh" if request.headers.get("Accept-Language", "").lower().startswith("zh") else "en"

    def _cookie(self, name: str, value: str, expire: bool = False) -> str:
        attributes = [f"{name}={value}", "Path=/staff/", "HttpOnly", "SameSite=Strict"]
        if self.settings.staff.secure_cookie == "yes":
            attributes.append("Secure")
        if expire:
            attributes.append("Max-Age=0")
        elif name == SESSION_COOKIE:
            attributes.append(f"Max-Age={self.settings.staff.session_hours * 3600}")
        return "; ".join(attributes)

    @staticmethod
    def _same_origin(request: Request) -> bool:
        """A POST's Origin (sent by browsers) names this server; none (a script) passes to
        the CSRF check."""
        origin = request.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == request.headers.get("Host", "")


def latest_benchmarks() -> list[dict[str, Any]]:
    """The figures of the latest run of each benchmark that wrote results/<name>.json."""
    runs = []
    for name in BENCHMARKS:
        path = PROJECT_ROOT / "results" / f"{name}.json"
        try:
            figures = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ran = str(figures.pop("date", "")) or when(path.stat().st_mtime)
        runs.append({"name": f"bench/{name}.py", "when": ran, "figures": _flattened(figures)})
    return runs


def _flattened(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, inner in value.items() for pair in _flattened(inner, f"{prefix}{key} ")]
    return [(prefix.strip(), json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value))]


def _same_token(given: str, expected: str) -> bool:
    """Compared in constant time, as bytes (a text with other than ASCII is simply wrong)."""
    return hmac.compare_digest(given.encode(), expected.encode())



def _day(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None


def _question_ids(group: Group) -> str:
    """The questions a curator saw in a group: a decision applies to those and no others."""
    return ",".join(str(question.id) for question in group.questions)


def _group_view(group: Group) -> dict[str, object]:
    return {"id": group.id, "count": group.count, "languages": group.languages,
            "outcomes": group.outcomes, "last_asked": when(group.last_asked), "questions": _question_ids(group),
            "wordings": group.wordings[:SHOWN_WORDINGS], "more": group.wordings[SHOWN_WORDINGS:]}
