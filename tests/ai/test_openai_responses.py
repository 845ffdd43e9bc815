"""/v1/responses (OpenAI's Responses API, the newer clients' default) driven by the official
openai client over real HTTP: plain and streamed text, instructions and message lists, JSON
under a schema, and clear refusals for what this server does not do."""

import openai
import pytest

from suite.ai.capabilities import Capability
from suite.ai.models import AiModel
from tests.cross_tenant import covers

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = "5G畅享套餐每月128元，含30GB流量。"


@pytest.fixture
def client_for(live_server):
    def make(key: str) -> openai.OpenAI:
        return openai.OpenAI(api_key=key, base_url=f"{live_server.url}/v1", max_retries=0)

    return make


@covers("openai:responses")
def test_a_response_answers_and_is_labelled_and_other_tenants_models_stay_hidden(
    client_for, key_a, key_b, tenant_a
):
    answer = client_for(key_a).responses.create(
        model="gpt-4o-mini", instructions=PLAN, input="5G畅享套餐每月多少钱？"
    )
    assert "128元" in answer.output_text
    assert answer.status == "completed" and answer.id.startswith("resp_")
    assert answer.usage.input_tokens > 0 and answer.usage.output_tokens > 0
    suite = answer.model_extra["x_suite"]
    assert suite["engine"] == "extractive" and suite["fallback"] is True

    AiModel.objects.create(
        tenant=tenant_a, name="sz-llm", capability=Capability.CHAT, engine="extractive"
    )
    with pytest.raises(openai.NotFoundError):
        client_for(key_b).responses.create(model="sz-llm", input="你好")


def test_a_streamed_response_sends_its_text_as_deltas_then_completes(client_for, key_a):
    events = list(
        client_for(key_a).responses.create(
            model="default",
            input=[
                {"role": "system", "content": PLAN},
                {"role": "user", "content": [{"type": "input_text", "text": "每月多少钱？"}]},
            ],
            stream=True,
        )
    )
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "128元" in deltas
    assert events[-1].response.output_text == deltas
    assert events[-1].response.usage.total_tokens > 0
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_json_under_a_schema_reaches_the_model_as_a_grammar(client_for, key_a, scripted_model):
    scripted_model.reply = '{"price": 128}'
    schema = {"type": "object", "properties": {"price": {"type": "integer"}}}
    answer = client_for(key_a).responses.create(
        model="default",
        input="套餐多少钱？",
        text={"format": {"type": "json_schema", "name": "plan", "schema": schema}},
    )
    assert answer.output_text == '{"price": 128}'
    sent = scripted_model.requests[-1]["response_format"]
    assert sent == {"type": "json_schema", "json_schema": {"name": "plan", "schema": schema}}


def test_what_this_server_does_not_do_is_a_clear_400(client_for, key_a):
    client = client_for(key_a)
    with pytest.raises(openai.BadRequestError) as follow_up:
        client.responses.create(model="default", input="然后呢？", previous_response_id="resp_1")
    assert "input" in follow_up.value.body["message"]
    with pytest.raises(openai.BadRequestError) as tools:
        client.responses.create(
            model="default",
            input="天气",
            tools=[{"type": "function", "name": "weather", "parameters": {"type": "object"}}],
        )
    assert "/v1/chat/completions" in tools.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="default", input=[{"role": "robot", "content": "hi"}])
