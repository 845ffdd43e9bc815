"""Errors of the model-access layer, members of the suite's error family (`suite.errors`):
each maps to one HTTP status and an actionable message."""

from suite import errors


class AiError(errors.SuiteError):
    status = 500
    code = "ai_error"
    # Declared only (no default): set by suite.ai.pipeline once the failure has its usage
    # row, read there with getattr(..., False).
    recorded: bool


class InvalidInput(errors.InvalidInput, AiError):
    """Unusable input met on the way to a model; caught as either kind of error."""


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
