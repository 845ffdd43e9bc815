from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .catalog import ORIENTATIONS, PROFILE_LABELS, TRANSITIONS, music_choices, style_choices
from .models import CallerGroup


class DraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=60)
    prompt = forms.CharField(
        label=_("Describe the picture"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    style = forms.ChoiceField(
        label=_("Style"), choices=[("", _("No style")), *style_choices()], required=False
    )
    caption = forms.CharField(
        label=_("Caption"), required=False, help_text=_("At most 40 characters.")
    )
    music = forms.ChoiceField(label=_("Music"), choices=music_choices, required=False)
    music_volume = forms.IntegerField(label=_("Music volume (%)"), min_value=0, max_value=100)
    voice_text = forms.CharField(
        label=_("Voice greeting (optional)"),
        required=False,
        help_text=_("Spoken at the start; at most 60 characters."),
    )
    orientation = forms.ChoiceField(
        label=pgettext_lazy("orientation", "Format"), choices=list(ORIENTATIONS.items())
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"), help_text=_("JPEG, PNG, WebP or BMP; up to 6 photos.")
    )


class SceneForm(forms.Form):
    caption = forms.CharField(label=_("Caption"), required=False)
    duration_s = forms.CharField(label=_("Seconds"))
    transition = forms.ChoiceField(label=_("Transition"), choices=list(TRANSITIONS.items()))


class RenderForm(forms.Form):
    profile = forms.ChoiceField(
        label=_("Quality"), choices=list(PROFILE_LABELS.items()), initial="standard"
    )


class AssignForm(forms.Form):
    caller_group = forms.ChoiceField(label=_("Who hears it"), choices=CallerGroup.choices)
    start_time = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=pgettext_lazy("gallery", "Comment"), max_length=400)


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=300, help_text=_("Required when rejecting.")
    )


class EmployeeForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile number"), max_length=20)


class LimitsForm(forms.Form):
    min_duration_s = forms.IntegerField(label=_("Shortest ringtone (s)"), min_value=1)
    max_duration_s = forms.IntegerField(label=_("Longest ringtone (s)"), min_value=1)
    review_sla_hours = forms.IntegerField(label=_("Review SLA (hours)"), min_value=1)


class ThemeForm(forms.Form):
    key = forms.CharField(
        label=pgettext_lazy("theme key", "Key"),
        max_length=30,
        help_text=_("For example: mid-autumn"),
    )
    label = forms.CharField(label=_("Name"), max_length=40)
    prompt = forms.CharField(label=_("Describe the picture"), max_length=400)
    caption = forms.CharField(label=_("Caption"), required=False, max_length=80)
    style = forms.ChoiceField(
        label=_("Style"), choices=[("", _("No style")), *style_choices()], required=False
    )
    music = forms.ChoiceField(label=_("Music"), choices=music_choices, required=False)
