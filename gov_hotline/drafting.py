"""The automatic draft of a work order from a transcript or text, never saved by itself.

Fields come from: the tenant's classifier (subcategory and request type, over gateway
embeddings), the rule-based extractors (district, address, contact, urgency, emergency line,
demand), and, when the tenant has a chat model configured, a refinement by that model among the
classifier's top candidates. Without one the draft says the classifier alone answered."""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _

from suite.ai import gateway, registry
from suite.ai.capabilities import Capability
from suite.ai.errors import AiError
from suite.ai.types import ChatMessage
from suite.privacy import mask_text

from . import classifier, extraction
from .models import ClassifierModel, District, RequestType
from .services import clean_text
from .training import classifier_training


def active_classifier(tenant) -> ClassifierModel | None:
    return ClassifierModel.objects.for_tenant(tenant).filter(is_active=True).first()


def chat_model_configured(tenant) -> bool:
    """True when a real language model (not the embedded extractive answerer) is configured."""
    return any(
        m.spec.engine not in registry.EMBEDDED_FALLBACK_ENGINES
        for m in registry.configured_models(tenant, Capability.CHAT)
    )


_JSON = re.compile(r"\{.*\}", re.S)


def _refine_with_chat(caller, text: str, candidates: list[str], request_type: str) -> dict | None:
    prompt = (
        "你是12345政务服务热线的工单分类助手。根据市民诉求，从候选分类中选出最合适的一个，"
        "并判断诉求类型（咨询、求助、投诉、举报、建议、表扬之一），用一句话概括诉求。"
        '只输出JSON：{"subcategory": "一级/二级", "request_type": "...", "summary": "..."}\n'
        f"候选分类：{'；'.join(candidates)}\n分类器判断的诉求类型：{request_type}"
    )
    served = gateway.chat(
        caller,
        [ChatMessage("system", prompt), ChatMessage("user", mask_text(text))],
        max_tokens=200,
        temperature=0.0,
    )
    if not served.info.generative:
        return None
    match = _JSON.search(served.value.text)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if data.get("subcategory") not in candidates:
        return None
    if data.get("request_type") not in RequestType.values:
        data["request_type"] = request_type
    data["model"] = served.info.model
    return data


def draft_build(*, caller: gateway.Caller, text: str) -> dict:
    tenant = caller.tenant
    text = clean_text(text)
    districts = list(District.objects.for_tenant(tenant).values_list("name", flat=True))
    district = extraction.extract_district(text, districts)
    address = extraction.extract_address(text, district)
    name, phone = extraction.extract_contact(text)
    urgency = extraction.extract_urgency(text)
    emergency = extraction.extract_emergency(text)
    summary = extraction.extract_summary(text)

    fields: dict[str, extraction.Field] = {
        "district": district,
        "address": address,
        "urgency": urgency,
        "summary": summary,
        "contact_name": name,
        "emergency_line": emergency,
    }
    sources = {"fields": "rules"}
    candidates: list[dict] = []
    model_row = active_classifier(tenant)
    category = subcategory = request_type = ""
    masked = mask_text(text)
    vector = classifier.try_embed_query(caller, masked) if model_row else None
    if model_row is not None and vector is not None:
        model = classifier.load(model_row.path)
        prediction = model.predict([masked], vector[None, :])[0]
        category, subcategory = prediction.subcategory.split("/", 1)
        request_type = prediction.request_type
        fields["category"] = extraction.Field(category, prediction.category_confidence)
        fields["subcategory"] = extraction.Field(subcategory, prediction.sub_confidence)
        fields["request_type"] = extraction.Field(request_type, prediction.type_confidence)
        candidates = [
            {"subcategory": s, "confidence": round(c, 3)} for s, c in prediction.candidates
        ]
        sources["classifier"] = f"v{model_row.version}"
        if chat_model_configured(tenant):
            try:
                refined = _refine_with_chat(
                    caller, text, [s for s, _c in prediction.candidates], request_type
                )
            except AiError:
                refined = None
            if refined:
                category, subcategory = refined["subcategory"].split("/", 1)
                request_type = refined["request_type"]
                fields["category"] = extraction.Field(category, max(prediction.sub_confidence, 0.8))
                fields["subcategory"] = extraction.Field(
                    subcategory, max(prediction.sub_confidence, 0.8)
                )
                fields["request_type"].value = request_type
                if refined.get("summary"):
                    fields["summary"] = extraction.Field(
                        mask_text(str(refined["summary"]))[:60], 0.8
                    )
                sources["chat"] = refined["model"]
            else:
                sources["chat"] = "unavailable"
        else:
            sources["chat"] = "not_configured"
    else:
        for key in ("category", "subcategory", "request_type"):
            fields[key] = extraction.Field("", 0.0)
        sources["classifier"] = "none" if model_row is None else "embedding_unavailable"
        if model_row is None and classifier_training(tenant):
            sources["classifier"] = "training"

    fallback = sources["classifier"] in (
        "none",
        "training",
        "embedding_unavailable",
    ) or sources.get("chat") in ("not_configured", "unavailable")
    details = {k: f.as_dict(text) for k, f in fields.items()}
    return {
        "request_type": fields["request_type"].value,
        "category": fields["category"].value,
        "subcategory": fields["subcategory"].value,
        "district": district.value,
        "address": address.value,
        "summary": fields["summary"].value,
        "urgency": urgency.value,
        "contact": {"name": name.value, "phone": extraction.masked_contact(phone.value)},
        "emergency_line": emergency.value,
        "confidence": {k: round(f.confidence, 3) for k, f in fields.items()},
        "evidence": {k: d["evidence"] for k, d in details.items() if d["evidence"]},
        "spans": {k: [d["start"], d["end"]] for k, d in details.items() if d["start"] >= 0},
        "candidates": candidates,
        "sources": sources,
        "fallback": fallback,
        "fallback_reason": _fallback_reason(sources),
    }


def _fallback_reason(sources: dict) -> str:
    if sources["classifier"] == "training":
        return _(
            "The classifier is being trained (a background job): category and type are left"
            " empty until it finishes."
        )
    if sources["classifier"] == "none":
        return _("No classifier is trained for this tenant yet: category and type are left empty.")
    if sources["classifier"] == "embedding_unavailable":
        return _("The embedding model is unavailable: category and type are left to the agent.")
    if sources.get("chat") == "not_configured":
        return _(
            "No chat model is configured: the category comes from the embedding classifier alone."
        )
    if sources.get("chat") == "unavailable":
        return _("The chat model gave no usable answer: the classifier's choice is kept.")
    return ""
