from django.conf import settings
from django.core.checks import Error, register


@register("jobs")
def check_job_timing(app_configs=None, **kwargs) -> list[Error]:
    """Redelivery only makes sense if a task ends (or is stopped) before the broker hands its
    message to another worker, and a heartbeat must come well within a lease."""
    errors = []
    if settings.CELERY_VISIBILITY_TIMEOUT <= settings.CELERY_TASK_TIME_LIMIT:
        errors.append(
            Error(
                "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT, or Redis hands a "
                "task still running to a second worker.",
                id="jobs.E001",
            )
        )
    if settings.JOBS_HEARTBEAT_SECONDS * 2 > settings.JOBS_LEASE_SECONDS:
        errors.append(
            Error(
                "JOBS_HEARTBEAT_SECONDS must be at most half of JOBS_LEASE_SECONDS, or a busy "
                "job's lease lapses between two heartbeats.",
                id="jobs.E002",
            )
        )
    return errors
