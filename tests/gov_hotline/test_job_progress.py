"""Long hotline jobs report real progress (transcription piece by piece, reports step by
step); their pages show the shared progress component; a failed one runs again from it."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gov_hotline.intake import CHUNK_SECONDS, audio_chunks, recording_intake_start
from gov_hotline.models import RecordingIntake
from suite.ai.types import AudioClip
from suite.audit.models import AuditEntry
from suite.jobs.models import Job, JobStatus
from suite.media.audio_codecs import encode_audio
from tests.ai.prompt_recorder import HEARD, use_prompt_recorder
from tests.cross_tenant import covers
from tests.job_progress import assert_progress_climbs, record_job_events

from .conftest import new_order
from .test_portal import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    return record_job_events(monkeypatch)


def talk(seconds: float, pause_at: tuple[float, ...] = ()) -> AudioClip:
    """A loud tone with half-second silences at `pause_at` (where a cut should fall)."""
    rate = 16000
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    for at in pause_at:
        samples[int(at * rate) : int((at + 0.5) * rate)] = 0
    return AudioClip(samples, rate)


def test_a_long_recording_is_cut_in_its_pauses():
    clip = talk(80, pause_at=(27.0, 54.2))
    pieces = audio_chunks(clip)
    offsets = [offset for offset, _piece in pieces]
    assert len(pieces) == 3
    assert 27.0 <= offsets[1] <= 27.5 and 54.2 <= offsets[2] <= 54.7  # inside the silences
    assert sum(len(p.samples) for _o, p in pieces) == len(clip.samples)  # nothing lost
    assert len(audio_chunks(talk(CHUNK_SECONDS))) == 1  # a short call is one piece


def test_transcription_reports_each_piece_then_fills_the_order(
    hl_a, agent_a, monkeypatch, settings, published, django_capture_on_commit_callbacks
):
    from gov_hotline.tasks import transcribe_intake

    prompts = use_prompt_recorder(monkeypatch, settings)
    wav = encode_audio(talk(90, pause_at=(28.0, 57.0)), "wav")
    upload = SimpleUploadedFile("call.wav", wav, content_type="audio/wav")
    with django_capture_on_commit_callbacks(execute=False):
        intake = recording_intake_start(tenant=hl_a, upload=upload, user=agent_a)
    transcribe_intake.apply(kwargs={"tenant_id": hl_a.pk, "job_id": str(intake.job_id)})
    assert len(prompts) == 3  # one recognition call per piece
    # 5% start, one step per piece, the order filling, done
    assert_progress_climbs(published, steps=5)
    assert any("part 3 of 3" in message for _s, _p, message in published)
    intake.refresh_from_db()
    assert intake.text == HEARD * 3
    assert intake.transcript == [] or intake.transcript[0]["start"] >= 0


def test_a_report_reports_its_steps(
    hl_a, dispatcher_a, published, django_capture_on_commit_callbacks
):
    from gov_hotline.tasks import build_report
    from suite.jobs.services import job_enqueue

    new_order(hl_a)
    with django_capture_on_commit_callbacks(execute=False):
        job, _created = job_enqueue(
            tenant=hl_a,
            kind="gov_hotline.report",
            task=build_report,
            params={"period": "daily", "format": "pdf"},
            created_by=dispatcher_a,
        )
    build_report.apply(kwargs={"tenant_id": hl_a.pk, "job_id": str(job.pk)})
    assert_progress_climbs(published, steps=3)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


@covers("portal:job_retry")
def test_the_recording_page_shows_the_place_in_line_then_a_retry(
    hl_a, agent_a, admin_b, monkeypatch, django_capture_on_commit_callbacks
):
    from gov_hotline.tasks import transcribe_intake
    from suite.jobs.services import job_enqueue

    sent = []
    monkeypatch.setattr(transcribe_intake, "apply_async", lambda **kw: sent.append(kw["kwargs"]))

    client = login(agent_a)
    # Another job is first in the same queue: this recording waits second.
    ahead, _ = job_enqueue(tenant=hl_a, kind="gov_hotline.transcribe", task=_Nothing("asr"))
    upload = SimpleUploadedFile("call.wav", encode_audio(talk(2), "wav"), "audio/wav")
    posted = client.post("/gov-hotline/intake/", {"step": "draft", "recording": upload})
    intake = RecordingIntake.objects.get(tenant=hl_a)
    page = client.get(posted["Location"]).content.decode()
    assert "data-job-progress" in page and f'data-job-id="{intake.job_id}"' in page
    assert "Queued (position 2)" in page
    assert f"/jobs/{intake.job_id}/status/" in page and "portal/job_progress.js" in page
    assert "job-progress-retry" not in page

    Job.objects.filter(pk=intake.job_id).update(status=JobStatus.FAILED, error="ASR down")
    failed = client.get(posted["Location"]).content.decode()
    assert "Recording transcription failed." in failed and "ASR down" in failed
    retry = f"/jobs/{intake.job_id}/retry/"
    assert f'action="{retry}"' in failed

    # Another tenant's admin: 404, and the job stays failed.
    assert login(admin_b).post(retry, {"next": posted["Location"]}).status_code == 404
    assert Job.objects.get(pk=intake.job_id).status == JobStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(retry, {"next": posted["Location"]})
    assert again.status_code == 302 and again["Location"] == posted["Location"]
    job = Job.objects.get(pk=intake.job_id)
    assert job.status == JobStatus.QUEUED and job.error == "" and job.progress == 0
    # The same task is sent again for the same tenant and job once the retry commits.
    assert sent == [{"tenant_id": hl_a.pk, "job_id": str(job.pk)}]
    entry = AuditEntry.objects.get(action="job.retried")
    assert entry.tenant_id == hl_a.pk and entry.object_id == str(job.pk)
    assert "Queued (position 2)" in client.get(posted["Location"]).content.decode()
    # A job that is not failed cannot be retried: nothing changes.
    assert client.post(retry).status_code == 302
    assert Job.objects.get(pk=intake.job_id).queued_at == job.queued_at
    assert ahead.status == JobStatus.QUEUED


class _Nothing:
    """A task stand-in that is never sent (the test does not commit)."""

    def __init__(self, queue: str):
        self.route_queue = queue
        self.name = ""

    def apply_async(self, **kwargs):
        pass
