"""Stream credentials and webhook secrets encrypted at rest (Fernet).

The key is VIDEO_ANALYTICS_SECRET_KEY when set (a Fernet key), otherwise derived from SECRET_KEY,
so rotating SECRET_KEY without setting the dedicated key makes stored secrets unreadable: the
camera then reports that its credentials must be entered again.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.VIDEO_ANALYTICS_SECRET_KEY
    if not key:
        digest = hashlib.sha256(b"video_analytics.secrets:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str | None:
    """The plain text, or None when the token cannot be read with the current key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def redact_url(url: str) -> tuple[str, bool]:
    """The URL without user name and password, and whether it had any."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, False
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), True
