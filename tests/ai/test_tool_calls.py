"""Function calling on /v1/chat/completions, driven by the official openai client over real
HTTP: tools checked before any model sees them, calls returned (whole or streamed), results sent
back as tool messages, refused by the extractive fallback, and made by the real bundled model."""

import json

import openai
import pytest

pytestmark = pytest.mark.django_db(transaction=True)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "查询某个城市今天的天气",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "城市名，例如 深圳"}},
            "required": ["city"],
        },
    },
}
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "深圳"}'},
}


@pytest.fixture
def oa(live_server, key_a):
    return openai.OpenAI(api_key=key_a, base_url=f"{live_server.url}/v1", max_retries=0)


def test_the_models_call_comes_back_and_its_result_goes_to_the_model(oa, scripted_model):
    scripted_model.reply = {"content": None, "tool_calls": [CALL]}
    reply = oa.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "深圳今天天气怎么样？"}],
        tools=[WEATHER],
        tool_choice="auto",
        parallel_tool_calls=False,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert (call.id, call.function.name) == ("call_1", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "深圳"}
    sent = scripted_model.requests[-1]
    assert sent["tools"] == [WEATHER] and sent["tool_choice"] == "auto"
    assert sent["parallel_tool_calls"] is False

    scripted_model.reply = "深圳今天晴，28度。"
    final = oa.chat.completions.create(
        model="default",
        messages=[
            {"role": "user", "content": "深圳今天天气怎么样？"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"weather": "晴", "c": 28}'},
        ],
        tools=[WEATHER],
    )
    assert final.choices[0].message.content == "深圳今天晴，28度。"
    wire = scripted_model.requests[-1]["messages"]
    assert wire[1]["tool_calls"] == [CALL]
    assert wire[2] == {
        "role": "tool",
        "content": '{"weather": "晴", "c": 28}',
        "tool_call_id": "call_1",
    }


def test_a_streaming_client_gets_the_calls_as_chunks(oa, scripted_model):
    scripted_model.reply = {"content": "", "tool_calls": [CALL, {**CALL, "id": "call_2"}]}
    chunks = list(
        oa.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "深圳和广州天气？"}],
            tools=[WEATHER],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    calls = [c for ch in chunks if ch.choices for c in ch.choices[0].delta.tool_calls or []]
    assert [(c.index, c.id) for c in calls] == [(0, "call_1"), (1, "call_2")]
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "tool_calls"
    assert chunks[-1].usage.total_tokens > 0


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "查天气"}}]}, "tools"),
        ({"tools": ["get_weather"]}, "tools"),
        ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "x"}}},
         "tool_choice"),
        ({"tools": [WEATHER], "tool_choice": "always"}, "tool_choice"),
        ({"tools": [{**WEATHER, "function": {**WEATHER["function"], "parameters": "city"}}]},
         "tools"),
    ],
)  # fmt: skip
def test_bad_tools_are_400s_naming_the_field(oa, scripted_model, body, param):
    with pytest.raises(openai.BadRequestError) as raised:
        oa.chat.completions.create(
            model="default", messages=[{"role": "user", "content": "你好"}], **body
        )
    assert raised.value.body["param"] == param
    assert not scripted_model.requests  # refused before any model saw it


def test_a_tool_message_without_its_call_id_is_a_400(oa, scripted_model):
    with pytest.raises(openai.BadRequestError, match="tool_call_id"):
        oa.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "天气"}, {"role": "tool", "content": "晴"}],
            tools=[WEATHER],
        )
    assert not scripted_model.requests


def test_the_extractive_fallback_cannot_call_functions_503(oa):
    with pytest.raises(openai.InternalServerError) as raised:
        oa.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "深圳今天天气怎么样？"}],
            tools=[WEATHER],
        )
    assert raised.value.status_code == 503


def test_the_bundled_model_calls_the_function_with_arguments_from_the_question(oa, language_model):
    reply = oa.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "帮我查一下深圳今天的天气"}],
        tools=[WEATHER],
        temperature=0,
        max_tokens=80,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls", choice.message.content
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id
    assert "深圳" in json.loads(call.function.arguments)["city"]


@pytest.mark.parametrize(
    ("written", "is_call"),
    [
        ('```json\n{"name": "get_weather", "arguments": {"city": "深圳"}}\n```', True),
        ('{"name": "get_weather", "arguments": "{\\"city\\": \\"深圳\\"}"}', True),
        ('可以这样调用：{"name": "get_weather", "arguments": {"city": "深圳"}}', False),
        ('```json\n{"name": "rm_rf", "arguments": {}}\n```', False),
        ('{"name": "get_weather", "arguments": {"city": "深圳"}, "why": "x"}', False),
    ],
)
def test_a_call_written_as_the_whole_answer_is_taken_as_a_call(
    oa, scripted_model, written, is_call
):
    scripted_model.reply = written
    choice = oa.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "深圳天气"}],
        tools=[WEATHER],
    ).choices[0]
    if is_call:
        assert choice.finish_reason == "tool_calls" and not choice.message.content
        assert json.loads(choice.message.tool_calls[0].function.arguments) == {"city": "深圳"}
    else:
        assert choice.message.content == written and not choice.message.tool_calls
