from django import forms
from django.utils.translation import gettext_lazy as _

from suite.api.parsers import JSONFormField

from .capabilities import Capability, Unit
from .models import ENGINE_CHOICES, AiModel, Period, SafetyCategory, SpeechLanguage


class AiModelForm(forms.Form):
    """Shape only; the service checks engine/capability, the path and name clashes."""

    name = forms.SlugField(label=_("Name"), max_length=80, help_text=_("The model id callers use."))
    capability = forms.ChoiceField(label=_("Capability"), choices=Capability.choices)
    engine = forms.ChoiceField(label=_("Engine"), choices=ENGINE_CHOICES)
    path = forms.CharField(
        label=_("Path"),
        max_length=500,
        required=False,
        help_text=_(
            "A folder or file on the model servers; empty for the bundled default. "
            "Chat servers: the base URL."
        ),
    )
    options = JSONFormField(
        label=_("Options (JSON)"),
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Lower runs first; the others are the fallbacks, in this order."),
    )
    is_default = forms.BooleanField(label=_("Default for this capability"), required=False)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    timeout_s = forms.IntegerField(
        label=_("Timeout (seconds)"),
        min_value=1,
        required=False,
        help_text=_("Empty: the suite's default."),
    )
    dialect = forms.CharField(
        label=_("Dialect"),
        max_length=30,
        required=False,
        help_text=_("Speech models: the dialect this model serves."),
    )

    @classmethod
    def for_instance(cls, model: AiModel, data=None) -> "AiModelForm":
        initial = {name: getattr(model, name) for name in cls.base_fields}
        return cls(data, initial=initial)


QUOTA_CAPABILITY_CHOICES = [("", _("All capabilities")), *Capability.choices]


class QuotaForm(forms.Form):
    capability = forms.ChoiceField(
        label=_("Capability"), choices=QUOTA_CAPABILITY_CHOICES, required=False
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices)
    limit = forms.IntegerField(label=_("Limit"), min_value=0)


class SafetyTermForm(forms.Form):
    term = forms.CharField(label=_("Term"), max_length=100)
    category = forms.ChoiceField(
        label=_("Category"), choices=SafetyCategory.choices, initial=SafetyCategory.OTHER
    )


class UsageFilterForm(forms.Form):
    capability = forms.ChoiceField(
        label=_("Capability"), choices=QUOTA_CAPABILITY_CHOICES, required=False
    )
    model = forms.ChoiceField(label=_("Model"), required=False)

    def __init__(self, *args, model_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All models"))] + [(m, m) for m in model_names]


class VoiceDefaultsForm(forms.Form):
    """One select per language: the tenant's own choice, or empty to inherit."""

    def __init__(self, *args, options: dict, inherited: dict, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for language, label in SpeechLanguage.choices:
            choices = [("", _("Inherit: %(voice)s") % {"voice": inherited[language]})]
            choices += [(f"{m}|{v}", f"{text} · {m}") for m, v, text in options[language]]
            self.fields[language] = forms.ChoiceField(
                label=label, choices=choices, required=False, initial=current.get(language, "")
            )

    def choices_made(self) -> dict[str, tuple[str, str]]:
        """{language: (model, voice)}; ("", "") to inherit."""
        chosen = {}
        for language in SpeechLanguage.values:
            model, _sep, voice = (self.cleaned_data.get(language) or "").partition("|")
            chosen[language] = (model, voice)
        return chosen
