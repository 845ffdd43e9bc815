from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import RuleKind, Severity, SourceKind
from .pipeline import OPTIONAL_STAGES

STAGE_LABELS = {
    "motion": _("Motion (MOG2)"),
    "people": _("People detection"),
    "faces": _("Face blurring (always on)"),
    "ocr": _("On-screen text (OCR) on events"),
    "tampering": _("Tampering checks"),
    "scene": _("Scene tags"),
}


class CameraForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    source_kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    stream_url = forms.CharField(
        label=_("Stream URL"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "rtsp://user:password@host/stream — stored encrypted, never shown again. "
            "Leave empty to keep the current one."
        ),
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)
    group = forms.CharField(label=_("Group"), max_length=80, required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    sample_fps = forms.FloatField(
        label=_("Frames analysed per second"), initial=5, min_value=0.2, max_value=30
    )
    stages = forms.MultipleChoiceField(
        label=_("Pipeline stages"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(s, STAGE_LABELS[s]) for s in OPTIONAL_STAGES if s != "faces"],
        initial=["motion", "people", "tampering", "scene"],
    )

    people_model = forms.ChoiceField(label=_("People detector"), required=False)

    def __init__(self, *args, people_models=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people_model"].choices = [("", _("Default (HOG people)"))] + [
            (name, name) for name in people_models
        ]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = [t.strip() for t in data["tags"].replace("，", ",").split(",") if t.strip()]
        if not data["stream_url"]:
            data.pop("stream_url")
        return data


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Rule"), choices=RuleKind.choices)
    zone = forms.TypedChoiceField(label=_("Zone"), required=False, coerce=int, empty_value=None)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    target = forms.ChoiceField(
        label=_("Who"), choices=[("person", _("People")), ("any", _("Anything that moves"))]
    )
    direction = forms.ChoiceField(
        label=_("Direction (lines)"),
        required=False,
        choices=[
            ("any", _("Either way")),
            ("forward", _("Forward (to the right of the line)")),
            ("backward", _("Backward")),
        ],
    )
    dwell_s = forms.IntegerField(
        label=_("Dwell time, seconds (loitering)"), required=False, min_value=1
    )
    threshold = forms.IntegerField(
        label=_("People threshold (crowding)"), required=False, min_value=1
    )
    days = forms.MultipleChoiceField(
        label=pgettext_lazy("weekdays", "Days"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (str(i), n)
            for i, n in enumerate(
                [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
            )
        ],
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    # the params this form edits; others (cooldown_s, set through the API) are kept on edit
    PARAMS = ("target", "direction", "dwell_s", "threshold")

    def __init__(self, data=None, *args, zones=(), rule=None, **kwargs):
        if rule is not None and data is None:
            kwargs.setdefault("initial", self.initial_for(rule))
        super().__init__(data, *args, **kwargs)
        self.rule = rule
        self.fields["zone"].choices = [("", _("Whole frame"))] + [(z.pk, z.name) for z in zones]
        if rule is None:  # a new rule is enabled; an unticked box must not create it disabled
            del self.fields["enabled"]

    @staticmethod
    def initial_for(rule) -> dict:
        """The form's fields from a saved rule, for editing it."""
        params, schedule = rule.params or {}, rule.schedule or {}
        return {
            "name": rule.name,
            "kind": rule.kind,
            "zone": rule.zone_id or "",
            "severity": rule.severity,
            "target": params.get("target", "person"),
            "direction": params.get("direction", "any"),
            "dwell_s": params.get("dwell_s"),
            "threshold": params.get("threshold"),
            "days": [str(d) for d in schedule.get("days", [])],
            "start": schedule.get("start"),
            "end": schedule.get("end"),
            "enabled": rule.enabled,
        }

    def values(self) -> dict:
        d = self.cleaned_data
        kept = self.rule.params if self.rule is not None else {}
        params = {k: v for k, v in kept.items() if k not in self.PARAMS}
        params["target"] = d["target"]
        if d.get("direction"):
            params["direction"] = d["direction"]
        for key in ("dwell_s", "threshold"):
            if d.get(key):
                params[key] = d[key]
        schedule = {}
        if d.get("days"):
            schedule["days"] = [int(x) for x in d["days"]]
        if d.get("start") and d.get("end"):
            schedule["start"], schedule["end"] = (
                d["start"].strftime("%H:%M"),
                d["end"].strftime("%H:%M"),
            )
        return {
            "name": d["name"],
            "kind": d["kind"],
            "severity": d["severity"],
            "params": params,
            "schedule": schedule,
            "enabled": d.get("enabled", True),
        }


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Video clip"), help_text=_("MP4, MOV, AVI, MKV or WebM; H.264, MPEG-4 or MJPEG.")
    )
    sample_fps = forms.FloatField(
        label=_("Frames analysed per second"), required=False, min_value=0.2, max_value=30
    )


class RetentionForm(forms.Form):
    event_days = forms.IntegerField(label=_("Keep events (days)"), min_value=1, max_value=3650)
    media_days = forms.IntegerField(
        label=_("Keep snapshots and clips (days)"), min_value=0, max_value=3650
    )
    keyframe_only = forms.BooleanField(label=_("Store keyframes only (no clips)"), required=False)


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    min_severity = forms.ChoiceField(
        label=_("Lowest severity sent"), choices=Severity.choices, initial=Severity.MEDIUM
    )
