"""Requests built the way WeChat's servers send them to an Official Account's server address,
in plaintext or safe mode, and the replies read back."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from typing import Any

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

ACCOUNT = "gh_certificate_test"  # the Official Account's own id (ToUserName)
_ids = itertools.count(int(time.time() * 1000))


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's plaintext signature: SHA-1 of the sorted Token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def new_id() -> int:
    return next(_ids)


def text_xml(openid: str, content: str, msg_id: int | None = None, menu_id: str | None = None) -> str:
    menu = f"<bizmsgmenuid>{menu_id}</bizmsgmenuid>" if menu_id else ""
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or new_id()}</MsgId>{menu}</xml>")


def voice_xml(openid: str, recognition: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            "<MediaId><![CDATA[media-1]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>{new_id()}</MsgId></xml>")


def image_xml(openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            "<PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl><MediaId><![CDATA[media-2]]></MediaId>"
            f"<MsgId>{new_id()}</MsgId></xml>")


def event_xml(openid: str, event: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{new_id()}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


@dataclass
class WechatSender:
    """Posts to a webhook as WeChat does: signed, and in safe mode encrypted."""

    url: str
    token: str
    app_id: str
    aes_key: str = ""

    def post(self, xml: str, *, signed_at: float | None = None, token: str | None = None,
             tamper: bool = False, encrypt: bool | None = None) -> requests.Response:
        timestamp, nonce = str(int(signed_at if signed_at is not None else time.time())), f"n{new_id()}"
        params = {"timestamp": timestamp, "nonce": nonce, "openid": _openid(xml),
                  "signature": signature(token or self.token, timestamp, nonce)}
        body = xml
        if self.aes_key if encrypt is None else encrypt:
            crypto = WeChatCrypto(token or self.token, self.aes_key or "a" * 43, self.app_id)
            envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            encrypted = envelope["Encrypt"]
            if tamper:  # one character of the ciphertext changed
                encrypted = encrypted[:20] + ("A" if encrypted[20] != "A" else "B") + encrypted[21:]
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
            params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        elif tamper:
            params["signature"] = params["signature"][:-1] + ("0" if params["signature"][-1] != "0" else "1")
        return requests.post(self.url, params=params, data=body.encode(), timeout=30)

    def reply_text(self, answer: requests.Response) -> str | None:
        """The text of a passive reply (decrypted and its signature checked in safe mode),
        None for an acknowledgement without one."""
        assert answer.status_code == 200, answer.text
        if answer.text in ("", "success"):
            return None
        reply: dict[str, Any] = xmltodict.parse(answer.text)["xml"]
        if self.aes_key:
            assert "Content" not in reply, "a reply in safe mode must be encrypted"
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            reply = xmltodict.parse(crypto.decrypt_message(
                answer.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]))["xml"]
        assert reply["MsgType"] == "text"
        assert reply["FromUserName"] == ACCOUNT
        return str(reply["Content"])


def _openid(xml: str) -> str:
    return str(xmltodict.parse(xml)["xml"]["FromUserName"])
