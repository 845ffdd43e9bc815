from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "suite.ai"
    label = "ai"
    verbose_name = "Model access"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from .metering_db import flush_leftovers

        request_finished.connect(flush_leftovers, dispatch_uid="ai-metering-leftovers")
