"""WebSocket authentication: a tenant API key, or the session with an allowed Origin.

Browsers attach cookies to cross-site WebSocket handshakes, so session auth is only accepted
from an allowed Origin. Non-browser clients (call-center platforms) send no Origin and must
use an API key (Authorization: Bearer sk-..., or ?api_key=sk-... where headers can't be set).
"""

from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings

from suite.accounts.authentication import api_key_from_raw
from suite.tenancy.middleware import SESSION_TENANT_KEY
from suite.tenancy.selectors import current_tenant


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _raw_api_key(scope) -> str:
    auth = _header(scope, b"authorization")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("api_key") or [""])[0]


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    if origin in settings.WEBSOCKET_ALLOWED_ORIGINS:
        return True
    host = _header(scope, b"host")
    return bool(host) and urlsplit(origin).netloc == host


@database_sync_to_async
def _session_tenant(scope):
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    return current_tenant(user, scope["session"].get(SESSION_TENANT_KEY))


class TenantWebsocketMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["tenant"] = None
        scope["api_key"] = None
        # A browser from a foreign site: refused whatever its cookies (consumers close 4403).
        scope["origin_refused"] = bool(_header(scope, b"origin")) and not origin_allowed(scope)
        raw_key = _raw_api_key(scope)
        if raw_key:
            key = await database_sync_to_async(api_key_from_raw)(raw_key)
            if key is not None:
                scope["api_key"] = key
                scope["tenant"] = key.tenant
        elif origin_allowed(scope):
            scope["tenant"] = await _session_tenant(scope)
        return await self.inner(scope, receive, send)


def WebsocketAuthStack(inner):
    return AuthMiddlewareStack(TenantWebsocketMiddleware(inner))
