"""Generated for every tenant-scoped API viewset, beside the hand-written @covers tests: a row of
another tenant answers every method of every detail route exactly like a missing row (no
existence oracle, no data), stays unchanged, and never appears in the list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from suite.api.viewsets import TenantScopedMixin
from suite.tenancy.models import Membership, Role
from tests.factories import member
from tests.generic_rows import row_of

MISSING_PK = 987654321


def _routes(patterns=None, namespace: str | None = None) -> Iterator[tuple[str | None, URLPattern]]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from _routes(pattern.url_patterns, inner)
        else:
            yield namespace, pattern


def _tenant_viewsets() -> dict[type, dict]:
    """{viewset: {"detail": [(route, methods)], "list": route}} from the URL configuration."""
    viewsets: dict[type, dict] = {}
    for namespace, pattern in _routes():
        view = pattern.callback
        cls = getattr(view, "cls", None)
        if cls is None or not issubclass(cls, TenantScopedMixin) or cls.queryset is None:
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        entry = viewsets.setdefault(cls, {"detail": [], "list": None})
        keys = set(pattern.pattern.regex.groupindex)
        if keys == {"pk"}:
            entry["detail"].append((name, sorted((view.actions or {}).keys())))
        elif not keys and (view.actions or {}).get("get") == "list":
            entry["list"] = name
    return viewsets


VIEWSETS = _tenant_viewsets()


def test_every_tenant_viewset_is_found():
    # A viewset missed here would silently escape the generated checks below.
    assert len(VIEWSETS) >= 38
    assert all(entry["detail"] for entry in VIEWSETS.values())


@pytest.fixture
def caller(tenant_a):
    """A person of tenant A holding every role, so no role check stops a request before the
    tenant filter is what answers."""
    user = member(tenant_a, Role.TENANT_ADMIN, username="every_role_a")
    for role in Role.values:
        Membership.objects.get_or_create(user=user, tenant=tenant_a, role=role)
    api = APIClient()
    api.force_login(user)
    return api


def _answer(response) -> tuple[int, bytes]:
    return response.status_code, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("viewset", list(VIEWSETS), ids=lambda cls: cls.__name__)
def test_another_tenants_row_is_indistinguishable_from_a_missing_one(viewset, caller, tenant_b):
    model = viewset.queryset.model
    theirs = row_of(model, tenant_b)
    before = model_to_dict(theirs)
    for route, methods in VIEWSETS[viewset]["detail"]:
        for method in methods:
            send = getattr(caller, method)
            to_theirs = send(reverse(route, kwargs={"pk": theirs.pk}), {}, format="json")
            to_missing = send(reverse(route, kwargs={"pk": MISSING_PK}), {}, format="json")
            assert _answer(to_theirs) == _answer(to_missing), (route, method)
            # A 400 is the body's validation, answered the same before any row is looked up.
            assert to_theirs.status_code in (400, 403, 404, 405), (route, method)
    theirs.refresh_from_db()  # still there ...
    assert model_to_dict(theirs) == before  # ... and unchanged

    listed = VIEWSETS[viewset]["list"]
    if listed:
        response = caller.get(reverse(listed))
        assert response.status_code in (200, 403), listed
        if response.status_code == 200:
            body = response.json()
            rows = body["results"] if isinstance(body, dict) else body
            assert theirs.pk not in {row.get("id") for row in rows}, listed
