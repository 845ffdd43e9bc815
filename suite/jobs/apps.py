from django.apps import AppConfig
from django.conf import settings


class JobsConfig(AppConfig):
    name = "suite.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    # Jobs whose worker died: queued again or failed (see services.job_sweep_lost).
    periodic_tasks = {
        "jobs-sweep-lost": {
            "task": "suite.jobs.sweep_lost",
            "schedule": settings.JOBS_SWEEP_SECONDS,
        }
    }

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
