"""OpenAI's error shape: {"error": {"message", "type", "param", "code"}}."""

from django.http import JsonResponse

from ..errors import AiError

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "insufficient_quota",
    503: "server_error",
    504: "server_error",
}


def openai_error(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> JsonResponse:
    body = {
        "error": {
            "message": message,
            "type": _TYPES.get(status, "server_error"),
            "param": param,
            "code": code,
        }
    }
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def from_ai_error(exc: AiError) -> JsonResponse:
    response = openai_error(exc.status, exc.message, code=exc.code, param=exc.param)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        # OpenAI's clients wait this long before their retry instead of guessing.
        response["Retry-After"] = str(retry_after)
    return response
