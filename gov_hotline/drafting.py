"""The automatic draft of a work order from a transcript or text, never saved by itself.

Fields come from: the tenant's classifier (subcategory and request type, over gateway
embeddings), the rule-based extractors (district, address, contact, urgency, emergency line,
demand), and, when the tenant has a language model configured, a refinement by that model in
JSON constrained by a schema (category among the classifier's top candidates, request type, the
tenant's own districts, address, caller's name, a one-sentence summary, urgency with a reason).
Without one the draft says the classifier and rules alone answered."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.types import ChatMessage
from suite.privacy import mask_text

from . import classifier, extraction
from .extraction import MAX_SUMMARY, TITLES, clean_text
from .models import ClassifierModel, District, RequestType, Urgency
from .training import classifier_training
from .type_merge import request_type_merge


def active_classifier(tenant) -> ClassifierModel | None:
    return ClassifierModel.objects.for_tenant(tenant).filter(is_active=True).first()


# One line per request type, as 12345 centres use them, with the words that mark each: a 1.5B
# model answers 投诉 for almost anything without them (bench/gov_hotline_draft_llm.py). Its
# answer is still weighed against the classifier's (type_merge), not taken as is.
REQUEST_TYPE_GUIDE = (
    "投诉＝对有明确责任方（单位、商家、物业、工作人员）的行为或服务失职不满，要求解决"
    "（停水停电、物业不作为、噪音扰民、拒绝退款、欠薪）；"
    "举报＝检举别人或单位的违法违规行为，要求查处（违建、偷排、无证经营、乱倒垃圾、黑诊所）；"
    "求助＝遇到危险或生活困难，请求帮忙解决（电线冒火花、房屋开裂、被困、走失、生活困难）；"
    "咨询＝询问政策、流程、办事条件（请问、想咨询、怎么办理、要带什么材料）；"
    "建议＝提出改进意见（建议、希望增设）；表扬＝表扬、感谢。"
    "来电人说了“举报”“建议”“请问”“帮帮忙”“表扬”的，按他说的选，不要一律填投诉"
)


def _draft_schema(candidates: list[str], districts: list[str]) -> dict:
    """The JSON the model must write: enums keep it to the tenant's own catalogue and districts
    (llama.cpp and vLLM turn the schema into a grammar, so nothing else can be decoded). The
    request type comes first: it is decided on the whole call before the category narrows it."""
    return {
        "type": "object",
        "properties": {
            "request_type": {"type": "string", "enum": list(RequestType.values)},
            "subcategory": {"type": "string", "enum": candidates},
            "district": {"type": "string", "enum": [*districts, ""]},
            "address": {"type": "string", "maxLength": 60},
            "contact_name": {"type": "string", "maxLength": 12},
            "summary": {"type": "string", "maxLength": MAX_SUMMARY},
            "urgency": {"type": "string", "enum": list(Urgency.values)},
            "urgency_reason": {"type": "string", "maxLength": 30},
        },
        "required": [
            "request_type",
            "subcategory",
            "district",
            "address",
            "contact_name",
            "summary",
            "urgency",
            "urgency_reason",
        ],
    }


def _refine_with_chat(
    caller, text: str, candidates: list[str], request_type: str, districts: list[str]
) -> dict | None:
    prompt = (
        "你是12345政务服务热线的工单助手。阅读市民诉求，按顺序填写工单：\n"
        f"request_type 诉求类型：{REQUEST_TYPE_GUIDE}。\n"
        "subcategory 从候选分类中选最合适的一个；"
        "district 是诉求所在的区，只能从给定的区中选（没有提到就留空）；"
        "address 照抄市民说的完整地址（街道、路名、小区、门牌号、栋、室），不含区名，"
        "不要包含“我是”“我住在”之类的话，没有就留空；"
        "contact_name 是来电人的称呼（如“王先生”“李娜”，只说了姓就写姓，没有就留空）；"
        "summary 用一句话写清楚发生了什么问题、市民要求做什么（不写姓名电话）；"
        "urgency 是 normal、urgent（有安全隐患、需尽快处理）或 critical（正在危及生命财产），"
        "urgency_reason 用一句短话说明理由。\n"
        f"候选分类：{'；'.join(candidates)}\n分类器判断的诉求类型：{request_type}"
    )
    reply = gateway.chat_json(
        caller,
        [ChatMessage("system", prompt), ChatMessage("user", text)],
        _draft_schema(candidates, districts),
        name="work_order",
        max_tokens=280,
    )
    data = reply.data
    if data is None or data.get("subcategory") not in candidates:
        return None
    if data.get("request_type") not in RequestType.values:
        data["request_type"] = request_type
    data["model"] = reply.model
    return data


def _one_sentence(summary: str) -> str:
    """The model's summary as one sentence: what follows its first full stop is dropped."""
    summary = summary.strip()
    for stop in ("。", "！", "？", "\n"):
        head, found, _tail = summary.partition(stop)
        if found and head:
            summary = head
    return summary[:MAX_SUMMARY]


def _name_in_text(name: str, text: str) -> bool:
    """The model's name for the caller must be what the caller said: the name itself, or a title
    added to the surname where the caller gave only that ("姓王" -> 王先生)."""
    if not name or not all("\u4e00" <= c <= "\u9fa5" for c in name):
        return False
    if name in text:
        return True
    bare = re.sub(f"(?:{TITLES})$", "", name)
    if len(bare) >= 2:
        return bare in text
    said_title = re.search(f"{re.escape(bare)}(?:{TITLES})", text) if bare else None
    return bool(bare) and f"姓{bare}" in text and said_title is None


def _take_refined(fields: dict, refined: dict, text: str, districts: list[str]) -> None:
    """The model's fields replace the rules' where it gave a usable value; the address and name
    only when they really occur in what the citizen said (a model must not invent a place)."""
    summary = _one_sentence(str(refined.get("summary") or ""))
    if summary:
        fields["summary"] = extraction.Field(mask_text(summary), 0.8)
    if refined.get("district") in districts:
        fields["district"] = extraction.Field(refined["district"], 0.8)
    address = extraction.address_head(
        extraction.strip_address_junk(str(refined.get("address") or ""))
    )
    district = fields["district"].value
    if district and address.startswith(district):
        address = address[len(district) :]
    span = extraction.near_span(text, address)
    if span is not None:
        ruled = fields["address"]
        # The rules' address wins where it holds the model's and more (a house number the
        # model left out); otherwise the citizen's own words at the model's place.
        if not (ruled.start >= 0 and ruled.start <= span[0] and span[1] <= ruled.end):
            taken = extraction.strip_address_junk(text[span[0] : span[1]])
            if len(taken) >= 2:
                start = span[1] - len(taken)
                fields["address"] = extraction.Field(taken, 0.8, start, span[1])
    name = str(refined.get("contact_name") or "").strip()
    if name and _name_in_text(name, text):
        fields["contact_name"] = extraction.Field(name, 0.7)
    if refined.get("urgency") in Urgency.values and not fields["emergency_line"].value:
        fields["urgency"] = extraction.Field(refined["urgency"], 0.7)
        reason = _one_sentence(str(refined.get("urgency_reason") or ""))[:30]
        if reason:
            fields["urgency_reason"] = extraction.Field(mask_text(reason), 0.7)


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
        "urgency_reason": _urgency_reason(text, urgency, emergency),
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
        sources["request_type"] = "classifier"
        if gateway.language_model_configured(tenant):
            refined = _refine_with_chat(
                caller, text, [s for s, _c in prediction.candidates], request_type, districts
            )
            if refined:
                # The classifier's category stands: where the two disagreed on the bench's 66
                # drafted calls, it was right 15 times and the model 5. The model's pick is kept
                # beside it for the agent.
                if refined["subcategory"] != prediction.subcategory:
                    sources["chat_subcategory"] = refined["subcategory"]
                # The model's type only where it outweighs a confident classifier.
                kind = request_type_merge(prediction.type_probabilities, refined["request_type"])
                fields["request_type"] = extraction.Field(kind.value, kind.confidence)
                sources["request_type"] = kind.source
                if kind.source == "classifier" and refined["request_type"] != kind.value:
                    sources["chat_request_type"] = refined["request_type"]
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
        "urgency_reason": fields["urgency_reason"].value,
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


def _urgency_reason(
    text: str, urgency: extraction.Field, emergency: extraction.Field
) -> extraction.Field:
    """Why the rules chose the urgency: the words that raised it, or that none did."""
    if emergency.value:
        word = text[emergency.start : emergency.end]
        reason = _("“%(word)s”: a case for the %(line)s emergency line") % {
            "word": word,
            "line": emergency.value,
        }
        return extraction.Field(reason, emergency.confidence, emergency.start, emergency.end)
    if urgency.start >= 0:
        reason = _("The caller said “%(word)s”") % {"word": text[urgency.start : urgency.end]}
        return extraction.Field(reason, urgency.confidence, urgency.start, urgency.end)
    return extraction.Field(_("No danger or deadline mentioned"), 0.5)


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
