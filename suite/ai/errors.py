"""Errors of the model-access layer: each maps to one HTTP status and an actionable message."""


class AiError(Exception):
    status = 500
    code = "ai_error"

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidInput(AiError):
    """The caller sent something we cannot use: corrupt audio, an image too large, empty text."""

    status = 400
    code = "invalid_input"


class RequestTooLarge(InvalidInput):
    status = 413
    code = "request_too_large"


class ContentBlocked(AiError):
    """Prohibited content or a prompt-injection attempt in an input or an output."""

    status = 400
    code = "content_blocked"


class QuotaExceeded(AiError):
    status = 429
    code = "quota_exceeded"

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the exhausted window ends


class ModelNotFound(AiError):
    status = 404
    code = "model_not_found"


class ModelNotPermitted(AiError):
    """The API key used may not call this model (its allow-list)."""

    status = 403
    code = "model_not_permitted"


class BackendUnavailable(AiError):
    """No configured backend could serve the call (not installed, failed to load, all failed)."""

    status = 503
    code = "backend_unavailable"


class BackendTimeout(BackendUnavailable):
    status = 504
    code = "backend_timeout"
