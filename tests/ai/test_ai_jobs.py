"""Heavy inference as background jobs on the capability queues, through a real worker."""

import pytest
from celery.contrib.testing.worker import start_worker

from suite.ai import jobs, tasks
from suite.ai.errors import InvalidInput
from suite.ai.labelling import read_media_metadata
from suite.celery import app
from suite.jobs.models import Job, JobStatus
from tests.suite.test_jobs import _wait_finished


def test_each_task_is_routed_to_its_capability_queue():
    routes = {
        task.name: app.amqp.router.route({}, task.name, task_type=task)["queue"].name
        for task in (tasks.transcribe_file, tasks.synthesize_speech)
    }
    assert routes == {
        "suite.ai.transcribe_file": "asr",
        "suite.ai.synthesize": "tts",
    }


@pytest.mark.django_db(transaction=True)
def test_speech_job_runs_on_a_real_worker_and_writes_labelled_audio(tenant_a, tenant_b):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job = jobs.speech_job_start(
            tenant=tenant_a,
            text="您好，您的宽带工单已受理。",
            fmt="wav",
            model="espeak-ng",
            language="yue",
        )
        job = _wait_finished(job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    audio = tasks.job_dir(job) / job.result["file"]
    meta = read_media_metadata(audio)
    assert job.result["content_id"] in str(meta)
    assert job.result["duration_s"] > 1.0
    assert not Job.objects.for_tenant(tenant_b).exists()


@pytest.mark.django_db
def test_a_bad_upload_is_refused_before_a_job_exists(tenant_a):
    with pytest.raises(InvalidInput):
        jobs.transcription_job_start(tenant=tenant_a, audio=b"RIFF....WAVEfmt garbage")
    assert not Job.objects.exists()
