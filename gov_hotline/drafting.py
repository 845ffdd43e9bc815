"""The automatic draft of a work order from a transcript or text, never saved by itself.

Fields come from: the tenant's classifier (subcategory and request type, over gateway
embeddings), the rule-based extractors (district, address, contact, urgency, emergency line,
demand), and, when the tenant has a language model configured, a refinement by that model in
JSON constrained by a schema (category among the classifier's top candidates, request type, the
tenant's own districts, address, caller's name, a one-sentence summary, urgency with a reason).
Without one the draft says the classifier and rules alone answered."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from suite.ai import gateway, registry
from suite.ai.errors import AiError
from suite.ai.types import ChatMessage
from suite.privacy import mask_text

from . import classifier, extraction
from .models import ClassifierModel, District, RequestType, Urgency
from .services import clean_text
from .training import classifier_training


def active_classifier(tenant) -> ClassifierModel | None:
    return ClassifierModel.objects.for_tenant(tenant).filter(is_active=True).first()


def _draft_schema(candidates: list[str], districts: list[str]) -> dict:
    """The JSON the model must write: enums keep it to the tenant's own catalogue and districts
    (llama.cpp and vLLM turn the schema into a grammar, so nothing else can be decoded)."""
    return {
        "type": "object",
        "properties": {
            "subcategory": {"type": "string", "enum": candidates},
            "request_type": {"type": "string", "enum": list(RequestType.values)},
            "summary": {"type": "string", "maxLength": 60},
            "district": {"type": "string", "enum": [*districts, ""]},
            "address": {"type": "string", "maxLength": 80},
            "contact_name": {"type": "string", "maxLength": 20},
            "urgency": {"type": "string", "enum": list(Urgency.values)},
            "urgency_reason": {"type": "string", "maxLength": 40},
        },
        "required": ["subcategory", "request_type", "summary", "district", "address", "urgency"],
    }


def _refine_with_chat(
    caller, text: str, candidates: list[str], request_type: str, districts: list[str]
) -> dict | None:
    prompt = (
        "你是12345政务服务热线的工单助手。阅读市民诉求，填写工单："
        "subcategory 从候选分类中选最合适的一个；request_type 是诉求类型；"
        "summary 用一句话写清楚发生了什么问题、市民要求做什么（不写姓名电话）；"
        "district 是诉求所在的区（没有提到就留空）；address 是具体地点（街道、小区、路名），"
        "不要包含“我是”“我住在”之类的话；contact_name 是来电人的称呼（如“王先生”，没有就留空）；"
        "urgency 是 normal、urgent 或 critical，urgency_reason 说明理由。\n"
        f"候选分类：{'；'.join(candidates)}\n分类器判断的诉求类型：{request_type}"
    )
    served = gateway.chat(
        caller,
        [ChatMessage("system", prompt), ChatMessage("user", mask_text(text))],
        max_tokens=260,
        temperature=0.0,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "work_order", "schema": _draft_schema(candidates, districts)},
        },
    )
    if not served.info.generative:
        return None
    try:
        data = json.loads(served.value.text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("subcategory") not in candidates:
        return None
    if data.get("request_type") not in RequestType.values:
        data["request_type"] = request_type
    data["model"] = served.info.model
    return data


def _take_refined(fields: dict, refined: dict, text: str, districts: list[str]) -> None:
    """The model's fields replace the rules' where it gave a usable value; the address and name
    only when they really occur in what the citizen said (a model must not invent a place)."""
    if refined.get("summary"):
        fields["summary"] = extraction.Field(mask_text(str(refined["summary"]))[:60], 0.8)
    if refined.get("district") in districts:
        fields["district"] = extraction.Field(refined["district"], 0.8)
    address = str(refined.get("address") or "").strip()
    if address and address in text:
        at = text.index(address)
        fields["address"] = extraction.Field(address, 0.8, at, at + len(address))
    name = str(refined.get("contact_name") or "").strip()
    if name and name[0] in text:
        fields["contact_name"] = extraction.Field(name, 0.7)
    if refined.get("urgency") in Urgency.values and not fields["emergency_line"].value:
        fields["urgency"] = extraction.Field(refined["urgency"], 0.7)


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
        if registry.language_model_configured(tenant):
            try:
                refined = _refine_with_chat(
                    caller, text, [s for s, _c in prediction.candidates], request_type, districts
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
                _take_refined(fields, refined, text, districts)
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
        "district": fields["district"].value,
        "address": fields["address"].value,
        "summary": fields["summary"].value,
        "urgency": fields["urgency"].value,
        "contact": {
            "name": fields["contact_name"].value,
            "phone": extraction.masked_contact(phone.value),
        },
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
