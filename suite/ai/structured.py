"""The JSON side of `gateway.chat_json`: the `response_format` that asks a server to decode a
schema as a grammar (llama.cpp, vLLM and SGLang do), and the reading of what comes back.

A server that honours the schema returns bare JSON; one that ignores it (or a model behind a
proxy that drops `response_format`) wraps it in a ```json fence, in prose, or stops mid-object.
The reading takes the first JSON object it can find and nothing else: a reply that is valid
JSON but not an object (a list, a string) is a wrong answer, not junk around an object.
"""

from __future__ import annotations

import json
import re

_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_DECODER = json.JSONDecoder()


def json_schema_format(name: str, schema: dict) -> dict:
    """OpenAI's `response_format` for `schema`, strict: the server may decode nothing else."""
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def parse_object(text: str) -> dict | None:
    """The first JSON object in a model's reply: the whole reply, the body of a ```json fence,
    or an object with prose before or after it; None when there is none."""
    text = (text or "").strip()
    bodies = [m.group(1).strip() for m in _FENCE.finditer(text)]
    for body in [*bodies, text]:
        found = _object_in(body)
        if found is not None:
            return found
    return None


def _object_in(text: str) -> dict | None:
    try:
        whole = json.loads(text)
    except ValueError:
        pass
    else:
        return whole if isinstance(whole, dict) else None
    # Only the first brace: scanning on after a broken object would return an object nested
    # inside it (a cut-off answer's inner part) as if it were the answer.
    start = text.find("{")
    if start < 0:
        return None
    try:
        found, _end = _DECODER.raw_decode(text, start)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
