from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from suite.api.parsers import JSONFormField

from . import pricing
from .capabilities import Capability, PriceUnit, Unit
from .models import ENGINE_CHOICES, AiModel, Period, PricePer, Quota, SafetyCategory, SpeechLanguage


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
    limit = forms.DecimalField(
        label=_("Limit"),
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text=_("A whole number of the unit; in yuan for a spend budget."),
    )

    @staticmethod
    def initial_for(quota: Quota) -> dict:
        limit = quota.limit
        yuan = pricing.yuan(limit).quantize(Decimal("0.01"))
        shown = yuan if quota.unit == Unit.SPEND else limit
        return {"capability": quota.capability, "unit": quota.unit, "period": quota.period,
                "limit": shown}  # fmt: skip

    def clean(self) -> dict:
        """The limit as the quota stores it: micro-yuan for spend, else a whole number."""
        # Form.clean returns cleaned_data; the stubs allow None for overrides that return nothing.
        data = cast(dict[str, Any], super().clean())
        limit, unit = data.get("limit"), data.get("unit")
        if limit is None or unit is None:
            return data
        if unit == Unit.SPEND:
            data["limit"] = pricing.micro_yuan(limit)
        elif limit != limit.to_integral_value():
            self.add_error("limit", _("This unit is counted in whole numbers."))
        else:
            data["limit"] = int(limit)
        return data


class AliasForm(forms.Form):
    capability = forms.ChoiceField(
        label=_("Capability"), choices=Capability.choices, initial=Capability.CHAT
    )
    alias = forms.CharField(
        label=_("Alias"), max_length=80, help_text=_("The name clients send, e.g. gpt-4o-mini.")
    )
    target = forms.ChoiceField(label=_("Model"), help_text=_("The model of this tenant it means."))

    def __init__(self, *args, models: dict[str, list[str]], **kwargs):
        """`models`: the tenant's model names by capability label, shown grouped."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            (label, [(name, name) for name in names]) for label, names in models.items()
        ]


class PriceForm(forms.Form):
    capability = forms.ChoiceField(label=_("Capability"), choices=Capability.choices)
    model = forms.SlugField(
        label=_("Model"),
        max_length=80,
        required=False,
        help_text=_("Empty: every model of the capability."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=PriceUnit.choices)
    yuan = forms.DecimalField(label=_("Price (yuan)"), min_value=0, max_digits=14, decimal_places=6)
    per = forms.TypedChoiceField(
        label=_("Per"), choices=PricePer.choices, coerce=int, initial=PricePer.THOUSAND
    )


class StatementForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    tenant = forms.TypedChoiceField(label=_("Tenant"), coerce=int)

    def __init__(self, *args, tenants: list, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tenant"]).choices = [(t.pk, t.name) for t in tenants]


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
        field = cast(forms.ChoiceField, self.fields["model"])
        field.choices = [("", _("All models"))] + [(m, m) for m in model_names]


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
