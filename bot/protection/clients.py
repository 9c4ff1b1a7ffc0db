"""Who a client is, for rate limits and lookup counters: decided here and nowhere else.

- Messaging apps (Telegram, Slack) vouch for their users: the client is the platform's
  user id.
- The website widget and REST: the address the request came from. Behind a reverse proxy
  every request comes from the proxy, so the client's own address is taken from the proxy's
  header, but only when a trusted proxy is configured (BOT_TRUSTED_PROXIES; Sanic then
  reads X-Forwarded-For or BOT_REAL_IP_HEADER). Without one, such a header is ignored:
  anybody can send it.

Identities are pseudonyms (a hash), so that addresses and user ids are not stored with
the conversation that carries them in its metadata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

# The metadata key under which a channel hands the client's identity to the actions.
CLIENT_METADATA_KEY = "client"


class PeerRequest(Protocol):
    """What we need of a Sanic request."""

    @property
    def ip(self) -> str: ...

    @property
    def remote_addr(self) -> str: ...


def client_identity(channel: str, request: PeerRequest | None = None, platform_user: str | None = None) -> str:
    """The identity of whoever sent a message on `channel`.

    Pass the platform's user id for a messaging app, the HTTP request otherwise.
    """
    if platform_user:
        who = f"{channel}:user:{platform_user}"
    elif request is not None:
        # remote_addr is the forwarded address, set only when Sanic trusts a proxy.
        who = f"address:{request.remote_addr or request.ip}"
    else:
        raise ValueError("a client is known by its platform user id or by its request")
    return hashlib.sha256(who.encode()).hexdigest()[:24]


def client_from_metadata(metadata: Any, sender_id: str) -> str:
    """The identity a channel put in a message's metadata.

    A conversation started where no channel vouches for a client (the shell, the HTTP
    API) is its own client.
    """
    if isinstance(metadata, dict) and isinstance(metadata.get(CLIENT_METADATA_KEY), str):
        return str(metadata[CLIENT_METADATA_KEY])
    return client_identity("conversation", platform_user=sender_id)


def forwarded_address(peer: str, headers: Mapping[str, str], trusted_proxies: int, real_ip_header: str) -> str:
    """The client's address on a server of our own (the staff console's): the peer's, or
    behind `trusted_proxies` proxies the one they forwarded, as Sanic reads it for the
    Rasa server's channels."""
    if trusted_proxies <= 0:
        return peer
    if real_ip_header and headers.get(real_ip_header.title()):
        return headers[real_ip_header.title()].strip()
    forwarded = [address.strip() for address in headers.get("X-Forwarded-For", "").split(",") if address.strip()]
    return forwarded[-trusted_proxies] if len(forwarded) >= trusted_proxies else peer
