# ruff: noqa: E501 - the marker and lexicon tables are kept one dialect block per line group
"""Dialect identification and normalisation to Mandarin (pure functions, no database).

Identification combines two signals: the language the ASR reported (Whisper says `yue` for
Cantonese when a Cantonese model is configured, `zh` otherwise) and a classifier of dialect
markers: words and particles that are frequent in one dialect's written/transcribed form and
rare in Mandarin. Each marker has a weight (how specific it is); the scores per dialect are
turned into a confidence with a softmax against a Mandarin baseline, so text without markers is
Mandarin with a confidence that grows with its length.

Normalisation rewrites dialect words into Mandarin (longest match first) so intent rules and
knowledge retrieval, which are Mandarin, see Mandarin.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MANDARIN = "mandarin"
DIALECTS = ("mandarin", "cantonese", "sichuanese", "shanghainese", "northeastern")

# marker -> weight. 3: nearly unique to the dialect; 2: typical; 1: also seen in Mandarin.
MARKERS: dict[str, dict[str, float]] = {
    "cantonese": {
        "唔": 3, "冇": 3, "嘅": 3, "咗": 3, "佢": 3, "喺": 3, "咁": 2.5, "嘢": 3, "乜": 2.5,
        "咩": 2.5, "點解": 3, "點樣": 3, "点样": 3, "点算": 3, "點算": 3, "点解": 3, "嚟": 3, "啲": 3, "畀": 2.5,
        "俾": 2, "睇": 3, "揾": 3, "搵": 3, "係": 2.5, "系咪": 3, "系唔系": 3, "唔该": 3,
        "唔該": 3, "咪": 1.5, "嗰": 3, "呢度": 3, "边度": 3, "邊度": 3, "几时": 1.5, "幾時": 2,
        "啦": 0.5, "喎": 3, "嘛": 0.3, "咋": 1, "先至": 2.5, "仲": 2, "咗啦": 3, "攞": 3,
        "同埋": 3, "部手机": 2, "部电话": 2, "几多": 2.5, "幾多": 2.5, "边个": 3, "邊個": 3,
        "而家": 3, "依家": 3, "靓": 2, "唔使": 3, "唔好": 3, "屋企": 3, "嘞": 2, "啱": 3,
        "冚": 3, "哋": 3, "几耐": 3, "幾耐": 3, "蚊": 2, "点收费": 2, "琴日": 3, "听日": 3, "聽日": 3, "乜嘢": 3, "咩嘢": 3, "得唔得": 3,
    },
    "sichuanese": {
        "啥子": 3, "咋个": 3, "咋子": 3, "莫得": 3, "巴适": 3, "安逸": 2, "晓得": 2,
        "要得": 3, "耍": 1.5, "瓜娃子": 3, "锤子": 2.5, "嘛": 0.5, "噻": 3, "哦豁": 3,
        "摆龙门阵": 3, "闷墩儿": 3, "爪子": 3, "搞快": 3, "恼火": 2.5, "巴巴适适": 3,
        "得行": 3, "不得行": 3, "好多钱": 2, "咋回事嘛": 2, "啷个": 3, "么子": 1.5,
        "切": 0.5, "哈": 0.5, "嘞": 0.5, "撒": 1.5, "哪个": 0.5, "雄起": 3, "老汉儿": 3,
        "婆娘": 2, "遭": 1, "弄起": 1.5, "打整": 2.5, "给老子": 2, "咋搞的": 1, "拐了": 2.5,
        "洗白": 3, "扯拐": 3, "造孽": 2, "遭不住": 3, "一哈": 2.5, "得不得": 1.5, "莫来头": 3,
        "稀撇": 3, "安逸惨": 3, "好凶": 2, "摆": 0.5, "嗦": 2, "哈数": 3, "屋头": 3, "哪点": 2.5, "好久能": 1.5, "装起": 2, "硬是": 2,
    },
    "shanghainese": {
        "侬": 3, "阿拉": 3, "伐": 2.5, "覅": 3, "几钿": 3, "个么": 3, "晓得伐": 3, "啥物事": 3,
        "物事": 2.5, "老": 0.3, "交关": 3, "勿": 2.5, "勿要": 3, "辰光": 3, "今朝": 3,
        "明朝": 2.5, "昨日": 1, "哪能": 3, "哪能办": 3, "伊": 2, "伊拉": 3, "吾": 1.5,
        "啥": 0.5, "搿": 3, "搿个": 3, "迭个": 3, "格": 1, "嘸没": 3, "呒没": 3, "呒": 2.5,
        "嗲": 2, "欢喜": 1, "邪气": 2.5, "拎勿清": 3, "瞎七搭八": 3, "开心伐": 3, "好伐": 3,
        "对伐": 3, "是伐": 3, "有伐": 3, "侪": 3, "一道": 1.5, "老早": 1, "作": 0.5,
        "弄": 0.5, "嘎许多": 3, "一眼眼": 3, "汰": 2, "屋里厢": 3, "伐啦": 3, "册那": 3, "辣": 1.5, "几日": 1.5, "白相": 3, "落脱": 3, "坏脱": 3, "脱": 1,
        "洋钿": 3, "推板": 3, "上半天": 2.5, "眼个": 3,
    },
    "northeastern": {
        "咋整": 3, "嘎哈": 3, "干哈": 3, "贼": 2, "唠": 2, "唠嗑": 3, "埋汰": 3, "整": 1,
        "整啥": 2.5, "咋的": 2, "咋地": 2.5, "嘎": 1, "嗯呐": 3, "老鼻子": 3, "杠杠的": 3,
        "得劲": 2.5, "忽悠": 2, "磨叽": 3, "墨迹": 2, "唠嗑儿": 3, "瞅": 2, "瞅瞅": 2.5,
        "嘚瑟": 3, "秃噜": 3, "膈应": 3, "整明白": 3, "整不明白": 3, "老": 0.3, "咋": 1,
        "啥玩意": 3, "啥玩意儿": 3, "这旮沓": 3, "旮旯": 2, "贼拉": 3, "老铁": 2.5,
        "可劲儿": 3, "消停": 2.5, "扯犊子": 3, "嘎嘎": 2.5, "稀罕": 1.5, "整没了": 3,
        "咋回事儿": 1.5, "尿性": 3, "虎": 0.5, "唠唠": 3, "白扯": 3, "闹心": 2, "那嘎达": 3,
        "这嘎达": 3, "撒楞": 3, "麻溜": 3, "麻溜儿": 3, "一整": 2.5, "搁家": 3, "搁": 1.5, "好使": 2.5, "嘎达": 3, "整坏": 2.5, "整掉": 2.5,
        "整错": 2.5, "老膈应": 3, "收不着": 2,
    },
}  # fmt: skip

# Mandarin function words whose presence is (weak) evidence against a dialect.
MANDARIN_MARKERS: dict[str, float] = {
    "什么": 1.5, "怎么": 1.5, "没有": 1.2, "不是": 0.8, "我们": 0.8, "他们": 0.8, "的": 0.3,
    "了": 0.3, "吗": 1, "这个": 0.6, "那个": 0.6, "多少钱": 1, "请问": 1.5, "您好": 1,
    "谢谢": 0.8, "怎么办": 1.2, "为什么": 1.5, "知道": 0.8, "是不是": 1, "现在": 0.8,
}  # fmt: skip

# Built-in dialect word -> Mandarin; a tenant's LexiconEntry rows add to and override these.
NORMALISATION: dict[str, dict[str, str]] = {
    "cantonese": {
        "唔该": "谢谢", "唔該": "谢谢", "唔系": "不是", "唔係": "不是", "系唔系": "是不是",
        "系咪": "是不是", "唔使": "不用", "唔好": "不要", "几耐": "多久", "幾耐": "多久", "唔得": "不行", "得唔得": "行不行",
        "唔": "不", "冇": "没有", "嘅": "的", "咗": "了", "佢哋": "他们", "佢": "他",
        "我哋": "我们", "你哋": "你们", "喺": "在", "係": "是", "乜嘢": "什么",
        "咩嘢": "什么", "咩": "什么", "乜": "什么", "點解": "为什么", "点解": "为什么",
        "點樣": "怎样", "点样": "怎样", "点算": "怎么办", "點算": "怎么办", "嚟": "来", "啲": "些", "畀": "给", "俾": "给",
        "睇": "看", "揾": "找", "搵": "找", "嗰": "那", "呢度": "这里", "边度": "哪里",
        "邊度": "哪里", "几时": "什么时候", "幾時": "什么时候", "几多": "多少", "幾多": "多少",
        "边个": "谁", "邊個": "谁", "而家": "现在", "依家": "现在", "屋企": "家里",
        "琴日": "昨天", "听日": "明天", "聽日": "明天", "攞": "拿", "同埋": "和", "咁": "这么",
        "嘢": "东西", "仲": "还", "啱": "对", "部手机": "手机", "部电话": "手机",
    },
    "sichuanese": {
        "啥子": "什么", "咋个": "怎么", "咋子": "怎么", "啷个": "怎么", "莫得": "没有",
        "巴适": "舒服", "安逸": "舒服", "晓得": "知道", "要得": "好的", "不得行": "不行",
        "得行": "可以", "搞快": "快点", "恼火": "麻烦", "好多钱": "多少钱", "一哈": "一下",
        "打整": "处理", "扯拐": "出故障", "拐了": "坏了", "洗白": "完了", "遭不住": "受不了",
        "莫来头": "没关系", "屋头": "家里", "哪点": "哪里", "噻": "", "爪子": "干什么", "老汉儿": "父亲",
    },
    "shanghainese": {
        "侬": "你", "阿拉": "我们", "伊拉": "他们", "伊": "他", "覅": "不要", "勿要": "不要",
        "勿": "不", "几钿": "多少钱", "晓得伐": "知道吗", "啥物事": "什么东西", "物事": "东西",
        "辰光": "时候", "今朝": "今天", "明朝": "明天", "哪能办": "怎么办", "哪能": "怎么",
        "搿个": "这个", "迭个": "这个", "搿": "这", "嘸没": "没有", "呒没": "没有", "呒": "没",
        "交关": "很", "邪气": "非常", "侪": "都", "好伐": "好吗", "对伐": "对吗",
        "是伐": "是吗", "有伐": "有吗", "伐啦": "吗", "伐": "吗", "一眼眼": "一点点",
        "屋里厢": "家里", "个么": "那么", "嘎许多": "这么多", "白相": "玩", "落脱": "丢了", "洋钿": "钱", "推板": "差",
    },
    "northeastern": {
        "咋整": "怎么办", "嘎哈": "干什么", "干哈": "干什么", "贼拉": "非常", "贼": "很",
        "唠嗑儿": "聊天", "唠嗑": "聊天", "埋汰": "脏", "整啥": "做什么", "咋地": "怎么了",
        "咋的": "怎么了", "嗯呐": "是的", "老鼻子": "很多", "杠杠的": "很好", "得劲": "舒服",
        "磨叽": "拖拉", "墨迹": "拖拉", "瞅瞅": "看看", "瞅": "看", "整明白": "弄明白",
        "整不明白": "弄不明白", "整没了": "弄没了", "啥玩意儿": "什么东西", "啥玩意": "什么东西",
        "这旮沓": "这里", "那嘎达": "那里", "这嘎达": "这里", "麻溜儿": "赶快", "麻溜": "赶快",
        "闹心": "烦心", "搁家": "在家", "好使": "管用", "哪嘎达": "哪里", "嘎达": "那里", "白扯": "没用", "咋": "怎么",
    },
}  # fmt: skip

# What each ASR language code says about the dialect (only Cantonese has its own code).
ASR_LANGUAGE: dict[str, str] = {"yue": "cantonese", "zh-yue": "cantonese", "wuu": "shanghainese"}
ASR_WEIGHT = 4.0
# Mandarin's baseline score: unmarked text is Mandarin; longer unmarked text more surely so.
MANDARIN_BASE = 1.0
MANDARIN_PER_CHAR = 0.05

_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Identification:
    dialect: str
    confidence: float
    scores: dict[str, float]
    markers: list[str] = field(default_factory=list)


def _count_markers(text: str, markers: Mapping[str, float]) -> tuple[float, list[str]]:
    """Sum of weights of non-overlapping markers, longest first."""
    taken = [False] * len(text)
    score, found = 0.0, []
    for marker in sorted(markers, key=len, reverse=True):
        start = text.find(marker)
        while start != -1:
            end = start + len(marker)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                score += markers[marker]
                found.append(marker)
            start = text.find(marker, end)
    return score, found


def identify(
    text: str,
    *,
    asr_language: str | None = None,
    extra_markers: Mapping[str, Iterable[str]] | None = None,
) -> Identification:
    """The most likely dialect of `text`, its confidence in [0, 1] and the evidence."""
    text = text or ""
    scores: dict[str, float] = {}
    evidence: list[str] = []
    for dialect, markers in MARKERS.items():
        table = dict(markers)
        for term in (extra_markers or {}).get(dialect, ()):
            table.setdefault(term, 2.0)
        score, found = _count_markers(text, table)
        scores[dialect] = score
        evidence.extend(found)
    han = len(_HAN.findall(text))
    mandarin, _found = _count_markers(text, MANDARIN_MARKERS)
    scores[MANDARIN] = MANDARIN_BASE + MANDARIN_PER_CHAR * min(han, 40) + 0.5 * mandarin
    hinted = ASR_LANGUAGE.get((asr_language or "").lower())
    if hinted:
        scores[hinted] = scores.get(hinted, 0.0) + ASR_WEIGHT
    best = max(DIALECTS, key=lambda d: (scores[d], d == MANDARIN))
    # Softmax over the scores: confidence is the winner's share.
    exp = {d: math.exp(scores[d]) for d in DIALECTS}
    confidence = exp[best] / sum(exp.values())
    relevant = [m for m in evidence if best != MANDARIN and m in _marker_table(best, extra_markers)]
    return Identification(best, round(confidence, 3), scores, relevant)


def _marker_table(dialect: str, extra: Mapping[str, Iterable[str]] | None) -> set[str]:
    return set(MARKERS.get(dialect, {})) | set((extra or {}).get(dialect, ()))


def lexicon_for(dialect: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    table = dict(NORMALISATION.get(dialect, {}))
    table.update(overrides or {})
    return table


def normalize(text: str, lexicon: Mapping[str, str]) -> str:
    """Rewrites dialect words to Mandarin, longest term first, never rewriting output again."""
    if not lexicon or not text:
        return text
    terms = sorted((t for t in lexicon if t), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in terms))
    return pattern.sub(lambda m: lexicon[m.group(0)], text)
