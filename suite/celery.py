"""The Celery app: Redis in production, kombu's filesystem transport in the embedded default."""

import os

from celery import Celery
from celery.signals import worker_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

app = Celery("suite")
app.config_from_object("django.conf:settings", namespace="CELERY")


def route_by_task_queue(name, args, kwargs, options, task=None, **kw):
    """A task class names its queue (`route_queue = "asr"`); heavy inference then lands on
    the workers started for that capability, wherever the task is sent from. (Celery's own
    `Task.queue` attribute is deprecated in favour of routes.)"""
    queue = getattr(task, "route_queue", None)
    return {"queue": queue} if queue else None


def _configure() -> None:
    from django.conf import settings

    transport_options: dict = {"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT}
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        broker_dir = settings.CELERY_BROKER_DIR
        for sub in ("queue", "processed", "control"):
            (broker_dir / sub).mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "processed_folder": str(broker_dir / "processed"),
            "control_folder": str(broker_dir / "control"),
            "store_processed": False,
        }
    if settings.CELERY_RESULT_BACKEND.startswith("file://"):
        os.makedirs(settings.CELERY_RESULT_BACKEND.removeprefix("file://"), exist_ok=True)
    app.conf.update(
        broker_transport_options=transport_options,
        task_queues=[Queue(name) for name in settings.CELERY_QUEUES],
        task_default_queue="default",
        task_routes=(route_by_task_queue,),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_expires=24 * 60 * 60,
        broker_connection_retry_on_startup=True,
        timezone=settings.TIME_ZONE,
    )


def collect_periodic_tasks(celery_app: Celery) -> dict:
    """Adds each app's `periodic_tasks` (declared on its AppConfig, the products' and the
    core's alike: `{name: {"task": ..., "schedule": seconds}}`) to the beat schedule. Runs once
    Django's app registry is ready: beat finalizes the app after its loader has set Django up."""
    from django.apps import apps

    if not apps.ready:
        return {}
    from suite.products import periodic_task_apps

    declared = {}
    for config in periodic_task_apps():
        for name, entry in getattr(config, "periodic_tasks", {}).items():
            declared[name] = dict(entry)
    celery_app.conf.beat_schedule = {**(celery_app.conf.beat_schedule or {}), **declared}
    return declared


@worker_init.connect
def _workers_run_models_themselves(**kwargs) -> None:
    """A Celery worker is already a process for heavy work (its pool children inherit this)."""
    from suite.ai.model_processes import keep_models_in_process

    keep_models_in_process()


app.on_configure.connect(lambda sender, **kwargs: _configure(), weak=False)
app.on_after_finalize.connect(lambda sender, **kwargs: collect_periodic_tasks(sender), weak=False)
app.autodiscover_tasks()
