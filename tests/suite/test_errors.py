"""One error family: the model layer's errors are suite errors, translated once for the REST API
and once for portal forms."""

import pytest
from django import forms

from suite.ai import errors as ai_errors
from suite.api.errors import exception_handler
from suite.errors import InvalidInput, SuiteError
from suite.portal.forms import add_service_errors


def test_a_model_layer_input_error_is_caught_as_either_kind():
    with pytest.raises(InvalidInput):
        raise ai_errors.InvalidInput("坏的音频", param="file")
    with pytest.raises(ai_errors.AiError):
        raise ai_errors.InvalidInput("坏的音频", param="file")
    assert ai_errors.RequestTooLarge("太大").status == 413
    assert issubclass(ai_errors.QuotaExceeded, SuiteError)


def test_the_api_answers_any_suite_error_with_its_status_code_and_field():
    response = exception_handler(InvalidInput("纬度必须在 -90 到 90 之间", param="latitude"), {})
    assert response.status_code == 400
    error = response.data["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"] == {"latitude": ["纬度必须在 -90 到 90 之间"]}

    busy = exception_handler(ai_errors.QuotaExceeded("今日额度已用完", retry_after=60), {})
    assert busy.status_code == 429 and busy["Retry-After"] == "60"


class _CameraForm(forms.Form):
    name = forms.CharField()
    latitude = forms.FloatField()


def test_a_portal_form_shows_the_error_beside_the_field_it_names():
    form = _CameraForm({"name": "东门", "latitude": "95"})
    assert form.is_valid()
    add_service_errors(form, InvalidInput("纬度超出范围", param="latitude"))
    add_service_errors(form, InvalidInput("摄像头已停用", param="status"))  # no such field
    assert form.errors["latitude"] == ["纬度超出范围"]
    assert form.non_field_errors() == ["摄像头已停用"]
