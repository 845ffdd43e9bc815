"""Is a department's reply complete against what the citizen asked? Checked before an order
can close: the reply states a result, is specific enough, and addresses the demand's terms."""

from __future__ import annotations

from dataclasses import dataclass, field

import jieba
from django.utils.translation import gettext as _

MIN_REPLY = 15
RESULT_WORDS = (
    "已",
    "完成",
    "处理",
    "解决",
    "答复",
    "核实",
    "查处",
    "清理",
    "修复",
    "整改",
    "告知",
    "责令",
    "立案",
    "不属于",
    "无法",
    "协调",
    "退还",
    "恢复",
)
STOPWORDS = frozenset(
    [
        "希望",
        "要求",
        "有关",
        "部门",
        "处理",
        "请求",
        "麻烦",
        "一下",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "现在",
        "已经",
        "一直",
        "没有",
        "不能",
        "怎么",
        "什么",
        "问题",
        "情况",
        "附近",
        "每天",
        "反映",
        "投诉",
        "举报",
        "咨询",
        "建议",
        "请问",
        "想问",
        "可以",
        "能不能",
    ]
)


@dataclass
class CompletenessReport:
    ok: bool
    coverage: float
    missing_terms: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "coverage": round(self.coverage, 2),
            "missing_terms": self.missing_terms,
            "problems": self.problems,
        }


def demand_terms(summary: str) -> list[str]:
    seen: list[str] = []
    for word in jieba.lcut(summary):
        word = word.strip()
        if len(word) >= 2 and word not in STOPWORDS and not word.isdigit() and word not in seen:
            seen.append(word)
    return seen[:8]


def check_reply(*, demand: str, reply: str) -> CompletenessReport:
    reply = reply.strip()
    problems = []
    if len(reply) < MIN_REPLY:
        problems.append(
            _("The reply is too short to say what was done (at least %(n)d characters).")
            % {"n": MIN_REPLY}
        )
    if not any(word in reply for word in RESULT_WORDS):
        problems.append(_("The reply does not state a result (what was done, found or decided)."))
    terms = demand_terms(demand)
    covered = [
        t for t in terms if t in reply or any(t[i : i + 2] in reply for i in range(len(t) - 1))
    ]
    coverage = len(covered) / len(terms) if terms else 1.0
    missing = [t for t in terms if t not in covered]
    if terms and not covered:
        problems.append(
            _("The reply does not address the citizen's demand (%(terms)s).")
            % {"terms": "、".join(terms)}
        )
    return CompletenessReport(not problems, coverage, missing, problems)
