"""JSON request bodies, bounded: one loader for every endpoint that accepts JSON.

Python's json module recurses once per nesting level, so `[[[[...]]]]` nested a hundred
thousand deep is a RecursionError (a 500) unless the depth is bounded. A lone UTF-16 surrogate
("\\ud800") parses into a str that no UTF-8 encoder (PostgreSQL, tokenizers, the response
renderer) accepts, and NUL cannot be stored in PostgreSQL text or jsonb. All of these are the
caller's mistake, so they answer 400 here, before any view, service or model sees the data.

DRF views get `JSONParser` through REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]; views that read
a body themselves (the OpenAI-compatible /v1/ API, portal editors) call `load_json`; portal
forms that take JSON text use `JSONFormField`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

# Unpaired surrogates are not Unicode scalar values; NUL is, but no text column can hold it.
_BAD_CHARACTER = re.compile("[\ud800-\udfff\x00]")


class JsonBodyError(ValueError):
    """The body is not JSON this API accepts; `status` is 400, or 413 when it is too large."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def max_body_bytes() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_message() -> str:
    return _("The request body is larger than %(limit)s bytes; send less data per request.") % {
        "limit": max_body_bytes()
    }


def _reject_constant(name: str):
    raise ValueError(_("%(name)s is not a valid JSON number.") % {"name": name})


def _where(path: tuple) -> str:
    if not path:
        return _("The request body")
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return _("The field %(path)s") % {"path": _BAD_CHARACTER.sub("?", text)}


def _check_text(text: str, path: tuple) -> None:
    match = _BAD_CHARACTER.search(text)
    if match is None:
        return
    if match.group() == "\x00":
        message = _("%(where)s contains a NUL character (\\u0000), which text cannot hold.")
    else:
        message = _(
            "%(where)s contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not "
            "valid Unicode; send the text as valid UTF-8."
        )
    raise JsonBodyError(message % {"where": _where(path)})


def check_json_value(data: Any, *, max_depth: int | None = None) -> None:
    """Raise JsonBodyError if `data` nests deeper than the limit or holds invalid text.

    Iterative, so the check itself cannot exhaust the stack."""
    limit = settings.API_JSON_MAX_DEPTH if max_depth is None else max_depth
    stack: list[tuple[Any, int, tuple]] = [(data, 0, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict | list):
            if depth >= limit:
                raise JsonBodyError(
                    _("The JSON is nested more than %(limit)s levels deep.") % {"limit": limit}
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, path)
                    stack.append((item, depth + 1, (*path, key)))
            else:
                stack.extend((item, depth + 1, (*path, i)) for i, item in enumerate(value))


def load_json(raw: bytes | str, *, encoding: str = "utf-8") -> Any:
    """Parse a request body; every failure is a JsonBodyError with a message for the caller."""
    limit = max_body_bytes()
    if limit is not None and len(raw) > limit:
        raise JsonBodyError(too_large_message(), status=413)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise JsonBodyError(
                _("The request body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from exc
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise JsonBodyError(
            _("The JSON is nested more than %(limit)s levels deep.")
            % {"limit": settings.API_JSON_MAX_DEPTH}
        ) from exc
    except ValueError as exc:
        raise JsonBodyError(
            _("The request body is not valid JSON: %(error)s") % {"error": exc}
        ) from exc
    check_json_value(data)
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the body size, nesting depth and text checks of `load_json`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = max_body_bytes()
        # Read one byte past the limit: a body without Content-Length is bounded too.
        raw = stream.read() if limit is None else stream.read(limit + 1)
        try:
            data = load_json(raw, encoding=encoding)
        except JsonBodyError as exc:
            if exc.status == 413:
                raise RequestTooLarge(exc.message) from exc
            raise exceptions.ParseError(exc.message) from exc
        # No endpoint takes a bare array or scalar, and views read fields with .get().
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("The request body must be a JSON object."))
        return data


class JSONFormField(forms.JSONField):
    """Django's form JSONField with the same bounds (its own json.loads recurses unbounded)."""

    def to_python(self, value):
        if self.disabled or value in self.empty_values or not isinstance(value, str | bytes):
            return super().to_python(value)
        try:
            converted = load_json(value)
        except JsonBodyError as exc:
            raise ValidationError(exc.message, code="invalid") from exc
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return load_json(data)
        except JsonBodyError:
            return InvalidJSONInput(data)
