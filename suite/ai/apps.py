from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "suite.ai"
    label = "ai"
    verbose_name = "Model access"
