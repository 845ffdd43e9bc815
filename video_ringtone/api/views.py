"""REST API of the creation flow, review and gallery. Thin: parse, call a service, serialise.
Drafts, renders and ringtones are the signed-in user's own; the tenant filter is applied by
the suite's viewsets, so another tenant's object is a 404."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suite.api.parsers import JSONParser
from suite.api.schema import ErrorSerializer
from suite.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet, TenantScopedMixin
from suite.tenancy.models import TenantKind

from .. import selectors
from ..models import (
    Assignment,
    Candidate,
    Draft,
    DraftKind,
    Employee,
    Render,
    Ringtone,
    RingtoneStatus,
    Scene,
)
from ..roles import CREATORS, ENTERPRISE_ADMINS, REVIEWERS
from ..services import captions, drafts, publishing, rendering, review
from ..services.ratelimits import RateLimited
from . import serializers as s


@contextmanager
def _throttled():
    """A rate limit is a 429 with Retry-After."""
    try:
        yield
    except RateLimited as exc:
        raise Throttled(wait=exc.retry_after, detail=exc.message) from exc


def _count(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"count": _("Between 1 and 4 images at a time.")}) from exc


class DraftViewSet(TenantModelViewSet):
    queryset = Draft.objects.prefetch_related("scenes", "candidates")
    serializer_class = s.DraftSerializer
    required_roles = CREATORS
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "delete"]

    def scope_queryset(self, queryset):
        return queryset.filter(owner=self.request.user)

    def create(self, request):
        kind = DraftKind.PERSONAL
        if self.tenant.kind == TenantKind.ENTERPRISE and request.data.get("kind") == "enterprise":
            kind = DraftKind.ENTERPRISE
        draft = drafts.draft_create(
            tenant=self.tenant, owner=request.user, theme=request.data.get("theme", ""), kind=kind
        )
        return Response(s.DraftSerializer(draft).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        draft = self.get_object()
        data = s.DraftUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        drafts.draft_update(draft=draft, **data.validated_data)
        return Response(s.DraftSerializer(self.get_object()).data)

    def destroy(self, request, pk=None):
        drafts.draft_delete(draft=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={201: dict})
    @action(detail=True, methods=["post"])
    def photos(self, request, pk=None):
        draft = self.get_object()
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationError({"photo": _("Send the photo as the form field 'photo'.")})
        if upload.size > drafts.PHOTO_MAX_BYTES:
            raise ValidationError(
                {
                    "photo": _("The photo is larger than %(mb)s MB.")
                    % {"mb": drafts.PHOTO_MAX_BYTES // 2**20}
                }
            )
        photo = drafts.photo_add(draft=draft, data=upload.read())
        return Response({"id": photo.pk, "width": photo.width, "height": photo.height}, status=201)

    @extend_schema(responses={202: dict})
    @action(detail=True, methods=["post"])
    def candidates(self, request, pk=None):
        job = drafts.candidates_request(
            draft=self.get_object(),
            user=request.user,
            source=request.data.get("source", ""),
            count=_count(request.data.get("count", 2)),
        )
        return Response({"job": str(job.pk)}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=s.CaptionsInputSerializer,
        responses={
            200: s.CaptionsResultSerializer,
            429: OpenApiResponse(ErrorSerializer, "Too many in a short time (Retry-After)."),
        },
    )
    @action(detail=True, methods=["post"])
    def captions(self, request, pk=None):
        """「AI帮我写文案」: the language model writes 2-4 scene captions and the greeting from
        the theme and prompt, in this request (a few seconds), where the subscriber has not
        typed their own; without a model, or when it fails, template text (`source`)."""
        draft = self.get_object()
        data = s.CaptionsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prompt = data.validated_data.get("prompt")
        if prompt is not None and prompt.strip() != draft.prompt:
            drafts.draft_update(draft=draft, prompt=prompt)
        with _throttled():
            result = captions.captions_suggest(draft=draft, user=request.user)
        body = {**result.__dict__, "draft": self.get_object()}
        return Response(s.CaptionsResultSerializer(body).data)

    @extend_schema(request=s.SceneInputSerializer, responses={201: s.SceneSerializer})
    @action(detail=True, methods=["post"])
    def scenes(self, request, pk=None):
        draft = self.get_object()
        data = s.SceneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        candidate = get_object_or_404(
            Candidate.objects.for_tenant(self.tenant).filter(draft=draft),
            pk=values.pop("candidate"),
        )
        scene = drafts.scene_add(draft=draft, candidate=candidate, **values)
        return Response(s.SceneSerializer(scene).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RenderStartSerializer, responses={202: s.RenderSerializer})
    @action(detail=True, methods=["post"])
    def render(self, request, pk=None):
        data = s.RenderStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        render = rendering.render_start(
            draft=self.get_object(), user=request.user, profile=data.validated_data["profile"]
        )
        return Response(s.RenderSerializer(render).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={201: s.RingtoneSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        draft = self.get_object()
        render = get_object_or_404(
            Render.objects.for_tenant(self.tenant).filter(draft=draft),
            pk=request.data.get("render"),
        )
        ringtone = review.ringtone_submit(
            draft=draft,
            render=render,
            user=request.user,
            in_gallery=str(request.data.get("in_gallery", "")).lower() in ("true", "1", "on"),
            request=request,
        )
        return Response(s.RingtoneSerializer(ringtone).data, status=status.HTTP_201_CREATED)


class SceneViewSet(
    TenantScopedMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Scene.objects.all()
    serializer_class = s.SceneSerializer
    required_roles = CREATORS
    http_method_names = ["get", "patch", "delete"]

    def scope_queryset(self, queryset):
        return queryset.filter(draft__owner=self.request.user)

    def partial_update(self, request, pk=None):
        scene = self.get_object()
        fields = {
            k: request.data[k] for k in ("caption", "duration_s", "transition") if k in request.data
        }
        drafts.scene_update(scene=scene, **fields)
        return Response(s.SceneSerializer(self.get_object()).data)

    def destroy(self, request, pk=None):
        drafts.scene_delete(scene=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RenderViewSet(TenantReadOnlyViewSet):
    """Poll a render's status and progress (or follow it on /ws/jobs/)."""

    queryset = Render.objects.select_related("job")
    serializer_class = s.RenderSerializer
    required_roles = CREATORS

    def scope_queryset(self, queryset):
        return queryset.filter(draft__owner=self.request.user)


class RingtoneViewSet(TenantReadOnlyViewSet):
    queryset = Ringtone.objects.select_related("render__job")
    serializer_class = s.RingtoneSerializer
    required_roles = CREATORS
    personal_data_roles = CREATORS

    def scope_queryset(self, queryset):
        return queryset.filter(owner=self.request.user)

    @extend_schema(request=s.AssignInputSerializer, responses={202: s.AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = s.AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = publishing.assignment_create(
            ringtone=self.get_object(), phone=request.user.phone or "", user=request.user,
            **data.validated_data,
        )  # fmt: skip
        return Response(s.AssignmentSerializer(assignment).data, status=status.HTTP_202_ACCEPTED)


class AssignmentViewSet(
    TenantScopedMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The ringtones this user set on numbers; DELETE takes one off (deprovisioned in a job)."""

    queryset = Assignment.objects.all()
    serializer_class = s.AssignmentSerializer
    required_roles = CREATORS

    def scope_queryset(self, queryset):
        return queryset.filter(created_by=self.request.user).exclude(state="removed")

    def destroy(self, request, pk=None):
        publishing.assignment_remove(assignment=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewViewSet(TenantReadOnlyViewSet):
    """The review queue (oldest due first) and decisions."""

    queryset = Ringtone.objects.select_related("render__job")
    serializer_class = s.RingtoneSerializer
    required_roles = REVIEWERS
    personal_data_roles = REVIEWERS

    def scope_queryset(self, queryset):
        return queryset.filter(status=RingtoneStatus.IN_REVIEW).order_by("review_due_at")

    def _decide(self, request, approve: bool):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ringtone = review.review_decide(
            ringtone=self.get_object(), reviewer=request.user, approve=approve,
            reason=data.validated_data["reason"], request=request,
        )  # fmt: skip
        return Response(s.RingtoneSerializer(ringtone).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)


class GalleryViewSet(TenantReadOnlyViewSet):
    queryset = Ringtone.objects.select_related("render__job")
    serializer_class = s.RingtoneSerializer
    required_roles = CREATORS

    def scope_queryset(self, queryset):
        return queryset.filter(Q(status=RingtoneStatus.APPROVED), in_gallery=True).order_by(
            "-like_count", "-reviewed_at"
        )

    @action(detail=True, methods=["post"])
    def like(self, request, pk=None):
        with _throttled():
            liked = publishing.like_toggle(ringtone=self.get_object(), user=request.user)
        return Response({"liked": liked})

    @extend_schema(methods=["GET"], responses=s.CommentSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=s.CommentSerializer, responses={201: s.CommentSerializer}
    )
    # The latest 100 comments: one list, not pages.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request, pk=None):
        ringtone = self.get_object()
        if request.method == "POST":
            with _throttled():
                comment = publishing.comment_add(
                    ringtone=ringtone, user=request.user, text=request.data.get("text", "")
                )
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        return Response(s.CommentSerializer(selectors.comments_of(ringtone)[:100], many=True).data)

    @extend_schema(
        request=None,
        responses={201: s.AssignmentSerializer, 200: s.AssignmentSerializer},
        description="一键设置同款: this gallery ringtone on the caller's own number, for all "
        "callers (201 when it is being set, 200 when it already was).",
    )
    @action(detail=True, methods=["post"], url_path="set")
    def set_same(self, request, pk=None):
        assignment, created = publishing.gallery_ringtone_set(
            ringtone=self.get_object(), user=request.user
        )
        return Response(
            s.AssignmentSerializer(assignment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses={201: s.DraftSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        draft = drafts.draft_copy_from_ringtone(ringtone=self.get_object(), owner=request.user)
        return Response(s.DraftSerializer(draft).data, status=status.HTTP_201_CREATED)


class EmployeeViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The enterprise's employee roster; DELETE also takes the business ringtone off the line."""

    queryset = Employee.objects.all()
    serializer_class = s.EmployeeSerializer
    required_roles = ENTERPRISE_ADMINS

    def create(self, request):
        data = s.EmployeeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = publishing.employee_add(tenant=self.tenant, **data.validated_data)
        return Response(s.EmployeeSerializer(employee).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        publishing.employee_remove(employee=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnterpriseRingtoneViewSet(TenantReadOnlyViewSet):
    """The tenant's business ringtones, and assigning one to every employee on the roster."""

    queryset = Ringtone.objects.select_related("render__job")
    serializer_class = s.RingtoneSerializer
    required_roles = ENTERPRISE_ADMINS

    def scope_queryset(self, queryset):
        return queryset.filter(kind=DraftKind.ENTERPRISE)

    @extend_schema(request=None, responses=s.EnterpriseAssignResultSerializer)
    @action(detail=True, methods=["post"], url_path="assign-all")
    def assign_all(self, request, pk=None):
        made = publishing.enterprise_assign(ringtone=self.get_object(), user=request.user)
        body = {"assigned": len(made), "assignments": made}
        return Response(s.EnterpriseAssignResultSerializer(body).data)
