"""The suite's one error family. Services raise these (or Django's `ValidationError`); the REST
layer (`suite.api.errors`) and the portal (`suite.portal.forms.add_service_errors`) each translate
them in one place. The model-access layer's errors (`suite.ai.errors`) derive from it."""


class SuiteError(Exception):
    """An error a person can act on: its HTTP status, a stable code and a message; `param`
    names the field it concerns, when it concerns one."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidInput(SuiteError):
    """The caller sent something we cannot use: a latitude out of range, corrupt audio, an
    image too large, empty text."""

    status = 400
    code = "invalid_input"
