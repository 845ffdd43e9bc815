from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "suite.api"
    label = "suite_api"
    verbose_name = "API"
