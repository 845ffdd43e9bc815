"""The draft's request type when the language model and the classifier disagree: the model's
answer is weighed against the classifier's probabilities (gov_hotline.type_merge), so a
confident classifier is kept against the model's habitual 投诉, an unsure one yields to the
model, and the draft says whose answer it shows."""

import json
import re

import pytest

from gov_hotline.drafting import draft_build
from gov_hotline.type_merge import request_type_merge
from suite.ai import gateway

from .test_draft_fields import sz_centre, sz_trained  # noqa: F401  (fixtures)

# The subset classifier (conftest.SUBSET) is sure of this one (咨询 0.87) ...
CONSULT = "想咨询一下福田区居住证怎么办理，需要带什么材料"
# ... and unsure of this one (投诉 0.43, 咨询 0.29, 求助 0.24).
UNSURE = "南山区科技园的公司拖欠了我三个月工资，老板跑了"


def _answer(request_type: str, candidate: int = 0):
    def reply(request: dict) -> str:
        schema = request["response_format"]["json_schema"]["schema"]["properties"]
        return json.dumps(
            {
                "request_type": request_type,
                "subcategory": schema["subcategory"]["enum"][candidate],
                "district": "",
                "address": "",
                "contact_name": "",
                "summary": "来电人反映问题",
                "urgency": "normal",
                "urgency_reason": "无危险",
            },
            ensure_ascii=False,
        )

    return reply


@pytest.mark.parametrize(
    ("probabilities", "model", "want", "source"),
    [
        # The model's 投诉 (what it says when unsure) does not move a confident classifier.
        ({"咨询": 0.87, "投诉": 0.08, "求助": 0.05}, "投诉", "咨询", "classifier"),
        ({"举报": 0.7, "投诉": 0.25, "求助": 0.05}, "投诉", "举报", "classifier"),
        # A specific answer that the classifier found plausible is taken ...
        ({"投诉": 0.43, "咨询": 0.29, "求助": 0.24, "举报": 0.04}, "求助", "求助", "chat"),
        # ... but not one the classifier all but ruled out.
        ({"咨询": 0.95, "投诉": 0.04, "举报": 0.01}, "举报", "咨询", "classifier"),
        # An unsure classifier yields to the model's 投诉 too.
        ({"求助": 0.4, "投诉": 0.35, "咨询": 0.25}, "投诉", "投诉", "chat"),
        # Agreement is the model's answer, checked.
        ({"投诉": 0.9, "求助": 0.1}, "投诉", "投诉", "chat"),
    ],
)
def test_the_models_type_is_weighed_against_the_classifiers(probabilities, model, want, source):
    choice = request_type_merge(probabilities, model)
    assert (choice.value, choice.source) == (want, source)
    assert 0 < choice.confidence <= 1


def test_a_type_the_classifier_never_learnt_needs_an_unsure_classifier():
    assert request_type_merge({"投诉": 0.45, "咨询": 0.3, "求助": 0.25}, "建议").value == "建议"
    assert request_type_merge({"咨询": 0.9, "投诉": 0.1}, "建议").value == "咨询"


def test_a_confident_classifier_keeps_its_type_against_the_model(sz_trained, scripted_model):  # noqa: F811
    scripted_model.reply = _answer("投诉")
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=CONSULT)
    assert draft["request_type"] == "咨询"
    assert draft["sources"]["request_type"] == "classifier"
    assert draft["sources"]["chat_request_type"] == "投诉"  # what the model said, for the agent
    # The rest of the model's answer is still used and labelled as the model's.
    assert draft["sources"]["chat"] == "scripted" and not draft["fallback"]
    assert draft["summary"] == "来电人反映问题"


def test_an_unsure_classifier_takes_the_models_type(sz_trained, scripted_model):  # noqa: F811
    scripted_model.reply = _answer("求助")
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=UNSURE)
    assert draft["request_type"] == "求助"
    assert draft["sources"]["request_type"] == "chat"
    assert "chat_request_type" not in draft["sources"]


def test_model_down_leaves_the_classifiers_type_labelled_as_a_fallback(sz_trained, scripted_model):  # noqa: F811
    scripted_model.close()
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=UNSURE)
    assert draft["request_type"] == "投诉"  # the classifier's best guess
    assert draft["sources"]["request_type"] == "classifier"
    assert draft["sources"]["chat"] == "unavailable" and draft["fallback"]
    assert draft["fallback_reason"]


def test_the_intake_page_says_the_type_is_the_classifiers(
    client, agent_a, trained_a, scripted_model
):
    scripted_model.reply = _answer("投诉", candidate=1)
    client.force_login(agent_a)
    page = client.post(
        "/gov-hotline/intake/",
        {"step": "draft", "text": "想咨询一下天河区居住证怎么办理，需要带什么材料"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="gh-ai-label"' in html
    said = re.search(r'<p class="small" id="gh-type-source">([^<]*)</p>', html).group(1)
    # The sentence is translated (zh-hans here); the two types are the draft's own values.
    assert "咨询" in said and "投诉" in said and said.index("咨询") < said.index("投诉")
    # The model's category pick (the classifier's second candidate) is shown, not taken.
    category = re.search(r'<p class="small" id="gh-category-source">([^<]*)</p>', html).group(1)
    assert category.startswith("分类：保留分类器的判断")
