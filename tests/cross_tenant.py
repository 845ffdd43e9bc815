"""Registry of cross-tenant tests, so a test can prove every route has one.

Decorate a test that shows another tenant's data is invisible (404 for objects, absent from
lists) with @covers("route-name", ...). tests/suite/test_route_coverage.py fails when a URL
pattern or WebSocket route is neither covered nor listed in EXEMPT with a reason.

Every WebSocket route also needs a test that connects with a wrong role (or a key without the
scope) and is refused: decorate it with @refuses_wrong_roles("ws-route-name", ...).
"""

COVERED: dict[str, list[str]] = {}
ROLE_TESTED: dict[str, list[str]] = {}

# Routes that never touch tenant data, and why.
EXEMPT = {
    "healthz": "infrastructure status, no tenant data",
    "set_language": "stores the UI language in the session",
    "schema": "the OpenAPI document, identical for every caller",
    "api-docs": "static Swagger UI",
    "portal:login": "sign-in form",
    "portal:logout": "ends the caller's own session",
    "portal:subscriber_login": "sign-in form",
    "api:auth-token": "exchanges the caller's own credentials",
    "api:api-root": "lists endpoint URLs only",
}


def covers(*route_names: str):
    def decorator(test):
        for name in route_names:
            COVERED.setdefault(name, []).append(f"{test.__module__}.{test.__qualname__}")
        return test

    return decorator


def refuses_wrong_roles(*route_names: str):
    def decorator(test):
        for name in route_names:
            ROLE_TESTED.setdefault(name, []).append(f"{test.__module__}.{test.__qualname__}")
        return test

    return decorator
