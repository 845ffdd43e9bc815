from django.apps import apps
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "suite.accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant API key (sk-...) or a user token (ut_...).",
        }


class SuiteAutoSchema(AutoSchema):
    """Products never import each other, so two of them may well name a serializer alike
    (`AssignmentSerializer`); their schema components get the product's name in front."""

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        config = apps.get_containing_app_config(type(serializer).__module__)
        if config is None or not getattr(config, "url_prefix", None):
            return name
        prefix = "".join(part.capitalize() for part in config.label.split("_"))
        return name if name.startswith(prefix) else prefix + name

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = {**_ERRORS, **(_BODY_ERRORS if self.method in ("POST", "PUT", "PATCH") else {})}
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description),
                    code,
                    media_types=["application/json"],
                    direction=direction,
                )
        return responses


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # DRF's metaclass pops declared fields, so this never shadows Serializer.fields at run time.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Per-field messages (400 only)."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the REST API (suite.api.errors)."""

    error = ErrorDetailSerializer()


# Every operation can answer these (bad parameters, no/wrong credentials, no role, unknown
# object or page); operations with a body also refuse an oversize or unparseable one.
_ERRORS = {
    "400": "Invalid input; `error.fields` names the fields.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed here.",
    "404": "Not found (another tenant's object reads as missing).",
}
_BODY_ERRORS = {
    "413": "The request body is too large.",
    "415": "Unsupported media type.",
}
