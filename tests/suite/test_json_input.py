"""JSON bodies are bounded at the parser: deep nesting, invalid Unicode and oversize bodies
answer 4xx with a message, on every endpoint that accepts JSON, before any model runs."""

import io
import json
import re
import time

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.base import reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import translation
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient
from rest_framework.utils.mediatypes import media_type_matches
from rest_framework.views import APIView

from suite.api.parsers import check_json_value, load_json
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


NESTED = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECT = b'{"text": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}"
SURROGATE = "\\ud800"  # as the JSON escape a client sends: json.dumps would refuse it


def _routes(patterns=None, namespace="", regexes=()):
    """(route name, path kwargs, callback) of every URL pattern, format-suffix copies left out."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        groups = (*regexes, entry.pattern.regex)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, inner, groups)
        elif isinstance(entry, URLPattern) and entry.name:
            names = [name for regex in groups for name in regex.groupindex]
            if "format" not in names:
                yield f"{namespace}{entry.name}", names, entry.callback


def _url(name: str, kwargs: list[str]) -> str | None:
    for guess in ("1", "json", "x"):
        try:
            return reverse(name, kwargs=dict.fromkeys(kwargs, guess))
        except NoReverseMatch:
            continue
    return None


def _drf_views():
    for name, _kwargs, callback in _routes():
        cls = getattr(callback, "cls", None)
        if cls is not None and issubclass(cls, APIView):
            view = cls(**getattr(callback, "initkwargs", {}))
            view.action_map = getattr(callback, "actions", None) or {}
            yield name, view


def _error_message(response) -> str:
    body = response.json()["error"]
    return body["message"]


# --- the loader itself ------------------------------------------------------------------------


def test_load_json_bounds_depth_without_recursing(settings):
    settings.API_JSON_MAX_DEPTH = 4
    assert load_json(b'{"a": [[{"b": 1}]]}') == {"a": [[{"b": 1}]]}
    with pytest.raises(ValueError, match="nested more than 4 levels"):
        load_json(b'{"a": [[{"b": [1]}]]}')
    # A structure deeper than the interpreter's stack is checked without recursion too.
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 4 levels"):
        check_json_value(deep)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (NESTED, "nested more than"),
        (NESTED_OBJECT, "nested more than"),
        (b'{"input": "\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"input": ["ok", "\\udfff tail"]}', "unpaired UTF-16 surrogate"),
        (b'{"\\ud83d": "key"}', "unpaired UTF-16 surrogate"),
        (b'{"note": "a\\u0000b"}', "NUL character"),
        (b'{"input": "\xff\xfe"}', "not valid utf-8"),
        (b'{"n": NaN}', "not valid JSON"),
        (b"{", "not valid JSON"),
    ],
)
def test_load_json_refuses_what_no_endpoint_can_use(raw, fragment):
    with pytest.raises(ValueError) as caught:
        load_json(raw)
    assert fragment in str(caught.value)
    assert "\ud800" not in str(caught.value)


def test_load_json_keeps_valid_text_and_surrogate_pairs():
    data = load_json('{"emoji": "\\ud83d\\ude00", "zh": "你好", "list": [1, 2.5, null]}'.encode())
    assert data == {"emoji": "😀", "zh": "你好", "list": [1, 2.5, None]}


def test_the_message_names_the_field():
    with pytest.raises(ValueError, match=r"messages\[0\]\.content"):
        load_json(b'{"messages": [{"role": "user", "content": "\\udc00"}]}')


# --- every DRF view ---------------------------------------------------------------------------


def test_every_drf_json_parser_is_the_bounded_one():
    """Walks every URL pattern: each DRF view that accepts JSON parses it with the bounded
    parser, so a new view (or a per-view parser_classes) cannot bring the 500 back."""
    checked, unbounded = [], []
    for name, view in _drf_views():
        for parser in view.get_parsers():
            if not media_type_matches(parser.media_type, "application/json"):
                continue
            checked.append(name)
            for body in (NESTED, b'{"text": "\\ud800"}'):
                try:
                    parser.parse(io.BytesIO(body), "application/json", {"encoding": "utf-8"})
                except ParseError:
                    continue
                except Exception as exc:
                    unbounded.append(f"{name} ({type(parser).__name__}): {exc!r}"[:200])
                else:
                    unbounded.append(f"{name} ({type(parser).__name__}): accepted")
    assert len(set(checked)) > 50, "the URL walk found too few JSON endpoints"
    assert not unbounded, unbounded


def test_json_body_over_the_limit_is_413(api_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "k", "scopes": ["maas"], "pad": "x" * 2000})
    response = api_a.post(
        "/api/v1/api-keys/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
    assert "larger than 1000 bytes" in _error_message(response)


# --- over HTTP: every route, and the reported ones --------------------------------------------


@pytest.fixture
def everything_a(tenant_a, admin_a, key_a):
    """One tenant admin with every product role, and an API key with every scope."""
    from suite.accounts.services import api_key_create
    from suite.tenancy.models import Membership, Role

    for role in Role.values:
        if role != Role.TENANT_ADMIN:
            Membership.objects.get_or_create(user=admin_a, tenant=tenant_a, role=role)
    key = api_key_create(
        tenant=tenant_a, name="all", scopes=["maas", "callcenter", "hotline", "ringtone", "video"]
    ).raw
    return admin_a, key


def test_no_route_answers_nested_json_with_a_server_error(everything_a, client):
    """POSTs the reported body to every URL pattern (session, key and anonymous)."""
    user, key = everything_a
    failures, posted = [], 0
    for name, kwargs, _callback in _routes():
        url = _url(name, kwargs)
        if url is None or name == "portal:logout":
            continue
        client.force_login(user)
        for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {key}"}):
            response = client.post(url, NESTED, content_type="application/json", **headers)
            posted += 1
            if response.status_code >= 500:
                failures.append(f"{name} {url}: {response.status_code}")
    assert posted > 300
    assert not failures, failures


REPORTED = [
    ("/api/v1/auth/token/", None),
    ("/api/v1/customer-service/dialect/identify", "key"),
    ("/api/v1/gov-hotline/orders/draft", "key"),
    ("/api/v1/customer-service/assist/", "key"),
    ("/api/v1/customer-service/lexicon/", "session"),
    ("/v1/embeddings", "key"),
    ("/v1/chat/completions", "key"),
    ("/v1/audio/speech", "key"),
    ("/v1/images/generations", "key"),
]


def _caller(auth, everything_a) -> APIClient:
    user, key = everything_a
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if auth == "key":
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    elif auth == "session":
        api.force_login(user)
    return api


@pytest.mark.parametrize(("url", "auth"), REPORTED)
def test_nested_json_is_a_400_with_a_message(url, auth, everything_a):
    response = _caller(auth, everything_a).post(url, NESTED, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested more than 32 levels" in _error_message(response)


SURROGATE_BODIES = [
    ("/v1/embeddings", "key", '{"input": "%s"}'),
    ("/v1/embeddings", "key", '{"input": ["fine", "x%sy"]}'),
    ("/v1/chat/completions", "key", '{"messages": [{"role": "user", "content": "%s"}]}'),
    ("/v1/audio/speech", "key", '{"input": "%s"}'),
    ("/api/v1/auth/token/", None, '{"username": "%s", "password": "x"}'),
    ("/api/v1/customer-service/dialect/identify", "key", '{"text": "%s"}'),
    ("/api/v1/customer-service/assist/", "key", '{"text": "%s"}'),
    ("/api/v1/customer-service/lexicon/", "session", '{"dialect": "cantonese", "term": "%s"}'),
    ("/api/v1/gov-hotline/orders/draft", "key", '{"text": "%s"}'),
    ("/api/v1/ai/models/", "session", '{"name": "m", "options": {"k": "%s"}}'),
]


@pytest.mark.parametrize(("url", "auth", "template"), SURROGATE_BODIES)
def test_a_lone_surrogate_is_a_400_before_any_model_runs(url, auth, template, everything_a):
    started = time.monotonic()
    body = (template % SURROGATE).encode()
    response = _caller(auth, everything_a).post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "unpaired UTF-16 surrogate" in _error_message(response)
    assert time.monotonic() - started < 2


def test_openai_api_keeps_its_error_shape(everything_a):
    response = _caller("key", everything_a).post(
        "/v1/embeddings", b'{"input": "\\ud800"}', content_type="application/json"
    )
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_input"
    assert re.search(r"field input\b", error["message"])


def test_openai_body_over_the_limit_is_413(everything_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"input": "x" * 2000})
    response = _caller("key", everything_a).post(
        "/v1/embeddings", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_zone_editor_refuses_bad_json_with_a_message(tenant_a, client):
    from suite.tenancy.models import Role
    from video_analytics.models import Camera

    analyst = member(tenant_a, Role.TENANT_ADMIN, username="zone_editor")
    client.force_login(analyst)
    camera = Camera.objects.create(tenant=tenant_a, name="gate")
    url = reverse("video_analytics:zone_save", args=[camera.pk])
    for body, status in (
        (NESTED, 400),
        (b"[]", 400),
        (b'{"id": "abc"}', 400),
        (b'{"name": "\\ud800"}', 400),
    ):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == status, (body[:20], response.content[:200])
        assert response.json()["error"]


def test_the_message_is_translated(everything_a):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = api.post("/api/v1/auth/token/", NESTED, content_type="application/json")
    assert response.status_code == 400
    assert _error_message(response) == "JSON 嵌套超过 32 层。"


def test_portal_json_form_field_is_bounded_too(client_a):
    """The model editor's options box is JSON text in a form: same bounds, a form error."""
    url = reverse("ai:models")
    form = {"name": "m1", "capability": "chat", "engine": "extractive", "priority": "100"}
    for options, fragment in ((NESTED.decode(), "32"), ('{"k": "\\ud800"}', "UTF-16")):
        response = client_a.post(url, {**form, "options": options}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert fragment in str(response.context["form"].errors["options"])
