from django.apps import apps
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


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
