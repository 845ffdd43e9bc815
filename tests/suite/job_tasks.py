"""A job task for the lease tests, importable by a real worker (`celery worker --include`).

Its side effect is one line per finished job in a file named by the job (`params["dir"]`), so a
test can count how often the work was done. On its first attempt it can be told to hang
(`params["hang_s"]`), which is when the test kills the worker."""

import time
from pathlib import Path

from suite.celery import app
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import TenantJobTask


class MarkTask(TenantJobTask):
    name = "tests.job_leases.mark"

    def execute(self, job, tenant):
        folder = Path(job.params["dir"])
        (folder / f"{job.pk}.started").open("a").write(f"{job.attempts}\n")
        job_set_progress(job=job, progress=10, message="working")
        if job.attempts == 1 and job.params.get("hang_s"):
            time.sleep(job.params["hang_s"])  # silent: only the heartbeat keeps the lease
        done = folder / f"{job.pk}.done"
        if not done.exists():  # idempotent: a second run does not do the work twice
            done.write_text("done\n")
        return {"attempt": job.attempts}


mark = app.register_task(MarkTask())
