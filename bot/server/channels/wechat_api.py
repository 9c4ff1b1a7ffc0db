"""WeChat's API, for replies that miss the 5 s of WeChat's own request: the customer-service
message API (客服消息), with one access token for every process and replica.

WeChat issues an access token for 7,200 s and every fetch replaces the one before, so a
process that fetched its own would log the others out. The token lives in the shared
values (bot.protection.shared_values: SQLite on one machine, Redis scaled out); it is
fetched by one process at a time, under a lock, some minutes before it expires, and once
more when WeChat rejects it (an administrator may have reset the secret, or another
program fetched one). Its value never reaches a log: the URLs that carry it are logged by
urllib3 at debug level, so those records are redacted.

The calls block (wechatpy uses requests): the channel runs them in a thread.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.errors import WechatApiError
from bot.protection.shared_values import SharedValues, held
from bot.settings import WechatSettings

logger = logging.getLogger(__name__)

# WeChat's error codes for a token that is not (or no longer) valid.
INVALID_TOKEN_CODES = frozenset({40001, 40014, 42001})
# A token this close to its end is replaced; WeChat keeps the old one valid for 5 minutes
# after a new one is fetched, so a process still sending with it is not refused.
REFRESH_BEFORE_SECONDS = 300
# A process that dies while fetching lets go of the lock after this long.
_FETCH_LOCK_SECONDS = 30.0
_TIMEOUT_SECONDS = 10.0


class _RedactTokens(logging.Filter):
    """Takes access tokens and app secrets out of a log record's text."""

    _SECRET = re.compile(r"(access_token|secret)=[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._SECRET.search(message):
            record.msg, record.args = self._SECRET.sub(r"\1=[redacted]", message), None
        return True


for _name in ("urllib3.connectionpool", "wechatpy"):
    logging.getLogger(_name).addFilter(_RedactTokens())


@dataclass(frozen=True)
class _StoredToken:
    value: str
    expires_at: float

    @property
    def due(self) -> bool:
        return self.expires_at - time.time() < REFRESH_BEFORE_SECONDS


class AccessTokens:
    """The account's access token, shared by every process through `values`.

    `fetch` asks WeChat for a new one and returns it with its lifetime in seconds.
    """

    def __init__(self, values: SharedValues, app_id: str, fetch: Callable[[], tuple[str, int]]) -> None:
        self._values = values
        self._fetch = fetch
        self._key = f"wechat:access-token:{app_id}"
        self._lock = f"wechat:access-token-fetch:{app_id}"

    def current(self) -> str:
        """A token to call with: the shared one, or a new one if it is missing or due."""
        stored = self._stored()
        if stored is not None and not stored.due:
            return stored.value
        return self._refreshed(replacing=stored.value if stored else None)

    def replace(self, rejected: str) -> str:
        """A token instead of `rejected`, which WeChat refused: another process's newer one,
        or a new one."""
        return self._refreshed(replacing=rejected)

    def _stored(self) -> _StoredToken | None:
        raw = self._values.get(self._key)
        if raw is None:
            return None
        data = json.loads(raw)
        return _StoredToken(str(data["value"]), float(data["expires_at"]))

    def _refreshed(self, replacing: str | None) -> str:
        with held(self._values, self._lock, uuid.uuid4().hex, _FETCH_LOCK_SECONDS, _FETCH_LOCK_SECONDS) as got:
            stored = self._stored()  # another process may have fetched one while this one waited
            if stored is not None and stored.value != replacing and not stored.due:
                return stored.value
            if not got:
                raise WechatApiError("another process has been fetching the access token for too long")
            value, lifetime = self._fetch()
            self._values.put(self._key, json.dumps({"value": value, "expires_at": time.time() + lifetime}), lifetime)
            logger.info("Fetched a new WeChat access token, valid for %d s.", lifetime)
            return value


class _Client(WeChatClient):
    """wechatpy's client, calling `api_base` with the shared token and retrying nothing
    itself (it would fetch a token of its own)."""

    def __init__(self, settings: WechatSettings) -> None:
        super().__init__(settings.app_id, settings.app_secret, timeout=_TIMEOUT_SECONDS, auto_retry=False)
        self.API_BASE_URL = settings.api_base
        self.call_token = ""

    @property
    def access_token(self) -> str:
        return self.call_token


class WechatApi:
    """Sends customer-service messages to a follower."""

    def __init__(self, settings: WechatSettings, values: SharedValues) -> None:
        self._client = _Client(settings)
        self.tokens = AccessTokens(values, settings.app_id, self._fetch_token)

    def send_text(self, openid: str, text: str) -> None:
        self._call(lambda client: client.message.send_text(openid, text))

    def send_menu(self, openid: str, head: str, choices: list[tuple[str, str]], tail: str = "") -> None:
        """A message with clickable choices (msgmenu): (id, text) pairs. A click comes back as
        a text message with the choice's text and its id in `bizmsgmenuid`."""
        menu = {"head_content": head, "list": [{"id": id_, "content": text} for id_, text in choices],
                "tail_content": tail}
        self._call(lambda client: client.message.send_msg_menu(openid, menu))

    def _call(self, call: Callable[[_Client], Any]) -> None:
        token = self.tokens.current()
        for attempt in range(2):
            self._client.call_token = token
            try:
                call(self._client)
                return
            except WeChatClientException as error:
                if attempt == 0 and error.errcode in INVALID_TOKEN_CODES:
                    logger.info("WeChat rejected the access token (%s); fetching a new one.", error.errcode)
                    token = self.tokens.replace(token)
                    continue
                raise WechatApiError(f"WeChat refused the message: {error.errcode} {error.errmsg}") from None
            except requests.RequestException as error:
                raise WechatApiError(f"WeChat's API at {self._client.API_BASE_URL} did not answer: {error}") from None

    def _fetch_token(self) -> tuple[str, int]:
        try:
            # wechatpy's fetch_access_token always calls api.weixin.qq.com: this one the configured base.
            result = self._client._fetch_access_token(
                url=f"{self._client.API_BASE_URL}token",
                params={"grant_type": "client_credential", "appid": self._client.appid, "secret": self._client.secret})
        except WeChatClientException as error:
            raise WechatApiError(f"WeChat refused an access token: {error.errcode} {error.errmsg}") from None
        except requests.RequestException as error:
            raise WechatApiError(f"WeChat's API at {self._client.API_BASE_URL} did not answer: {error}") from None
        return str(result["access_token"]), int(result.get("expires_in", 7200))
