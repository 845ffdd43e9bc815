"""The core's own periodic work on jobs (scheduled by celery beat through JobsConfig)."""

from suite.celery import app

from .services import job_sweep_lost


@app.task(name="suite.jobs.sweep_lost", ignore_result=True)
def sweep_lost_jobs() -> dict[str, int]:
    """Re-queues or fails running jobs whose worker stopped renewing their lease."""
    return job_sweep_lost()
