"""Content-Security-Policy for every response (Django 5.2 has no built-in one).

The portal's pages load scripts and styles only from their own origin: no inline <script>, no
on...= handler attributes, no javascript: URLs, no style attributes (behaviour lives in static
files, see suite/portal/static/portal/portal.js for `data-confirm-submit`). An injected tag or
attribute then does nothing even if some template forgot to escape.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

BASE_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],  # plus ws:// and wss:// of the request's host, per request
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}

# Third-party HTML under these prefixes (DRF's browsable API, drf-spectacular's Swagger UI)
# uses style attributes and an inline <style> we do not control; their styles are allowed
# inline there only. Scripts stay 'self' everywhere.
INLINE_STYLE_PREFIXES = ("/api/",)


def extra_sources(entries: list[str]) -> dict[str, list[str]]:
    """CSP_EXTRA_SOURCES entries ("img-src https://tiles.example.com") by directive."""
    extra: dict[str, list[str]] = {}
    for entry in entries:
        directive, *sources = entry.split()
        if directive not in BASE_POLICY or not sources:
            raise ImproperlyConfigured(
                f"CSP_EXTRA_SOURCES entry {entry!r}: write '<directive> <source> ...' with one "
                f"of {', '.join(BASE_POLICY)}"
            )
        extra.setdefault(directive, []).extend(sources)
    return extra


def policy_for(request: HttpRequest, extra: dict[str, list[str]]) -> str:
    directives = {name: [*sources, *extra.get(name, [])] for name, sources in BASE_POLICY.items()}
    try:
        host = request.get_host()
    except DisallowedHost:  # answered 400 already; nothing of ours will connect from it
        host = ""
    if host:
        # 'self' covers same-host WebSockets only in newer browsers; name them.
        directives["connect-src"] += [f"ws://{host}", f"wss://{host}"]
    if request.path.startswith(INLINE_STYLE_PREFIXES):
        directives["style-src"].append("'unsafe-inline'")
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.extra = extra_sources(settings.CSP_EXTRA_SOURCES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request, self.extra)
        return response
