from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .extraction import MAX_TEXT
from .models import HandlingRole, RequestType, Satisfaction, Urgency
from .reports import FORMATS, PERIOD_LABELS
from .taxonomy import EMERGENCY_LINES, district_choices


class IntakeForm(forms.Form):
    text = forms.CharField(
        label=_("What the citizen says"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
    )
    recording = forms.FileField(
        label=_("Or upload a call recording"),
        required=False,
        help_text=_("wav, mp3, m4a, ogg, flac, amr; at most 20 MB and 15 minutes."),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("recording"):
            raise forms.ValidationError(_("Type what the citizen says or upload a recording."))
        return data


class ConfirmForm(forms.Form):
    text = forms.CharField(widget=forms.HiddenInput, max_length=MAX_TEXT)
    transcript = forms.CharField(widget=forms.HiddenInput, required=False)
    draft = forms.CharField(widget=forms.HiddenInput, required=False)
    # "—" first: a draft without a type (no classifier yet) must not look like 咨询 was chosen.
    request_type = forms.ChoiceField(
        label=_("Request type"), choices=[("", "—"), *RequestType.choices]
    )
    subcategory = forms.ChoiceField(label=_("Category"))
    district = forms.ChoiceField(label=_("District"), required=False)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    summary = forms.CharField(label=_("Demand (one line)"), max_length=200)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=60)
    emergency_line = forms.ChoiceField(
        label=_("Transfer to emergency line"),
        required=False,
        choices=[("", _("No transfer"))] + [(k, k) for k in EMERGENCY_LINES],
    )
    direct_answer = forms.CharField(
        label=_("Answered on the call (直办)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Filled in: the order is closed as answered directly."),
    )

    def __init__(self, *args, taxonomy=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcategory"].choices = [("", "—")] + [
            (top.name, [(f"{top.name}/{c.name}", c.name) for c in children])
            for top, children in taxonomy
        ]
        self.fields["district"].choices = [("", "—"), *district_choices(districts)]


class DispatchForm(forms.Form):
    lead = forms.ChoiceField(label=_("Lead department (主办)"))
    co = forms.MultipleChoiceField(
        label=_("Co-handling departments (协办)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(d.pk), d.name) for d in departments]
        self.fields["lead"].choices = choices
        self.fields["co"].choices = choices


class VisitForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    comment = forms.CharField(
        label=pgettext_lazy("visit", "Comment"), required=False, max_length=500
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.FileField(label=_("Evidence (photo or document)"), required=False)


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=list(PERIOD_LABELS.items()))
    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in FORMATS])


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    question = forms.CharField(label=_("Typical question"), required=False, max_length=300)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}))
    source = forms.CharField(label=_("Source (policy document)"), required=False, max_length=300)


class DistrictForm(forms.Form):
    name = forms.CharField(label=_("New district"), max_length=40)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("New category"), max_length=40)
    parent = forms.ChoiceField(label=_("Under"), required=False)

    def __init__(self, *args, tops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("(top level)"))] + [
            (str(t.pk), t.name) for t in tops
        ]


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=60)
    is_workday = forms.BooleanField(label=_("Swapped workday (调休上班)"), required=False)


class SlaForm(forms.Form):
    request_type = forms.ChoiceField(label=_("Request type"), choices=RequestType.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    working_days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=60)


class DispatchRuleForm(forms.Form):
    subcategory = forms.ChoiceField(label=_("Category"))
    district = forms.ChoiceField(label=_("District"), required=False)
    department = forms.ChoiceField(label=_("Department"))
    role = forms.ChoiceField(label=_("Role"), choices=HandlingRole.choices)

    def __init__(self, *args, taxonomy=(), districts=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcategory"].choices = [
            (top.name, [(str(c.pk), c.name) for c in children]) for top, children in taxonomy
        ]
        self.fields["district"].choices = [
            ("", _("Whole city")),
            *district_choices(districts, key=lambda d: str(d.pk), label=lambda d: d.name),
        ]
        self.fields["department"].choices = [(str(d.pk), d.name) for d in departments]
