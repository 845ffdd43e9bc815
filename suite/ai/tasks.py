"""Heavy inference as background jobs, each on its capability's queue, so GPU workers scale out
separately from the web tier (`celery -A suite worker -Q asr` on a GPU machine, say)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant

from . import gateway
from .capabilities import QUEUE_FOR, Capability
from .types import CallInfo


def job_dir(job: Job) -> Path:
    return Path(settings.MEDIA_ROOT) / "ai" / str(job.tenant_id) / str(job.pk)


def _caller(job: Job, tenant: Tenant) -> gateway.Caller:
    return gateway.Caller(tenant=tenant, user=job.created_by)


def _info(info: CallInfo) -> dict:
    return {
        "model": info.model,
        "engine": info.engine,
        "generative": info.generative,
        "fallback": info.fallback,
        "content_id": info.content_id,
    }


class TranscribeFileTask(TenantJobTask):
    name = "suite.ai.transcribe_file"
    route_queue = QUEUE_FOR[Capability.TRANSCRIBE]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        audio = (job_dir(job) / job.params["input"]).read_bytes()
        options = job.params.get("options", {})
        served = gateway.transcribe(_caller(job, tenant), audio, **options)
        transcript = served.value
        return {
            "text": transcript.text,
            "language": transcript.language,
            "duration_s": transcript.duration_s,
            "segments": [
                {"start": s.start, "end": s.end, "text": s.text} for s in transcript.segments
            ],
            **_info(served.info),
        }


class SynthesizeTask(TenantJobTask):
    name = "suite.ai.synthesize"
    route_queue = QUEUE_FOR[Capability.SYNTHESIZE]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from suite.media.audio_codecs import encode_audio

        from .labelling import audio_metadata

        params = job.params
        served = gateway.synthesize(_caller(job, tenant), params["text"], **params["options"])
        fmt = params.get("format", "mp3")
        out = job_dir(job) / f"speech.{fmt}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(
            encode_audio(
                served.value,
                fmt,
                metadata=audio_metadata(
                    provider=served.info.engine, content_id=served.info.content_id
                ),
            )
        )
        return {"file": out.name, "duration_s": served.value.duration_s, **_info(served.info)}


transcribe_file = app.register_task(TranscribeFileTask())
synthesize_speech = app.register_task(SynthesizeTask())
