from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.urls import path

from suite.jobs.consumers import JobsConsumer


def websocket_urlpatterns() -> list:
    """The suite's routes plus every installed app's `<app>.routing.websocket_urlpatterns`."""
    patterns = [path("ws/jobs/", JobsConsumer.as_asgi(), name="ws-jobs")]
    for config in apps.get_app_configs():
        module_name = f"{config.name}.routing"
        if config.name.startswith("suite.") or find_spec(module_name) is None:
            continue
        patterns += getattr(import_module(module_name), "websocket_urlpatterns", [])
    return patterns
