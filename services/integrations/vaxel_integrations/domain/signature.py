"""The webhook signature scheme (pure).

Header ``Vaxel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``: the receiver
recomputes the HMAC over the timestamp, a dot and the raw body bytes with the endpoint's secret,
compares in constant time, and refuses timestamps too far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["SECRET_PREFIX", "SIGNATURE_HEADER", "new_secret", "sign", "signature_header", "verify"]

SIGNATURE_HEADER = "Vaxel-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)


def new_secret() -> str:
    """A fresh endpoint secret: 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_seconds: float = 300) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` with a timestamp within the tolerance."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(fields.get("v1", ""), sign(secret, timestamp, body))
