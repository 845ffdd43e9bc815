"""Every URL pattern and WebSocket route has a cross-tenant test (or a stated exemption)."""

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import tests
from suite.realtime.consumers import TenantConsumer
from suite.realtime.routing import websocket_urlpatterns
from suite.telephony.consumers import CallConsumer
from tests.cross_tenant import COVERED, EXEMPT, ROLE_TESTED


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), str(entry.pattern)


def _import_all_tests() -> None:
    for info in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if info.name.rsplit(".", 1)[-1].startswith("test_"):
            importlib.import_module(info.name)


def _route_names() -> tuple[set[str], list[str]]:
    names, unnamed = set(), []
    for name, pattern in _walk(get_resolver().url_patterns):
        if name is None:
            unnamed.append(pattern)
        else:
            names.add(name)
    for route in websocket_urlpatterns():
        if route.name is None:
            unnamed.append(str(route.pattern))
        else:
            names.add(route.name)
    return names, unnamed


def test_every_route_has_a_cross_tenant_test():
    _import_all_tests()
    names, unnamed = _route_names()
    assert not unnamed, f"Name these routes so coverage can be tracked: {unnamed}"
    missing = sorted(names - COVERED.keys() - EXEMPT.keys())
    assert not missing, f"Routes without a cross-tenant test (@covers(...)): {missing}"


def test_coverage_registry_names_only_real_routes():
    _import_all_tests()
    names, _ = _route_names()
    stale = sorted((COVERED.keys() | EXEMPT.keys()) - names)
    assert not stale, f"@covers/EXEMPT name routes that do not exist: {stale}"


def test_both_ws_and_http_routes_are_enumerated():
    names, _ = _route_names()
    assert "ws-jobs" in names
    assert "api:api-key-detail" in names


def test_every_socket_declares_who_may_connect_and_has_a_wrong_role_test():
    """A portal socket names the roles that may connect (TenantConsumer.required_roles, checked
    when the class is defined); a call socket takes `callcenter` API keys only. Either way a
    test connects as someone else and is refused (@refuses_wrong_roles)."""
    _import_all_tests()
    undeclared, untested = [], []
    for route in websocket_urlpatterns():
        consumer = route.callback.consumer_class
        if issubclass(consumer, TenantConsumer):
            if not consumer.required_roles:
                undeclared.append(route.name)
        elif not issubclass(consumer, CallConsumer):
            undeclared.append(f"{route.name} ({consumer.__name__} is no TenantConsumer)")
        if route.name not in ROLE_TESTED:
            untested.append(route.name)
    assert not undeclared, f"Sockets that do not say who may connect: {undeclared}"
    assert not untested, f"Sockets without a wrong-role test (@refuses_wrong_roles): {untested}"
    stale = sorted(ROLE_TESTED.keys() - {route.name for route in websocket_urlpatterns()})
    assert not stale, f"@refuses_wrong_roles names sockets that do not exist: {stale}"
