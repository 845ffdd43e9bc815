"""Knowledge retrieval latency at 10,000 articles, through `customer_service.knowledge.search`.

One process, a throwaway SQLite database and index folder. The 63 demo articles are expanded
procedurally (city, price and plan variants) to --articles rows. Embedding 10,000 passages with
the bundled e5 takes most of an hour on the 2-core VM, so --embed-budget seconds of real
passage vectors are computed and the remaining rows reuse them (permuted, plus noise) - search
latency does not depend on vector content; the JSON says how many are real. The index is then
opened by the product code exactly as in production (stamps match, nothing is re-embedded).

Measured per query (p50/p95): the product search end to end (database change check, query
embedding through the gateway with quota/usage/audit, hybrid BM25 + cosine RRF, snippets); the
same in lexical-only mode; and, as the baseline, what a plain implementation would do: a SQL
`icontains` scan of titles and bodies for each query word.

    .venv/bin/python bench/customer_service_retrieval.py [--articles 10000] [--queries 60]
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="cs-retrieval-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from customer_service import knowledge  # noqa: E402
from customer_service.demo import _articles  # noqa: E402
from customer_service.models import KbArticle, KbArticleVersion, KbCategory  # noqa: E402
from suite.ai import gateway  # noqa: E402
from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.backends.embed_e5 import E5Backend  # noqa: E402
from suite.ai.search import Document, HybridIndex  # noqa: E402
from suite.tenancy.models import TenantKind  # noqa: E402
from suite.tenancy.services import tenant_create  # noqa: E402

CITIES = [
    "深圳",
    "广州",
    "成都",
    "杭州",
    "武汉",
    "南京",
    "西安",
    "长沙",
    "重庆",
    "厦门",
    "沈阳",
    "上海",
]
QUERIES = [
    "流量用完了怎么办", "宽带装机多久上门", "国际漫游流量包多少钱", "光猫红灯上不了网",
    "套餐变更什么时候生效", "携号转网有合约能办吗", "话费余额怎么查", "晚上打电话老是掉线",
    "手机丢了怎么挂失", "电子发票在哪里开", "校园套餐办理条件", "收不到验证码",
]  # fmt: skip


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(QUERIES[i % len(QUERIES)])
        out.append(time.perf_counter() - start)
    return out


def make_articles(tenant, n: int) -> None:
    rng = random.Random(7)
    base = _articles()
    categories = {}
    for item in base:
        if item["category"] not in categories:
            categories[item["category"]] = KbCategory.objects.create(
                tenant=tenant, name=item["category"]
            )
    rows = []
    now = timezone.now()
    for i in range(n):
        item = base[i % len(base)]
        city = rng.choice(CITIES)
        title = item["title"] if i < len(base) else f"{city}{item['title']}（{i}）"
        body = item["body"] if i < len(base) else f"{city}地区：{item['body']}"
        rows.append(
            KbArticle(tenant=tenant, category=categories[item["category"]], title=title,
                      body=body, status="published", published_at=now)
        )  # fmt: skip
    KbArticle.objects.bulk_create(rows, batch_size=1000)
    KbArticleVersion.objects.bulk_create(
        [KbArticleVersion(tenant=tenant, article=a, version=1, title=a.title, body=a.body)
         for a in KbArticle.objects.for_tenant(tenant)],
        batch_size=1000,
    )  # fmt: skip


def prebuild_index(tenant, budget_s: float) -> dict:
    """Writes the tenant's index as the product would, with budget-limited real vectors."""
    e5 = E5Backend(BackendSpec("e5"))
    e5.load()
    articles = list(KbArticle.objects.for_tenant(tenant).select_related("category"))
    texts = [knowledge._document_text(a) for a in articles]
    start = time.perf_counter()
    real = []
    while len(real) < len(texts) and time.perf_counter() - start < budget_s:
        chunk = texts[len(real) : len(real) + 32]
        real.extend(e5.embed(chunk, kind="passage").vectors)
    real_s = time.perf_counter() - start
    rng = np.random.default_rng(7)
    vectors = list(real)
    for _ in range(len(texts) - len(real)):
        v = real[rng.integers(0, len(real))] + rng.normal(0, 0.02, size=real[0].shape)
        vectors.append((v / np.linalg.norm(v)).astype(np.float32))
    by_text = dict(zip(texts, vectors, strict=True))
    directory = knowledge.index_directory(tenant) / "hybrid"
    index = HybridIndex(lambda batch, kind: np.stack([by_text[t] for t in batch]),
                        directory=directory)  # fmt: skip
    index.add(
        Document(str(a.pk), t, {"stamp": knowledge._stamp(a), "title": a.title,
                                "category": a.category.name if a.category else ""})
        for a, t in zip(articles, texts, strict=True)
    )  # fmt: skip
    index.save()
    return {"real_vectors": len(real), "real_embedding_s": round(real_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--embed-budget", type=float, default=120.0)
    args = parser.parse_args()
    settings.CUSTOMER_SERVICE_INDEX_DIR = Path(_tmp) / "index"
    call_command("migrate", verbosity=0)
    province = tenant_create(slug="bench", name="基准省", kind=TenantKind.PROVINCE)
    tenant = tenant_create(slug="bench-city", name="基准市", kind=TenantKind.CITY, parent=province)
    start = time.perf_counter()
    make_articles(tenant, args.articles)
    rows_s = time.perf_counter() - start
    vectors = prebuild_index(tenant, args.embed_budget)

    start = time.perf_counter()
    knowledge.search(tenant, QUERIES[0])  # opens the saved index, checks stamps, builds snapshot
    open_s = time.perf_counter() - start
    hybrid = timed(lambda q: knowledge.search(tenant, q, k=5), args.queries)
    hits, used_vectors = knowledge.search(tenant, "光猫红灯上不了网", k=3)
    # Where the end-to-end time goes: the query embedding (gateway: quota, usage row, audit)
    # and the index search itself (which embeds the query again, directly).
    index, _vectors = knowledge.tenant_index(tenant)
    caller = gateway.Caller(tenant=tenant)
    embed_only = timed(lambda q: gateway.embed(caller, [q], kind="query"), args.queries)
    index_only = timed(lambda q: index.search(q, k=5), args.queries)

    settings.CUSTOMER_SERVICE_KB_VECTORS = False
    knowledge.forget(tenant.pk)
    start = time.perf_counter()
    knowledge.search(tenant, QUERIES[0])
    lexical_build_s = time.perf_counter() - start
    lexical = timed(lambda q: knowledge.search(tenant, q, k=5), args.queries)

    def sql_scan(q: str) -> list:
        words = [w for w in (q[i : i + 2] for i in range(0, len(q) - 1, 2)) if w]
        cond = Q()
        for w in words:
            cond |= Q(title__icontains=w) | Q(body__icontains=w)
        return list(KbArticle.objects.for_tenant(tenant).filter(cond).values("id", "title")[:5])

    baseline = timed(sql_scan, args.queries)
    print(
        json.dumps(
            {
                "benchmark": "customer_service_retrieval",
                "articles": args.articles,
                "queries": args.queries,
                "vectors": vectors,
                "insert_rows_s": round(rows_s, 1),
                "first_search_open_index_s": round(open_s, 2),
                "hybrid_search_e2e": percentiles(hybrid),
                "hybrid_used_vectors": used_vectors,
                "of_which_query_embedding_via_gateway": percentiles(embed_only),
                "of_which_index_search_incl_embedding": percentiles(index_only),
                "lexical_index_build_s": round(lexical_build_s, 2),
                "lexical_search_e2e": percentiles(lexical),
                "baseline_sql_icontains": percentiles(baseline),
                "sample": {"query": "光猫红灯上不了网", "top": [h.title for h in hits]},
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
