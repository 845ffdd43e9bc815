"""Domain terms in speech recognition: the bundled Whisper base (faster-whisper, int8) on
sentences full of telecom and 12345 terms, without a prompt (the backend's default
"以下是普通话的句子。", the baseline) and with each product's own recognition prompt.

The prompts are the real ones: a throwaway SQLite database gets one tenant with the shipped
demo knowledge base (customer_service/data/kb_articles.json) and the default 12345 catalogue
(Guangzhou's districts), and `customer_service.selectors.asr_prompt` /
`gov_hotline.selectors.asr_prompt` build them. The customer-service sentences are heard with the
customer-service prompt, the hotline sentences with the hotline prompt. Speech is Kokoro's
native Mandarin voice zf_xiaobei (synthetic speech: the figures compare prompt against no
prompt, they are not accuracy on human callers).

Per path (files: 30 s window, beam 5, VAD; live calls: `transcribe_utterance`, greedy) and
prompt: term recall (share of the listed terms written exactly), mean CER, median latency.
Prints one JSON object.

    .venv/bin/python bench/asr_domain_terms.py
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="asr-domain-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

# (sentence, the domain terms in it), by the product that hears it.
SENTENCES = {
    "customer_service": [
        ("我想咨询一下5G畅享套餐的资费。", ["咨询", "5G畅享套餐", "资费"]),
        ("流量包用完了，怎么再订一个加油包？", ["流量包", "加油包"]),
        ("家里的宽带从昨天开始就断网了。", ["宽带"]),
        ("我想给我老婆办一张副卡。", ["副卡"]),
        ("下个月出国，国际漫游怎么开通？", ["国际漫游", "开通"]),
        ("我想把套餐改成五十八元的全家享套餐。", ["套餐", "全家享套餐"]),
        ("咨询一下宽带续费有什么优惠。", ["咨询", "宽带", "续费"]),
        ("副卡可以共享主卡的流量包吗？", ["副卡", "流量包"]),
        ("国际漫游的流量包多少钱一天？", ["国际漫游", "流量包"]),
        ("我想办理携号转网，需要什么条件？", ["携号转网"]),
    ],
    "gov_hotline": [
        ("我要投诉，楼下工地夜间施工噪音扰民。", ["投诉", "噪音扰民"]),
        ("帮我查一下上次提交的工单处理进度。", ["工单"]),
        ("我要反映小区门口占道经营的问题。", ["占道经营"]),
        ("天河区有一家餐馆油烟扰民。", ["天河区", "油烟"]),
        ("我想咨询公积金提取需要什么材料。", ["咨询", "公积金"]),
    ],
}


def prompts() -> dict[str, str]:
    from django.core.management import call_command

    import customer_service.selectors
    import gov_hotline.selectors
    from customer_service.demo import _articles
    from customer_service.services.knowledge import article_create
    from gov_hotline.services import catalogue_install_defaults
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_create

    call_command("migrate", verbosity=0)
    tenant = tenant_create(slug="bench-asr", name="广州市分公司", kind=TenantKind.PROVINCE)
    for item in _articles():
        article_create(
            tenant=tenant,
            title=item["title"],
            body=item["body"],
            category=item["category"],
            tags=item.get("tags", []),
            status="published",
        )
    catalogue_install_defaults(tenant=tenant, city="广州")
    return {
        "customer_service": customer_service.selectors.asr_prompt(tenant),
        "gov_hotline": gov_hotline.selectors.asr_prompt(tenant),
    }


def measure(run, items) -> dict:
    from suite.ai.metrics import cer

    found = total = 0
    errors, latencies, texts = [], [], []
    for clip, reference, terms, prompt in items:
        started = time.perf_counter()
        text = run(clip, prompt)
        latencies.append(time.perf_counter() - started)
        errors.append(cer(reference, text))
        found += sum(term in text for term in terms)
        total += len(terms)
        texts.append(text)
    return {
        "term_recall": round(found / total, 3),
        "cer_mean": round(statistics.mean(errors), 3),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "texts": texts,
    }


def main() -> None:
    from suite.ai.asr_prompt import count_tokens
    from suite.ai.backends.asr_faster_whisper import FasterWhisperBackend
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.tts_kokoro import KokoroBackend

    by_product = prompts()
    tts = KokoroBackend(BackendSpec("kokoro"))
    tts.load()
    items = [
        (tts.synthesize(text, voice="zf_xiaobei", language="zh"), text, terms, by_product[product])
        for product, sentences in SENTENCES.items()
        for text, terms in sentences
    ]
    asr = FasterWhisperBackend(BackendSpec("faster-whisper"))
    asr.load()
    asr.transcribe(items[0][0], language="zh")  # warm-up
    paths = {
        "files": lambda clip, prompt: asr.transcribe(clip, language="zh", prompt=prompt).text,
        "live": lambda clip, prompt: (
            asr.transcribe_utterance(clip, language="zh", prompt=prompt).text
        ),
    }
    results = {}
    for path, run in paths.items():
        results[path] = {
            "baseline_default_prompt": measure(lambda clip, _p, run=run: run(clip, None), items),
            "domain_prompt": measure(run, items),
        }
    print(
        json.dumps(
            {
                "sentences": len(items),
                "terms": sum(len(terms) for _c, _t, terms, _p in items),
                "audio_s": round(sum(clip.duration_s for clip, *_rest in items), 2),
                "prompts": {
                    name: {"tokens": count_tokens(prompt), "text": prompt}
                    for name, prompt in by_product.items()
                },
                "paths": results,
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
