from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from suite.accounts.models import ApiKeyScope
from suite.errors import SuiteError
from suite.tenancy.models import Role


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    new_password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Only for a new user."),
    )


class KeyLimitsForm(forms.Form):
    """A key's limits on model access (the OpenAI-compatible API); empty: no limit."""

    allowed_models = forms.CharField(
        label=_("Models it may use"),
        required=False,
        max_length=1000,
        help_text=_("Model names separated by commas or spaces; empty: every model."),
    )
    rpm = forms.IntegerField(label=_("Requests per minute"), min_value=0, required=False)
    tpm = forms.IntegerField(label=_("Tokens per minute"), min_value=0, required=False)
    monthly_budget = forms.DecimalField(
        label=_("Monthly budget (yuan)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Calls with this key stop when its spend this month reaches it."),
    )

    def clean_allowed_models(self) -> list[str]:
        return self.cleaned_data["allowed_models"].replace(",", " ").split()

    def limits(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ("rpm", "tpm", "monthly_budget")}


class ApiKeyForm(KeyLimitsForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiKeyScope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The key stops working at the end of this day; empty: never."),
    )
    field_order = ["name", "scopes", "expires_on", "allowed_models", "rpm", "tpm"]


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=20)


class PhoneCodeForm(PhoneForm):
    code = forms.CharField(label=_("Verification code"), max_length=6, min_length=6)


def add_service_errors(form: forms.Form, exc: ValidationError | SuiteError) -> None:
    """Show a service's error on the form: beside its field where it names one, else above."""
    if isinstance(exc, SuiteError):
        form.add_error(exc.param if exc.param in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
