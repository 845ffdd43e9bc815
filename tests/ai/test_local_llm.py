"""The bundled language model end to end: weights verified, served by llama.cpp behind a key,
reached through the gateway and /v1/ with constrained JSON, and never called in a transaction."""

import json
import struct

import httpx
import openai
import pytest
from django.db import transaction

from suite.ai import gateway
from suite.ai.errors import BackendUnavailable
from suite.ai.llm_bundle import BUNDLES, check_general_name, ensure_model, gguf_metadata_string
from suite.ai.models import UsageRecord
from suite.ai.transactions import ModelCallInTransaction
from suite.ai.types import ChatMessage
from tests.llm import SHARED_CACHE
from tests.metering import after_the_response

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "district": {"type": "string"},
        "problem": {"type": "string"},
        "urgent": {"type": "boolean"},
    },
    "required": ["district", "problem", "urgent"],
}


def _gguf_with_name(path, name: str) -> None:
    def text(value: str) -> bytes:
        raw = value.encode()
        return struct.pack("<Q", len(raw)) + raw

    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 2)
    header += text("general.architecture") + struct.pack("<I", 8) + text("qwen2")
    header += text("general.name") + struct.pack("<I", 8) + text(name)
    path.write_bytes(header)


def test_a_gguf_that_names_another_model_is_refused_and_removed(tmp_path):
    fake = tmp_path / "model.gguf"
    _gguf_with_name(fake, "Some Other Model 7B")
    assert gguf_metadata_string(fake, "general.name") == "Some Other Model 7B"
    with pytest.raises(BackendUnavailable, match="refused"):
        check_general_name(fake, BUNDLES["qwen2.5-0.5b"].general_name)
    assert not fake.exists()
    (tmp_path / "not.gguf").write_bytes(b"PK\x03\x04 a zip, not weights")
    with pytest.raises(BackendUnavailable, match="not a GGUF"):
        gguf_metadata_string(tmp_path / "not.gguf", "general.name")


def test_the_served_weights_are_the_verified_bundle(llm_server, settings):
    settings.AI_CACHE_DIR = SHARED_CACHE
    spec = BUNDLES[llm_server.model]
    path = ensure_model(llm_server.model)  # already joined by the server: the cheap check
    assert path.stat().st_size == spec.size
    assert gguf_metadata_string(path, "general.name") == spec.general_name


def test_the_model_server_refuses_requests_without_its_key(llm_server):
    body = {"model": llm_server.served_name, "messages": [{"role": "user", "content": "你好"}]}
    url = f"{llm_server.base_url}/chat/completions"
    assert httpx.post(url, json=body, timeout=30).status_code == 401
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_v1_answers_in_json_that_fits_the_schema(language_model, live_server, key_a, tenant_a):
    client = openai.OpenAI(api_key=key_a, base_url=f"{live_server.url}/v1", max_retries=0)
    listed = [m.id for m in client.models.list().data]
    assert language_model.served_name in listed
    reply = client.chat.completions.create(
        model="default",
        messages=[
            {"role": "system", "content": "从市民来电中提取工单信息。"},
            {"role": "user", "content": "我是福田区莲花街道的，楼下水管爆了，水一直往外喷！"},
        ],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "order", "schema": ORDER_SCHEMA},
        },
        temperature=0,
        max_tokens=120,
    )
    data = json.loads(reply.choices[0].message.content)
    assert set(ORDER_SCHEMA["required"]) <= set(data)
    assert isinstance(data["urgent"], bool) and isinstance(data["problem"], str)
    extra = reply.model_extra["x_suite"]
    assert extra["generative"] is True and extra["fallback"] is False
    assert reply.model == language_model.served_name
    usage = after_the_response(UsageRecord.objects.for_tenant(tenant_a).get)
    assert usage.model == language_model.served_name and usage.tokens > 0


@pytest.mark.django_db(transaction=True)
def test_json_asked_of_the_extractive_fallback_is_a_503(live_server, key_a):
    client = openai.OpenAI(api_key=key_a, base_url=f"{live_server.url}/v1", max_retries=0)
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "国际漫游怎么开通？"}],
            response_format={"type": "json_object"},
        )
    assert raised.value.status_code == 503
    assert "JSON" in raised.value.message
    with pytest.raises(openai.BadRequestError, match="response_format"):
        client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "你好"}],
            response_format={"type": "xml"},
        )


@pytest.mark.django_db
def test_a_model_call_inside_a_transaction_is_refused(tenant_a):
    caller = gateway.Caller(tenant=tenant_a)
    messages = [ChatMessage("user", "国际漫游怎么开通？")]
    refused = pytest.raises(ModelCallInTransaction, match=r"outside transaction\.atomic")
    with refused, transaction.atomic():
        gateway.chat(caller, messages)
    assert not UsageRecord.objects.filter(tenant=tenant_a).exists()
    # The same call outside a transaction runs (and is metered).
    gateway.chat(caller, messages)
    assert UsageRecord.objects.filter(tenant=tenant_a).count() == 1
