import mimetypes
from typing import cast

from django.urls import reverse
from rest_framework import serializers

from suite.api.masking import MaskPersonalData
from suite.privacy import mask_text

from ..models import Assignment, Channel, RequestType, Urgency, WorkOrder


class DraftRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class OrderFieldsSerializer(serializers.Serializer):
    """An order's fields as a submitter may give them; each left out comes from the draft."""

    request_type = serializers.ChoiceField(choices=RequestType.choices, required=False)
    category = serializers.CharField(required=False, allow_blank=True, default="")
    subcategory = serializers.CharField(required=False, allow_blank=True, default="")
    district = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=60
    )


class OrderCreateSerializer(OrderFieldsSerializer):
    text = serializers.CharField(allow_blank=True)
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.MOBILE, Channel.PHONE], default=Channel.WEB
    )
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20
    )


class OrderSerializer(MaskPersonalData, serializers.ModelSerializer):
    """Lists (and answers to actions) mask the caller's name, number and address and numbers
    in the summary; one order's detail shows them to the hotline's staff."""

    category = serializers.CharField(source="category.name", default="")
    subcategory = serializers.CharField(source="subcategory.name", default="")
    district = serializers.CharField(source="district.name", default="")

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "channel",
            "status",
            "request_type",
            "category",
            "subcategory",
            "district",
            "address",
            "summary",
            "urgency",
            "contact_name",
            "contact_phone",
            "emergency_line",
            "due_at",
            "created_at",
            "closed_at",
        ]
        mask_text = ["summary"]
        mask_phone = ["contact_phone"]
        mask_address = ["address"]
        mask_name = ["contact_name"]


class DispatchSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    co = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class MergeSerializer(serializers.Serializer):
    duplicates = serializers.ListField(child=serializers.IntegerField(), min_length=1)


class VisitSerializer(serializers.Serializer):
    satisfaction = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ObjectionSerializer(serializers.Serializer):
    objection = serializers.CharField(max_length=2000)


class ExtensionAskSerializer(serializers.Serializer):
    working_days = serializers.IntegerField(min_value=1, max_value=30)
    reason = serializers.CharField(max_length=2000)


class ReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=5000)


class DecideSerializer(serializers.Serializer):
    # A choice, not a boolean: a form post without the field must not read as "reject".
    decision = serializers.ChoiceField(choices=["approve", "reject"])


def evidence_name(assignment: Assignment) -> str:
    # Only called for an assignment with evidence, whose file always has a name.
    return cast(str, assignment.evidence.name).rsplit("/", 1)[-1]


def evidence_content_type(assignment: Assignment) -> str:
    # The suffix was checked against the content when the file was accepted.
    return mimetypes.guess_type(evidence_name(assignment))[0] or "application/octet-stream"


class AssignmentSerializer(MaskPersonalData, serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    department = serializers.CharField(source="department.name", read_only=True)
    evidence = serializers.SerializerMethodField(
        help_text="File name of the attached evidence (download it from "
        "assignments/<id>/evidence/), or null."
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "order",
            "order_number",
            "department",
            "role",
            "status",
            "reason",
            "objection",
            "reply",
            "evidence",
            "created_at",
            "accepted_at",
            "replied_at",
        ]
        read_only_fields = fields
        mask_text = ["reason", "objection", "reply"]

    def get_evidence(self, assignment: Assignment) -> str | None:
        return evidence_name(assignment) if assignment.evidence else None


class EvidenceUploadSerializer(serializers.Serializer):
    evidence = serializers.FileField(
        help_text="A JPEG, PNG or PDF file of at most 10 MB (images up to the suite's pixel "
        "limit), sent as multipart/form-data."
    )


class EvidenceSerializer(serializers.Serializer):
    """One evidence file of an order: the department that attached it and where to fetch it."""

    assignment = serializers.IntegerField(source="pk")
    department = serializers.CharField(source="department.name")
    role = serializers.CharField()
    status = serializers.CharField()
    name = serializers.SerializerMethodField()
    content_type = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_name(self, assignment: Assignment) -> str:
        return evidence_name(assignment)

    def get_content_type(self, assignment: Assignment) -> str:
        return evidence_content_type(assignment)

    def get_url(self, assignment: Assignment) -> str:
        path = reverse(
            "api:gh-order-evidence-file",
            kwargs={"pk": assignment.order_id, "assignment_id": assignment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ExtensionSerializer(MaskPersonalData, serializers.ModelSerializer):
    class Meta:
        from ..models import ExtensionRequest

        model = ExtensionRequest
        fields = ["id", "assignment", "working_days", "reason", "status", "created_at"]
        read_only_fields = fields
        mask_text = ["reason"]


class DepartmentSerializer(serializers.ModelSerializer):
    """A department orders are dispatched to (`lead` and `co` of a dispatch take its id)."""

    class Meta:
        from ..models import Department

        model = Department
        fields = ["id", "code", "name", "is_active"]
        read_only_fields = fields


class IntakeUploadSerializer(serializers.Serializer):
    recording = serializers.FileField(
        help_text="A call recording (wav, mp3, m4a, ogg, opus, flac, amr, webm or aac; at most "
        "20 MB and 15 minutes). It is checked before anything else reads it."
    )


class IntakeSerializer(MaskPersonalData, serializers.ModelSerializer):
    """A recording on its way to a draft: its job's state, then the transcript and the draft.
    Personal data is masked except for the hotline's agents (who confirm it)."""

    status = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    transcript = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField()
    order = serializers.CharField(source="order.number", default=None, read_only=True)

    class Meta:
        from ..models import RecordingIntake

        model = RecordingIntake
        fields = ["id", "status", "progress", "error", "job", "text", "transcript", "draft"]
        fields += ["order", "created_at"]
        read_only_fields = fields
        mask_text = ["text"]

    def get_status(self, intake) -> str:
        # A live call's intake has no job: its draft was written while the call went on.
        return intake.job.status if intake.job is not None else "succeeded"

    def get_progress(self, intake) -> int:
        return intake.job.progress if intake.job is not None else 100

    def get_error(self, intake) -> str:
        return intake.job.error if intake.job is not None else ""

    def get_transcript(self, intake) -> list:
        return _masked_json(intake.transcript, self.context.get("masked", True))

    def get_draft(self, intake) -> dict:
        return _masked_json(intake.draft, self.context.get("masked", True))


def _masked_json(value, masked: bool):
    """The transcript's and the draft's words with phone and ID numbers masked (every string
    in them), unless the reader may see personal data."""
    if not masked:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_masked_json(v, masked) for v in value]
    if isinstance(value, dict):
        return {k: _masked_json(v, masked) for k, v in value.items()}
    return value
