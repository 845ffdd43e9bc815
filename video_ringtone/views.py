"""Pages: the subscriber's mobile creation flow and gallery (/video-ringtone/m/...), the
reviewer queue and the enterprise page in the staff portal. Views parse input, call a service
or a selector, and render; a service's ValidationError is shown on the form with a 400."""

from __future__ import annotations

import uuid
from functools import wraps

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from suite.jobs.selectors import jobs_for
from suite.portal.access import staff_required
from suite.portal.forms import add_service_errors
from suite.privacy import mask_phone
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.selectors import roles_in_tenant

from . import checks, selectors
from .catalog import MUSIC
from .forms import (
    AssignForm,
    CommentForm,
    DraftForm,
    EmployeeForm,
    LimitsForm,
    PhotoForm,
    RenderForm,
    ReviewForm,
    SceneForm,
    ThemeForm,
)
from .models import (
    Assignment,
    Candidate,
    DraftKind,
    Photo,
    Render,
    Ringtone,
    Scene,
    TextOrigin,
    ThemeTemplate,
)
from .roles import CREATORS, REVIEWERS
from .services import captions, drafts, publishing, rendering, review
from .services.common import media_path
from .services.ratelimits import RateLimited


def creator_required(view):
    """Subscribers make personal ringtones; tenant admins (an enterprise's) business ones."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('portal:subscriber_login')}?next={request.path}")
        roles = roles_in_tenant(request.user, request.tenant)
        if not roles & set(CREATORS):
            raise Http404
        request.roles = roles
        return view(request, *args, **kwargs)

    return wrapper


# --- subscriber: home and drafts -------------------------------------------------------------


@creator_required
def m_home(request):
    tenant, user = request.tenant, request.user
    context = {
        "themes": selectors.themes_for(tenant),
        "drafts": selectors.drafts_of(tenant=tenant, owner=user)[:20],
        "ringtones": selectors.ringtones_of(tenant=tenant, owner=user)[:20],
        "assignments": selectors.assignments_of_phone(tenant=tenant, phone=user.phone or "-"),
    }
    return render(request, "video_ringtone/m/home.html", context)


@creator_required
@require_POST
def m_draft_create(request):
    kind = DraftKind.PERSONAL
    if Role.TENANT_ADMIN in request.roles and request.tenant.kind == TenantKind.ENTERPRISE:
        kind = DraftKind.ENTERPRISE
    try:
        draft = drafts.draft_create(
            tenant=request.tenant,
            owner=request.user,
            theme=request.POST.get("theme", ""),
            kind=kind,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("video_ringtone:m_home")
    return redirect("video_ringtone:m_draft", pk=draft.pk)


def _id(value, kind=int):
    """A posted id, or None when it is not one (then the lookup is a 404, never a 500)."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _draft(request, pk: int):
    return selectors.draft_get(tenant=request.tenant, owner=request.user, pk=pk)


def _draft_form(draft) -> DraftForm:
    form = DraftForm(
        initial={
            f: getattr(draft, f)
            for f in (
                "title",
                "prompt",
                "style",
                "caption",
                "music",
                "music_volume",
                "voice_text",
                "orientation",
            )
        }
    )
    label = text_label(draft.voice_text_origin, draft.voice_text_model) if draft.voice_text else ""
    if label:
        form.fields["voice_text"].help_text = f"{form.fields['voice_text'].help_text} · {label}"
    return form


def text_label(origin: str, model: str) -> str:
    """What the page says beside a caption or greeting it did not get from the subscriber."""
    if origin == TextOrigin.MODEL:
        return _("AI-generated · %(model)s") % {"model": model}
    if origin == TextOrigin.TEMPLATE:
        return _("Template text")
    return ""


def _written_lines(draft, scenes) -> list[dict]:
    """The captions and greeting as the "write my captions" card lists them: each scene's, then
    those kept for scenes not added yet."""
    lines = [
        {"scene": index + 1, "text": s.caption, "origin": s.caption_origin,
         "label": text_label(s.caption_origin, s.caption_model), "pending": False}
        for index, s in enumerate(scenes)
        if s.caption
    ]  # fmt: skip
    taken = {s.caption for s in scenes}
    pending = [
        s for s in draft.caption_suggestions or []
        if isinstance(s, dict) and s.get("caption") and s["caption"] not in taken
    ][: max(0, captions.MAX_CAPTIONS - len(scenes))]  # fmt: skip
    for offset, item in enumerate(pending):
        lines.append(
            {"scene": len(scenes) + offset + 1, "text": item["caption"],
             "origin": item.get("origin", ""), "pending": True,
             "label": text_label(item.get("origin", ""), item.get("model", ""))}
        )  # fmt: skip
    return lines


def _editor(request, draft, *, status: int = 200, **forms):
    scenes = list(draft.scenes.select_related("candidate"))
    candidates = list(selectors.draft_candidates(draft))
    latest = selectors.draft_latest_render(draft)
    work = selectors.draft_work(draft)
    context = {
        "draft": draft,
        "page_url": reverse("video_ringtone:m_draft", args=[draft.pk]),
        "form": forms.get("form") or _draft_form(draft),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "render_form": forms.get("render_form") or RenderForm(),
        "scene_errors": forms.get("scene_errors"),
        "photos": draft.photos.all(),
        "candidates": candidates,
        "scenes": scenes,
        "written": _written_lines(draft, scenes),
        "greeting_label": text_label(draft.voice_text_origin, draft.voice_text_model),
        "scene_forms": [
            (
                s,
                SceneForm(
                    initial={
                        "caption": s.caption,
                        "duration_s": s.duration_s,
                        "transition": s.transition,
                    }
                ),
            )
            for s in scenes
        ],
        "total_s": sum(float(s.duration_s) for s in scenes),
        "limits": selectors.limits_for(draft.tenant),
        "latest": latest,
        "images_job": work["images"],
        "images_pending": work["images_pending"],
        "render_job": work["render"],
        "any_fallback": any(c.fallback for c in candidates),
        "music": MUSIC.get(draft.music),
    }
    return render(request, "video_ringtone/m/draft.html", context, status=status)


@creator_required
def m_draft(request, pk: int):
    draft = _draft(request, pk)
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                drafts.draft_update(draft=draft, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("video_ringtone:m_draft", pk=draft.pk)
        draft.refresh_from_db()
        return _editor(request, draft, form=form, status=400)
    return _editor(request, draft)


@creator_required
@require_POST
def m_photo_add(request, pk: int):
    draft = _draft(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            if upload.size > drafts.PHOTO_MAX_BYTES:
                raise ValidationError(
                    {
                        "photo": _("The photo is larger than %(mb)s MB.")
                        % {"mb": drafts.PHOTO_MAX_BYTES // 2**20}
                    }
                )
            drafts.photo_add(draft=draft, data=upload.read())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Photo added."))
            return redirect("video_ringtone:m_draft", pk=draft.pk)
    return _editor(request, draft, photo_form=form, status=400)


@creator_required
@require_POST
def m_photo_delete(request, pk: int, photo_pk: int):
    draft = _draft(request, pk)
    photo = get_object_or_404(Photo.objects.for_tenant(request.tenant), pk=photo_pk, draft=draft)
    try:
        drafts.photo_delete(photo=photo)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("video_ringtone:m_draft", pk=draft.pk)


@creator_required
@require_POST
def m_candidates(request, pk: int):
    draft = _draft(request, pk)
    try:
        drafts.candidates_request(
            draft=draft, user=request.user, source=request.POST.get("source", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _editor(request, draft, status=400)
    messages.info(request, _("Generating images; they appear here when ready."))
    return redirect("video_ringtone:m_draft", pk=draft.pk)


@creator_required
@require_POST
def m_captions(request, pk: int):
    """「AI帮我写文案」: one short model call in the request (the model runs on its own server;
    this thread only waits for it, bounded by the gateway's timeout), then back to the page
    with the texts filled in. A prompt posted with it is saved first: it is what was typed."""
    draft = _draft(request, pk)
    try:
        prompt = request.POST.get("prompt")
        if prompt is not None and prompt.strip() != draft.prompt:
            drafts.draft_update(draft=draft, prompt=prompt)
        result = captions.captions_suggest(draft=draft, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        draft.refresh_from_db()
        return _editor(request, draft, status=400)
    except RateLimited as exc:
        messages.error(request, exc.message)
        return _editor(request, draft, status=429)
    notify = messages.success if result.source == captions.SOURCE_MODEL else messages.warning
    notify(request, result.message)
    return redirect(f"{reverse('video_ringtone:m_draft', args=[draft.pk])}#copy")


@creator_required
@require_POST
def m_scene_add(request, pk: int):
    draft = _draft(request, pk)
    candidate = get_object_or_404(
        selectors.draft_candidates(draft), pk=_id(request.POST.get("candidate"))
    )
    try:
        drafts.scene_add(
            draft=draft, candidate=candidate, duration_s=request.POST.get("duration_s", 4)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _editor(request, draft, status=400)
    return redirect(f"{reverse('video_ringtone:m_draft', args=[draft.pk])}#scenes")


@creator_required
@require_POST
def m_scene(request, pk: int, scene_pk: int):
    draft = _draft(request, pk)
    scene = get_object_or_404(Scene.objects.for_tenant(request.tenant), pk=scene_pk, draft=draft)
    action = request.POST.get("action", "save")
    try:
        if action == "up":
            drafts.scene_move(scene=scene, offset=-1)
        elif action == "down":
            drafts.scene_move(scene=scene, offset=1)
        elif action == "delete":
            drafts.scene_delete(scene=scene)
        elif action == "replace":
            candidate = get_object_or_404(
                selectors.draft_candidates(draft), pk=_id(request.POST.get("candidate"))
            )
            drafts.scene_update(scene=scene, candidate=candidate)
        else:
            form = SceneForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            drafts.scene_update(scene=scene, **form.cleaned_data)
    except ValidationError as exc:
        return _editor(request, draft, scene_errors={scene.pk: exc.messages}, status=400)
    return redirect(f"{reverse('video_ringtone:m_draft', args=[draft.pk])}#scenes")


@creator_required
@require_POST
def m_render(request, pk: int):
    draft = _draft(request, pk)
    form = RenderForm(request.POST)
    if form.is_valid():
        try:
            rendering.render_start(
                draft=draft, user=request.user, profile=form.cleaned_data["profile"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(f"{reverse('video_ringtone:m_draft', args=[draft.pk])}#render")
    return _editor(request, draft, render_form=form, status=400)


@creator_required
def m_draft_status(request, pk: int):
    """What the progress bars poll: the latest image job and render, with their progress."""
    return JsonResponse(selectors.draft_work(_draft(request, pk)))


@creator_required
@require_POST
def m_submit(request, pk: int):
    draft = _draft(request, pk)
    render_obj = get_object_or_404(
        Render.objects.for_tenant(request.tenant),
        pk=_id(request.POST.get("render"), uuid.UUID),
        draft=draft,
    )
    try:
        ringtone = review.ringtone_submit(
            draft=draft,
            render=render_obj,
            user=request.user,
            in_gallery=request.POST.get("in_gallery") == "on",
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("video_ringtone:m_draft", pk=draft.pk)
    messages.success(request, _("Submitted: automatic checks first, then a reviewer."))
    return redirect("video_ringtone:m_ringtone", pk=ringtone.pk)


# --- subscriber: my ringtones and setting them -------------------------------------------------


def _own_ringtone(request, pk: int) -> Ringtone:
    return get_object_or_404(
        selectors.ringtones_of(tenant=request.tenant, owner=request.user), pk=pk
    )


@creator_required
def m_ringtone(request, pk: int):
    ringtone = _own_ringtone(request, pk)
    return _ringtone_page(request, ringtone, AssignForm())


def _ringtone_page(request, ringtone, form, status=200):
    context = {
        "ringtone": ringtone,
        "page_url": reverse("video_ringtone:m_ringtone", args=[ringtone.pk]),
        "sources": _sources(ringtone),
        "form": form,
        "checks": _checks(ringtone),
        "assignments": Assignment.objects.for_tenant(request.tenant).filter(
            ringtone=ringtone, created_by=request.user
        ),
    }
    return render(request, "video_ringtone/m/ringtone.html", context, status=status)


def _sources(ringtone) -> dict[str, str]:
    """Device profile -> video URL, for the page script to pick what the screen can show."""
    return {
        profile: reverse("video_ringtone:render_file", args=[render.pk, "video"])
        for profile, render in selectors.renditions(ringtone).items()
    }


def _checks(ringtone):
    return [{**c, "label": _(checks.CHECK_LABELS.get(c["key"], c["key"]))} for c in ringtone.checks]


def _provider_engines(provider: str) -> list[str]:
    """The engines a render's provider string names ("video_ringtone (opencv-stylize, kokoro)")."""
    inside = provider.partition("(")[2].rpartition(")")[0]
    return [engine.strip() for engine in inside.split(",") if engine.strip()]


@creator_required
@require_POST
def m_assign(request, pk: int):
    ringtone = _own_ringtone(request, pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            # A subscriber sets a ringtone on their own number only.
            publishing.assignment_create(
                ringtone=ringtone,
                phone=request.user.phone or "",
                user=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your ringtone is being set up."))
            return redirect("video_ringtone:m_ringtone", pk=ringtone.pk)
    return _ringtone_page(request, ringtone, form, status=400)


@creator_required
@require_POST
def m_unassign(request, pk):
    assignment = get_object_or_404(
        Assignment.objects.for_tenant(request.tenant), pk=pk, created_by=request.user
    )
    publishing.assignment_remove(assignment=assignment, user=request.user)
    messages.success(request, _("The ringtone was removed from your number."))
    return redirect("video_ringtone:m_home")


# --- gallery ---------------------------------------------------------------------------------


@creator_required
def m_gallery(request):
    return render(
        request,
        "video_ringtone/m/gallery.html",
        {"ringtones": selectors.gallery(request.tenant)[:60]},
    )


def _gallery_item(request, pk: int) -> Ringtone:
    return get_object_or_404(selectors.gallery(request.tenant), pk=pk)


@creator_required
def m_gallery_item(request, pk: int, comment_form=None, status=200):
    ringtone = _gallery_item(request, pk)
    context = {
        "ringtone": ringtone,
        "page_url": reverse("video_ringtone:m_gallery_item", args=[ringtone.pk]),
        "sources": _sources(ringtone),
        "comments": selectors.comments_of(ringtone).select_related("user")[:50],
        "liked": ringtone.likes.filter(user=request.user).exists(),
        "comment_form": comment_form or CommentForm(),
    }
    return render(request, "video_ringtone/m/gallery_item.html", context, status=status)


@creator_required
@require_POST
def m_like(request, pk: int):
    try:
        publishing.like_toggle(ringtone=_gallery_item(request, pk), user=request.user)
    except RateLimited as exc:
        messages.error(request, exc.message)
    return redirect("video_ringtone:m_gallery_item", pk=pk)


@creator_required
@require_POST
def m_comment(request, pk: int):
    ringtone = _gallery_item(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            publishing.comment_add(
                ringtone=ringtone, user=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except RateLimited as exc:
            form.add_error("text", exc.message)
            return m_gallery_item.__wrapped__(request, pk, comment_form=form, status=429)
        else:
            return redirect("video_ringtone:m_gallery_item", pk=pk)
    return m_gallery_item.__wrapped__(request, pk, comment_form=form, status=400)


@creator_required
@require_POST
def m_gallery_set(request, pk: int):
    """一键设置同款: the gallery ringtone on the subscriber's own number, in one tap."""
    ringtone = _gallery_item(request, pk)
    try:
        _assignment, created = publishing.gallery_ringtone_set(ringtone=ringtone, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return m_gallery_item.__wrapped__(request, pk, status=400)
    text = (
        _("“%(title)s” is being set as your video ringtone on %(phone)s for all callers.")
        if created
        else _("“%(title)s” is already your video ringtone on %(phone)s for all callers.")
    )
    messages.success(
        request, text % {"title": ringtone.title, "phone": mask_phone(request.user.phone)}
    )
    return redirect(f"{reverse('video_ringtone:m_home')}#my-number")


@creator_required
@require_POST
def m_copy(request, pk: int):
    draft = drafts.draft_copy_from_ringtone(ringtone=_gallery_item(request, pk), owner=request.user)
    messages.success(request, _("A copy is in your drafts: change anything, then render."))
    return redirect("video_ringtone:m_draft", pk=draft.pk)


# --- files -----------------------------------------------------------------------------------


def _can_review(request) -> bool:
    return bool(roles_in_tenant(request.user, request.tenant) & {str(r) for r in REVIEWERS})


def candidate_file(request, pk: int):
    if not request.user.is_authenticated:
        raise Http404
    candidate = get_object_or_404(
        Candidate.objects.for_tenant(request.tenant), pk=pk, draft__owner=request.user
    )
    return FileResponse(open(media_path(candidate.file), "rb"), content_type="image/jpeg")


def render_file(request, pk, kind: str):
    """A render's video or poster: its owner, the tenant's reviewers, or anyone in the tenant
    once it is an approved gallery ringtone."""
    if not request.user.is_authenticated or kind not in ("video", "poster"):
        raise Http404
    shared = selectors.gallery(request.tenant)
    visible = (
        Q(draft__owner=request.user)
        | Q(pk__in=shared.values("render_id"))
        | Q(rendition_of__in=shared.values("pk"))
    )
    if _can_review(request):  # reviewers see what was submitted, not private drafts
        submitted = Ringtone.objects.for_tenant(request.tenant)
        visible |= Q(pk__in=submitted.values("render_id")) | Q(rendition_of__isnull=False)
    render_obj = Render.objects.for_tenant(request.tenant).filter(visible, pk=pk).first()
    if render_obj is None or not render_obj.video:
        raise Http404
    path = render_obj.video if kind == "video" else render_obj.poster
    content_type = "video/mp4" if kind == "video" else "image/jpeg"
    return FileResponse(open(media_path(path), "rb"), content_type=content_type)


# --- staff portal: home, review queue, enterprise ---------------------------------------------


@staff_required(roles=(Role.TENANT_ADMIN, Role.RINGTONE_REVIEWER))
def home(request):
    """The module page; tenant admins also set the limits and the tenant's theme templates."""
    limits = selectors.limits_for(request.tenant)
    is_admin = Role.TENANT_ADMIN in request.roles
    posted = request.POST.get("form") if request.method == "POST" else None
    if posted and not is_admin:
        raise Http404
    limits_form = LimitsForm(request.POST if posted == "limits" else None, initial=limits.__dict__)
    theme_form = ThemeForm(request.POST if posted == "theme" else None)
    form = {"limits": limits_form, "theme": theme_form}.get(posted or "")
    status = 200
    if posted:
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                if posted == "limits":
                    review.limits_set(tenant=request.tenant, request=request, **form.cleaned_data)
                else:
                    drafts.theme_create(tenant=request.tenant, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("video_ringtone:home")
        status = 400
    context = {
        "module": apps.get_app_config("video_ringtone"),
        "queue_count": selectors.review_queue(request.tenant).count(),
        "is_enterprise": request.tenant.kind == TenantKind.ENTERPRISE,
        # the enterprise page is the tenant admin's: a reviewer gets no link to it
        "can_manage_enterprise": is_admin,
        "gallery_count": selectors.gallery(request.tenant).count(),
        "limits": limits,
        "limits_form": limits_form if is_admin else None,
        "theme_form": theme_form if is_admin else None,
        "own_themes": ThemeTemplate.objects.for_tenant(request.tenant),
        "inherited_themes": selectors.inherited_themes(request.tenant),
        "jobs": jobs_for(tenant=request.tenant, kind_prefix="video_ringtone.")[:20],
    }
    return render(request, "video_ringtone/home.html", context, status=status)


@staff_required(roles=(Role.TENANT_ADMIN,))
@require_POST
def theme_delete(request, pk: int):
    theme = get_object_or_404(ThemeTemplate.objects.for_tenant(request.tenant), pk=pk)
    drafts.theme_delete(theme=theme)
    messages.success(request, _("Theme template removed."))
    return redirect("video_ringtone:home")


@staff_required(roles=REVIEWERS)
def review_queue(request):
    queue = list(selectors.review_queue(request.tenant)[:100])
    for ringtone in queue:
        ringtone.check_results = _checks(ringtone)
        ringtone.checks_passed = all(c["status"] == checks.PASS for c in ringtone.check_results)
    context = {
        "queue": queue,
        "recent": selectors.recently_reviewed(request.tenant)[:20],
        "limits": selectors.limits_for(request.tenant),
    }
    return render(request, "video_ringtone/review_queue.html", context)


@staff_required(roles=REVIEWERS)
def review_detail(request, pk: int):
    ringtone = get_object_or_404(
        Ringtone.objects.for_tenant(request.tenant).select_related("render"), pk=pk
    )
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            review.review_decide(
                ringtone=ringtone,
                reviewer=request.user,
                approve=request.POST.get("decision") == "approve",
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Review saved."))
            return redirect("video_ringtone:review_queue")
    elif request.method == "POST":
        status = 400
    context = {
        "ringtone": ringtone,
        "form": form,
        "checks": _checks(ringtone),
        "engines": _provider_engines(ringtone.render.provider if ringtone.render else ""),
    }
    return render(request, "video_ringtone/review_detail.html", context, status=status)


enterprise_admin = staff_required(roles=(Role.TENANT_ADMIN,))


@enterprise_admin
def enterprise(request):
    form = EmployeeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            publishing.employee_add(tenant=request.tenant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Employee added."))
            return redirect("video_ringtone:enterprise")
    context = {
        "form": form,
        "employees": selectors.employees_with_ringtones(request.tenant),
        "ringtones": selectors.enterprise_ringtones(request.tenant),
        "drafts": selectors.drafts_of(tenant=request.tenant, owner=request.user).filter(
            kind=DraftKind.ENTERPRISE
        ),
        "is_enterprise": request.tenant.kind == TenantKind.ENTERPRISE,
    }
    return render(request, "video_ringtone/enterprise.html", context, status=status)


@enterprise_admin
@require_POST
def enterprise_employee_remove(request, pk: int):
    employee = get_object_or_404(selectors.employees(request.tenant), pk=pk)
    taken_off = publishing.employee_remove(employee=employee, user=request.user)
    if taken_off:
        message = _(
            "%(name)s is off the list; the enterprise ringtone is being taken off their line."
        )
    else:
        message = _("%(name)s is off the list.")
    messages.success(request, message % {"name": employee.name})
    return redirect("video_ringtone:enterprise")


@enterprise_admin
@require_POST
def enterprise_assign(request, pk: int):
    ringtone = get_object_or_404(selectors.enterprise_ringtones(request.tenant), pk=pk)
    try:
        made = publishing.enterprise_assign(ringtone=ringtone, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Assigned to %(n)s employees.") % {"n": len(made)})
    return redirect("video_ringtone:enterprise")
