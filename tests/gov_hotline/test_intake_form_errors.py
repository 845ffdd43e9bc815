"""The agent's intake form answers a bad or empty submission on the same page: each error beside
the field it is about, what the agent entered or chose still there, nothing saved (issue 16)."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gov_hotline.models import RecordingIntake, WorkOrder
from suite.jobs.models import Job

from .conftest import new_order

TEXT = "你好，我住在天河区体育西路100号，楼下烧烤店天天吵到凌晨两点，希望有关部门处理。"


def login(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def field_block(html: str, name: str) -> str:
    """The `.field` block of the portal form that holds the input named `name`."""
    for block in re.split(r'(?=<div class="field)', html):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name}")


def test_an_empty_submission_shows_the_error_in_the_form(hl_a, agent_a):
    page = login(agent_a).post("/gov-hotline/intake/", {"step": "draft", "text": "  "})
    assert page.status_code == 200
    html = page.content.decode()
    form = html.split('id="gh-intake-form"', 1)[1].split("</form>", 1)[0]
    assert "Type what the citizen says or upload a recording." in form
    assert not WorkOrder.objects.exists() and not Job.objects.exists()


def test_a_bad_recording_is_refused_beside_its_field_and_the_text_is_kept(hl_a, agent_a):
    upload = SimpleUploadedFile("call.txt", b"hello", content_type="text/plain")
    page = login(agent_a).post(
        "/gov-hotline/intake/", {"step": "draft", "text": TEXT, "recording": upload}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Upload a recording as" in field_block(html, "recording")
    assert "has-error" in field_block(html, "recording")
    assert TEXT in field_block(html, "text")  # what the agent typed is still there
    assert not RecordingIntake.objects.exists() and not Job.objects.exists()


def test_text_without_words_is_refused_beside_the_text(hl_a, agent_a):
    page = login(agent_a).post("/gov-hotline/intake/", {"step": "draft", "text": "？？？!!!"})
    block = field_block(page.content.decode(), "text")
    assert "no words to work with" in block and "？？？!!!" in block


def test_a_failed_save_keeps_the_draft_the_recording_and_the_merge_choice(hl_a, agent_a):
    earlier = new_order(hl_a, text=TEXT)
    client = login(agent_a)
    drafted = client.post("/gov-hotline/intake/", {"step": "draft", "text": TEXT})
    assert earlier in [order for order, _score in drafted.context["duplicates"]]
    recorded = RecordingIntake.objects.create(tenant=hl_a, text=TEXT)
    form = {
        **{k: v for k, v in drafted.context["confirm"].initial.items() if v is not None},
        "step": "save",
        "intake": str(recorded.pk),
        "merge_into": str(earlier.pk),
        "request_type": "投诉",
        "subcategory": "生态环境/噪音污染",
        "address": "体育西路100号2栋",  # the agent's correction
        "summary": "   ",  # left empty
        "urgency": "normal",
    }
    page = client.post("/gov-hotline/intake/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "has-error" in field_block(html, "summary")
    assert "has-error" not in field_block(html, "address")
    assert 'value="体育西路100号2栋"' in field_block(html, "address")
    assert f'name="intake" value="{recorded.pk}"' in html  # still the recording's order
    assert f'name="merge_into" value="{earlier.pk}" checked' in html
    assert 'name="merge_into" value="" checked' not in html
    assert TEXT in html.split('id="gh-text">', 1)[1]
    assert WorkOrder.objects.count() == 1  # nothing saved
    recorded.refresh_from_db()
    assert recorded.order_id is None

    # Corrected, it saves as the agent chose: merged, from the recording.
    saved = client.post("/gov-hotline/intake/", {**form, "summary": "烧烤店夜间噪音扰民"})
    assert saved.status_code == 302
    recorded.refresh_from_db()
    assert recorded.order.merged_into_id == earlier.pk


def test_a_service_error_is_shown_beside_its_field(hl_a, agent_a, monkeypatch):
    from django.core.exceptions import ValidationError

    from gov_hotline import services

    def refuse(**kwargs):
        raise ValidationError({"district": "That district is closed."})

    monkeypatch.setattr(services, "intake_confirm", refuse)
    page = login(agent_a).post(
        "/gov-hotline/intake/",
        {
            "step": "save",
            "text": TEXT,
            "request_type": "投诉",
            "subcategory": "生态环境/噪音污染",
            "district": "天河区",
            "summary": "烧烤店夜间噪音扰民",
            "urgency": "normal",
        },
    )
    assert page.status_code == 200
    assert "That district is closed." in field_block(page.content.decode(), "district")


def test_a_save_without_the_citizens_text_says_so_in_the_form(hl_a, agent_a):
    page = login(agent_a).post(
        "/gov-hotline/intake/",
        {"step": "save", "request_type": "投诉", "summary": "噪音扰民", "urgency": "normal"},
    )
    assert page.status_code == 200
    form = page.content.decode().split('id="gh-confirm-form"', 1)[1].split("</form>", 1)[0]
    assert "The citizen&#x27;s text is missing" in form
    assert 'value="噪音扰民"' in field_block(form, "summary")
    assert not WorkOrder.objects.exists()


def test_a_draft_without_a_request_type_leaves_it_for_the_agent(hl_a, agent_a):
    client = login(agent_a)
    drafted = client.post("/gov-hotline/intake/", {"step": "draft", "text": TEXT})
    assert drafted.context["draft"]["request_type"] == ""  # no classifier trained yet
    block = field_block(drafted.content.decode(), "request_type")
    assert '<option value="" selected>' in block  # not 咨询 as if someone had chosen it
    form = {
        **{k: v for k, v in drafted.context["confirm"].initial.items() if v is not None},
        "step": "save",
        "subcategory": "生态环境/噪音污染",
        "urgency": "normal",
    }
    page = client.post("/gov-hotline/intake/", form)
    assert "has-error" in field_block(page.content.decode(), "request_type")
    assert not WorkOrder.objects.exists()
    saved = client.post("/gov-hotline/intake/", {**form, "request_type": "投诉"})
    assert saved.status_code == 302 and WorkOrder.objects.get().request_type == "投诉"
