from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suite.api.masking import MaskPersonalData
from suite.privacy import mask_phone

from ..catalog import PROFILES
from ..models import (
    Assignment,
    CallerGroup,
    Candidate,
    Comment,
    Draft,
    Employee,
    Render,
    Ringtone,
    Scene,
)
from ..selectors import renditions as ringtone_renditions


class CandidateSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = ["id", "source", "style", "engine", "generative", "fallback", "content_id", "url"]

    def get_url(self, obj) -> str:
        return reverse("video_ringtone:candidate_file", args=[obj.pk])


class SceneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scene
        fields = [
            "id", "candidate", "caption", "caption_origin", "caption_model", "duration_s",
            "transition", "position",
        ]  # fmt: skip
        # caption_origin: "" typed by the subscriber, "template", or "model" (caption_model
        # names it): what the UI labels "AI生成 · <model>".
        read_only_fields = ["id", "candidate", "caption_origin", "caption_model", "position"]


class CaptionSuggestionSerializer(serializers.Serializer):
    caption = serializers.CharField()
    origin = serializers.CharField(help_text='"model" or "template".')
    model = serializers.CharField(allow_blank=True)


class DraftSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)  # "personal" or "enterprise"
    scenes = SceneSerializer(many=True, read_only=True)
    candidates = CandidateSerializer(many=True, read_only=True)
    # Captions written for scenes not added yet; a scene added without a caption takes its own.
    caption_suggestions = serializers.SerializerMethodField()

    class Meta:
        model = Draft
        fields = [
            "id", "kind", "title", "theme", "prompt", "style", "caption", "music", "music_volume",
            "voice_text", "voice_text_origin", "voice_text_model", "caption_suggestions",
            "orientation", "copied_from", "scenes", "candidates", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "kind", "voice_text_origin", "voice_text_model", "copied_from", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(CaptionSuggestionSerializer(many=True))
    def get_caption_suggestions(self, obj) -> list[dict]:
        return [s for s in obj.caption_suggestions or [] if isinstance(s, dict)]


class CaptionsInputSerializer(serializers.Serializer):
    prompt = serializers.CharField(
        required=False, allow_blank=True, help_text="Saved as the draft's prompt first, when given."
    )


class CaptionsResultSerializer(serializers.Serializer):
    # DRF's metaclass takes declared fields out of the class, so a field may be named like a
    # Field attribute (`source`, `style`); only the stubs see a clash.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["model", "template"],
        help_text="Who wrote the text: the language model, or the theme's template text.",
    )
    model = serializers.CharField(allow_blank=True, help_text="The model that wrote it.")
    reason = serializers.CharField(
        allow_blank=True,
        help_text="Why the template answered: no_model, model_failed, invalid, blocked.",
    )
    captions = serializers.ListField(child=serializers.CharField())
    greeting = serializers.CharField(allow_blank=True)
    filled_scenes = serializers.ListField(child=serializers.IntegerField())
    kept_scenes = serializers.ListField(
        child=serializers.IntegerField(), help_text="Scenes whose caption the subscriber typed."
    )
    template_scenes = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Scenes filled now with the theme's template text (the model wrote fewer "
        "distinct lines than there are scenes, or could not write).",
    )
    greeting_filled = serializers.BooleanField()
    greeting_kept = serializers.BooleanField()
    message = serializers.CharField()
    draft = DraftSerializer()


class DraftUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    prompt = serializers.CharField(required=False, allow_blank=True)
    style = serializers.CharField(required=False, allow_blank=True)  # type: ignore[assignment]
    caption = serializers.CharField(required=False, allow_blank=True)
    music = serializers.CharField(required=False, allow_blank=True)
    music_volume = serializers.IntegerField(required=False)
    voice_text = serializers.CharField(required=False, allow_blank=True)
    orientation = serializers.CharField(required=False)


class SceneInputSerializer(serializers.Serializer):
    candidate = serializers.IntegerField()
    caption = serializers.CharField(required=False, allow_blank=True, default="")
    duration_s = serializers.CharField(required=False, default="4")
    transition = serializers.CharField(required=False, default="fade")


class RenderSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Render
        fields = [
            "id", "draft", "status", "progress", "width", "height", "duration_s", "provider",
            "content_id", "error", "video_url", "poster_url", "created_at",
        ]  # fmt: skip

    def get_progress(self, obj) -> int:
        return obj.job.progress if obj.job else 0

    def get_video_url(self, obj) -> str:
        return reverse("video_ringtone:render_file", args=[obj.pk, "video"]) if obj.video else ""

    def get_poster_url(self, obj) -> str:
        return reverse("video_ringtone:render_file", args=[obj.pk, "poster"]) if obj.poster else ""


class RenderStartSerializer(serializers.Serializer):
    profile = serializers.ChoiceField(choices=list(PROFILES), default="standard")


class RingtoneSerializer(MaskPersonalData, serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)  # "personal" or "enterprise"
    render = RenderSerializer(read_only=True)
    renditions = serializers.SerializerMethodField()

    class Meta:
        model = Ringtone
        fields = [
            "id", "title", "kind", "status", "checks", "reason", "submitted_at", "review_due_at",
            "reviewed_at", "like_count", "render", "renditions",
        ]  # fmt: skip
        mask_text = ["reason"]

    def get_renditions(self, obj) -> dict[str, str]:
        """Device profile (low/standard/high) -> video URL, for the finished renditions."""
        return {
            profile: reverse("video_ringtone:render_file", args=[r.pk, "video"])
            for profile, r in ringtone_renditions(obj).items()
        }


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assignment
        fields = [
            "id", "ringtone", "phone", "start_time", "end_time", "caller_group", "state",
            "platform_ref", "last_error", "created_at",
        ]  # fmt: skip


class AssignInputSerializer(serializers.Serializer):
    caller_group = serializers.ChoiceField(choices=CallerGroup.choices, default=CallerGroup.ALL)
    start_time = serializers.TimeField(required=False, allow_null=True, default=None)
    end_time = serializers.TimeField(required=False, allow_null=True, default=None)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CommentSerializer(MaskPersonalData, serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text", "created_at"]
        # Comments are public in the gallery: a number written into one stays masked.
        mask_text = ["text"]
        read_only_fields = ["id", "created_at"]


class EmployeeSerializer(serializers.ModelSerializer):
    """The roster: the number is written in full and listed masked, as on the portal page."""

    class Meta:
        model = Employee
        fields = ["id", "name", "phone"]
        read_only_fields = ["id"]

    def to_representation(self, instance) -> dict:
        return {**super().to_representation(instance), "phone": mask_phone(instance.phone)}


class EnterpriseAssignmentSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "phone", "caller_group", "state", "created_at"]

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)


class EnterpriseAssignResultSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()
    assignments = EnterpriseAssignmentSerializer(many=True)
