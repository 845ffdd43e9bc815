"""One token estimate for the whole layer: quota reservations in the gateway and the usage of
backends whose server reports none (and of the extractive answerer, which has no tokenizer)."""

import math
import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_OTHER_WORD = re.compile(r"[^\s\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")


def estimate_tokens(text: str) -> int:
    """One per CJK character (common tokenizers give ~0.6-1.5 per character) plus one per
    four characters of every other word: it errs high for Chinese, so reservations suffice."""
    cjk = len(_CJK.findall(text))
    other = sum(math.ceil(len(w) / 4) for w in _OTHER_WORD.findall(text))
    return cjk + other
