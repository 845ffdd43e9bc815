"""From a draft to a ringtone set on a number: candidates, review, publishing, the gallery."""

import pytest
from django.core.exceptions import ValidationError

from suite.ai.labelling import read_image_metadata
from suite.jobs.models import Job, JobStatus
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.factories import member
from video_ringtone import selectors
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    Candidate,
    CandidateSource,
    Draft,
    RingtoneStatus,
    Scene,
    SimulatedProvision,
)
from video_ringtone.platform import SimulatorPlatform
from video_ringtone.services import drafts, publishing, rendering, review
from video_ringtone.services.common import media_path

from .conftest import draft_with_scenes


def _submit(draft, render, user, capture):
    with capture(execute=True):
        ringtone = review.ringtone_submit(draft=draft, render=render, user=user, in_gallery=True)
        assert ringtone.status == RingtoneStatus.CHECKING
    ringtone.refresh_from_db()
    return ringtone


def _render(draft, user, capture):
    with capture(execute=True):
        render = rendering.render_start(draft=draft, user=user, profile="low")
    render.refresh_from_db()
    return render


@pytest.fixture
def approved(tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
             django_capture_on_commit_callbacks):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.5, music="calm_pad")
    render = _render(draft, subscriber_a, django_capture_on_commit_callbacks)
    ringtone = _submit(draft, render, subscriber_a, django_capture_on_commit_callbacks)
    assert ringtone.status == RingtoneStatus.IN_REVIEW, ringtone.checks
    return review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)


@pytest.mark.django_db
def test_candidates_from_prompt_and_photo_use_the_gateway_fallback_and_say_so(
    tenant_a, subscriber_a, eager, django_capture_on_commit_callbacks
):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    with django_capture_on_commit_callbacks(execute=True):
        text_job = drafts.candidates_request(draft=draft, user=subscriber_a, source="text", count=2)
        photo_job = drafts.candidates_request(draft=draft, user=subscriber_a, source="photo")
    for job in (text_job, photo_job):
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.result["engine"] == "opencv-stylize"
        assert job.result["fallback"] is True
        assert job.created_by == subscriber_a  # so their /ws/jobs/ carries it, no one else's
    made = Candidate.objects.for_tenant(tenant_a).exclude(source=CandidateSource.UPLOAD)
    assert {c.source for c in made} == {"text", "photo"}
    assert made.filter(source="text").count() == 2
    assert all(c.fallback and not c.generative and c.content_id for c in made)
    for candidate in made:  # the implicit label travels in the file the user is served
        record = read_image_metadata(media_path(candidate.file).read_bytes())
        assert record["ProduceID"] == candidate.content_id
        assert record["ContentProducer"] == candidate.engine


@pytest.mark.django_db
def test_prohibited_prompt_or_caption_is_refused_and_the_draft_is_unchanged(tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    before = (draft.prompt, draft.caption)
    with pytest.raises(ValidationError) as err:
        drafts.draft_update(draft=draft, prompt="赌博网站 推广", caption="正常")
    assert "prompt" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        drafts.draft_update(draft=draft, caption="一" * 41)
    assert "40" in err.value.message_dict["caption"][0]
    draft.refresh_from_db()
    assert (draft.prompt, draft.caption) == before
    scene = draft.scenes.get()
    with pytest.raises(ValidationError):
        drafts.scene_update(scene=scene, caption="赌博网站")
    with pytest.raises(ValidationError):
        drafts.scene_update(scene=scene, duration_s="99")
    scene.refresh_from_db()
    assert scene.caption.startswith("第1幕")


@pytest.mark.django_db
def test_total_duration_outside_the_tenant_limits_is_refused(tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1, seconds=2)
    with pytest.raises(ValidationError) as err:
        rendering.render_start(draft=draft, user=subscriber_a)  # default limits: 5-48 s
    assert "5 to 48" in err.value.message_dict["scenes"][0]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_scenes_reorder_and_delete_keep_positions_dense(tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=3)
    first, second, third = draft.scenes.all()
    drafts.scene_move(scene=third, offset=-1)
    assert list(draft.scenes.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    drafts.scene_delete(scene=first)
    assert list(draft.scenes.values_list("position", flat=True)) == [0, 1]


@pytest.mark.django_db
def test_review_flow_then_set_as_my_ringtone_through_the_platform(
    approved, tenant_a, subscriber_a, eager, django_capture_on_commit_callbacks
):
    assert approved.reviewed_at and approved.status == RingtoneStatus.APPROVED
    assert {c["key"] for c in approved.checks} >= {"safety", "black", "frozen", "silence"}
    with django_capture_on_commit_callbacks(execute=True):
        assignment = publishing.assignment_create(
            ringtone=approved, phone=subscriber_a.phone, user=subscriber_a,
            caller_group="family", start_time=__import__("datetime").time(9),
            end_time=__import__("datetime").time(18),
        )  # fmt: skip
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACTIVE
    sim = SimulatedProvision.objects.get(request_id=str(assignment.pk))
    assert sim.platform_ref == assignment.platform_ref
    assert sim.windows == {"start": "09:00:00", "end": "18:00:00", "caller_group": "family"}
    # A new ringtone for the same group replaces the old one, which is deprovisioned.
    with django_capture_on_commit_callbacks(execute=True):
        replacement = publishing.assignment_create(
            ringtone=approved, phone=subscriber_a.phone, user=subscriber_a, caller_group="family"
        )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.REMOVED
    assert not SimulatedProvision.objects.get(request_id=str(assignment.pk)).active
    assert list(selectors.assignments_of_phone(tenant=tenant_a, phone=subscriber_a.phone)) == [
        replacement
    ]


@pytest.mark.django_db
def test_provisioning_retries_transient_failures_and_is_idempotent(
    approved, subscriber_a, eager, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(SimulatorPlatform, "fail_next", 2)
    from video_ringtone import tasks

    monkeypatch.setattr(tasks.PlatformSyncTask, "retry_backoff_seconds", 0)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = publishing.assignment_create(
            ringtone=approved, phone="13700137000", user=subscriber_a
        )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACTIVE
    assert assignment.attempts == 3
    # The platform saw one request id once, however many attempts it took.
    assert SimulatedProvision.objects.filter(request_id=str(assignment.pk)).count() == 1
    again = publishing.assignment_sync(assignment=assignment, action="provision")
    assert again["platform_ref"] == assignment.platform_ref


@pytest.mark.django_db
def test_provisioning_gives_up_after_the_retries(
    approved, subscriber_a, eager, django_capture_on_commit_callbacks, monkeypatch
):
    from video_ringtone import tasks

    monkeypatch.setattr(SimulatorPlatform, "fail_next", 99)
    monkeypatch.setattr(tasks.PlatformSyncTask, "retry_backoff_seconds", 0)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = publishing.assignment_create(
            ringtone=approved, phone="13700137001", user=subscriber_a
        )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.FAILED
    assert "timeout" in assignment.last_error


@pytest.mark.django_db
def test_rejection_needs_a_reason_and_unapproved_ringtones_cannot_be_set(
    tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    render = _render(draft, subscriber_a, django_capture_on_commit_callbacks)
    ringtone = _submit(draft, render, subscriber_a, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        publishing.assignment_create(ringtone=ringtone, phone="13800138000", user=subscriber_a)
    with pytest.raises(ValidationError):
        review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=False, reason=" ")
    review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=False, reason="画面模糊")
    ringtone.refresh_from_db()
    assert (ringtone.status, ringtone.reason) == (RingtoneStatus.REJECTED, "画面模糊")
    assert not selectors.gallery(tenant_a).exists()
    with pytest.raises(ValidationError):
        review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)


@pytest.mark.django_db
def test_gallery_likes_comments_and_use_the_same_one(approved, tenant_a, tenant_b, subscriber_b):
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13600136000")
    assert publishing.like_toggle(ringtone=approved, user=fan) is True
    approved.refresh_from_db()
    assert approved.like_count == 1
    assert publishing.like_toggle(ringtone=approved, user=fan) is False
    approved.refresh_from_db()
    assert approved.like_count == 0
    publishing.comment_add(ringtone=approved, user=fan, text="好看！")
    masked = publishing.comment_add(ringtone=approved, user=fan, text="同款找我 13912345678")
    assert "13912345678" not in masked.text and "139****5678" in masked.text
    masked.delete()
    with pytest.raises(ValidationError):
        publishing.comment_add(ringtone=approved, user=fan, text="赌博网站")
    assert [c.text for c in selectors.comments_of(approved)] == ["好看！"]

    copy = drafts.draft_copy_from_ringtone(ringtone=approved, owner=fan)
    assert copy.owner == fan and copy.copied_from == approved
    original = [(s["caption"], s["duration_s"]) for s in approved.spec["scenes"]]
    assert [(s.caption, float(s.duration_s)) for s in copy.scenes.all()] == original
    # The copy owns its images: editing it never touches the published ringtone.
    assert all(s.candidate.draft_id == copy.pk for s in copy.scenes.select_related("candidate"))
    assert list(selectors.gallery(tenant_a)) == [approved]
    assert not selectors.gallery(tenant_b).exists()
    assert not Draft.objects.for_tenant(tenant_b).exists()
    assert Scene.objects.for_tenant(tenant_a).count() == 4


@pytest.mark.django_db
def test_enterprise_ringtone_goes_to_every_employee(
    tenant_a, short_limits, eager, tiny, django_capture_on_commit_callbacks
):
    from video_ringtone.models import DraftKind, RingtoneLimits

    company = tenant_create(
        slug="ent", name="云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    RingtoneLimits.objects.create(tenant=company, min_duration_s=1, max_duration_s=10)
    boss = member(company, Role.TENANT_ADMIN, username="boss")
    reviewer = member(company, Role.RINGTONE_REVIEWER, username="ent_rev")
    for index, name in enumerate(["张伟", "王芳", "李强"]):
        publishing.employee_add(tenant=company, name=name, phone=f"1350000000{index}")
    with pytest.raises(ValidationError):
        publishing.employee_add(tenant=company, name="重复", phone="13500000000")
    draft = drafts.draft_create(
        tenant=company, owner=boss, theme="business", kind=DraftKind.ENTERPRISE
    )
    source = draft_with_scenes(company, boss, scenes=2, seconds=1.0)
    for scene in source.scenes.all():
        scene.draft = draft
        scene.candidate.draft = draft
        scene.candidate.save()
        scene.save()
    render = _render(draft, boss, django_capture_on_commit_callbacks)
    ringtone = _submit(draft, render, boss, django_capture_on_commit_callbacks)
    review.review_decide(ringtone=ringtone, reviewer=reviewer, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        made = publishing.enterprise_assign(ringtone=ringtone, user=boss)
    assert sorted(a.phone for a in made) == ["13500000000", "13500000001", "13500000002"]
    states = set(Assignment.objects.for_tenant(company).values_list("state", flat=True))
    assert states == {AssignmentState.ACTIVE}
    assert not Assignment.objects.for_tenant(tenant_a).exists()


@pytest.mark.django_db
def test_a_failed_automatic_check_rejects_without_a_reviewer(
    tenant_a, subscriber_a, short_limits, eager, tiny, django_capture_on_commit_callbacks
):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    render = _render(draft, subscriber_a, django_capture_on_commit_callbacks)
    # The operator tightened the limits after this video was rendered.
    short_limits.min_duration_s = 5
    short_limits.save()
    ringtone = _submit(draft, render, subscriber_a, django_capture_on_commit_callbacks)
    assert ringtone.status == RingtoneStatus.REJECTED
    assert ringtone.reason.startswith("Automatic checks failed")
    assert {c["key"]: c["status"] for c in ringtone.checks}["duration"] == "fail"
    assert not selectors.review_queue(tenant_a).exists()
    # Running the job again (a redelivery) changes nothing.
    assert review.ringtone_check(ringtone=ringtone).status == RingtoneStatus.REJECTED


@pytest.mark.django_db
def test_only_ringtones_their_owner_shared_reach_the_gallery(
    tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    render = _render(draft, subscriber_a, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        private = review.ringtone_submit(draft=draft, render=render, user=subscriber_a)
    private.refresh_from_db()
    review.review_decide(ringtone=private, reviewer=reviewer_a, approve=True)
    assert not selectors.gallery(tenant_a).exists()
    # Still the owner's to set on their own number.
    assert (
        publishing.assignment_create(
            ringtone=private, phone=subscriber_a.phone, user=subscriber_a
        ).state
        == AssignmentState.PENDING
    )
