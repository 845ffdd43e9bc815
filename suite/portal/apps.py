from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "suite.portal"
    label = "portal"
    verbose_name = "Portal"
