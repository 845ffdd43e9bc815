"""Demo data for `make run`: in 深圳 (gd-sz) an approved ringtone in the gallery with likes and
comments, set on subscriber 13800138000's number, and one waiting in the review queue; in the
enterprise tenant (gd-sz-ent) an employee roster and an approved business ringtone.

Images come from the configured image backend through the gateway (the OpenCV fallback on a
fresh machine) and the videos are really rendered (480p, a few seconds each)."""

from __future__ import annotations

from datetime import time

from suite.accounts.models import User
from suite.ai import gateway
from suite.tenancy.models import Tenant

from .catalog import frame_size
from .models import CandidateSource, Draft, DraftKind, Employee, Ringtone
from .services import drafts, publishing, rendering, review

EMPLOYEES = [
    ("张伟", "13500135001"),
    ("王芳", "13500135002"),
    ("李强", "13500135003"),
    ("刘洋", "13500135004"),
    ("陈静", "13500135005"),
]


def _make(tenant, owner, *, theme, title, captions, kind=DraftKind.PERSONAL) -> Draft:
    draft = drafts.draft_create(tenant=tenant, owner=owner, theme=theme, kind=kind)
    drafts.draft_update(draft=draft, title=title)
    width, height = frame_size(draft.orientation, 576)
    served = gateway.generate_image(
        gateway.Caller(tenant=tenant, user=owner),
        draft.prompt,
        width=width,
        height=height,
        style=draft.style,
        n=len(captions),
    )
    result = served.value
    for image, plain, caption in zip(result.images, result.unlabelled, captions, strict=False):
        candidate = drafts.candidate_create(
            draft=draft, image=image, unlabelled=plain, source=CandidateSource.TEXT,
            style=draft.style, info=served.info,
        )  # fmt: skip
        drafts.scene_add(draft=draft, candidate=candidate, caption=caption, duration_s=3)
    return draft


def _publish(draft, owner, reviewer, *, approve: bool | None) -> Ringtone:
    render = rendering.render_inline(draft=draft, user=owner, profile="low")
    ringtone = review.ringtone_submit(draft=draft, render=render, user=owner, in_gallery=True)
    # No worker runs while seeding: check here (the queued job then finds nothing to do).
    ringtone = review.ringtone_check(ringtone=ringtone, user=owner)
    if approve is not None and ringtone.status == "in_review":
        review.review_decide(ringtone=ringtone, reviewer=reviewer, approve=approve)
    return ringtone


def seed_demo() -> None:  # not atomic: it generates images (no model call in a transaction)
    city = Tenant.objects.filter(slug="gd-sz").first()
    enterprise = Tenant.objects.filter(slug="gd-sz-ent").first()
    subscriber = User.objects.filter(phone="13800138000").first()
    reviewer = User.objects.filter(username="sz_reviewer").first()
    ent_admin = User.objects.filter(username="ent_admin").first()
    if not (city and subscriber and reviewer):
        return
    if not Ringtone.objects.for_tenant(city).exists():
        birthday = _make(
            city, subscriber, theme="birthday", title="妈妈生日快乐",
            captions=["妈妈，生日快乐！", "愿您健康长寿", "永远爱您"],
        )  # fmt: skip
        approved = _publish(birthday, subscriber, reviewer, approve=True)
        publishing.comment_add(ringtone=approved, user=subscriber, text="给妈妈做的，太喜欢了！")
        publishing.like_toggle(ringtone=approved, user=subscriber)
        publishing.assignment_create(
            ringtone=approved, phone=subscriber.phone or "", user=subscriber,
            caller_group="family", start_time=time(8), end_time=time(22),
        )  # fmt: skip
        festival = _make(
            city, subscriber, theme="festival", title="新春祝福",
            captions=["新春快乐", "阖家幸福"],
        )  # fmt: skip
        _publish(festival, subscriber, reviewer, approve=None)
    if enterprise and ent_admin and not Employee.objects.for_tenant(enterprise).exists():
        for name, phone in EMPLOYEES:
            publishing.employee_add(tenant=enterprise, name=name, phone=phone)
        card = _make(
            enterprise, ent_admin, theme="business", title="云帆科技 企业名片",
            captions=["深圳前海云帆科技", "智慧云服务，助力企业成长", "您好，感谢来电！"],
            kind=DraftKind.ENTERPRISE,
        )  # fmt: skip
        _publish(card, ent_admin, ent_admin, approve=True)
