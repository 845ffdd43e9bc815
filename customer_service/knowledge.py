"""Hybrid retrieval over a tenant's published knowledge articles.

One `suite.ai.search.HybridIndex` per tenant, persisted under `AI_CACHE_DIR/customer_service/`
and kept in memory per process. Before a search the index is synchronised with the database:
articles whose (version, text) stamp changed are re-embedded, unpublished ones removed, so an
edit is searchable on the next query without a rebuild job. Embeddings go through
`suite.ai.gateway.embed` with the tenant as caller (metered and audited like any model call);
if no embedding model answers, the index is lexical (BM25) and says so.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from suite.ai import gateway
from suite.ai.errors import AiError, BackendUnavailable
from suite.ai.search import STOPWORDS, Document, HybridIndex, IndexRebuildNeeded, tokenize_zh
from suite.ai.types import Capability
from suite.tenancy.models import Tenant

from . import search_terms
from .models import ArticleStatus, KbArticle

logger = logging.getLogger(__name__)

SNIPPET_CHARS = 120
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


@dataclass
class KnowledgeHit:
    id: int
    title: str
    category: str
    snippet: str
    score: float
    lexical_rank: int | None
    vector_rank: int | None
    matched_terms: int = 0
    query_terms: int = 0

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "snippet": self.snippet,
            "score": round(self.score, 4),
        }


@dataclass
class _Cached:
    signature: tuple
    index: HybridIndex
    vectors: bool


_cache: dict[int, _Cached] = {}
_locks: dict[int, threading.Lock] = {}
_guard = threading.Lock()


def _lock_for(tenant_id: int) -> threading.Lock:
    with _guard:
        return _locks.setdefault(tenant_id, threading.Lock())


def index_directory(tenant: Tenant) -> Path:
    configured = settings.CUSTOMER_SERVICE_INDEX_DIR
    root = Path(configured) if configured else Path(settings.AI_CACHE_DIR) / "customer_service"
    return root / f"kb-{tenant.pk}"


# Passage vectors shared between tenants' indexes, only inside `shared_passage_vectors()`.
_shared: ContextVar[dict | None] = ContextVar("cs_shared_passage_vectors", default=None)


@contextmanager
def shared_passage_vectors() -> Iterator[dict]:
    """Within the block, a passage text embedded for one tenant is not embedded again for
    another tenant whose first embedding model is the same: the vector is reused.

    For the demo seed, where every demo tenant starts with the same 63 articles. Indexes stay
    per tenant (each holds only its own articles, in its own folder); what is shared is the
    computation of a vector for a text the tenant itself holds, with the same model. The reused
    rows make no model call, so they are not metered to the second tenant.
    """
    shared: dict = {}
    token = _shared.set(shared)
    try:
        yield shared
    finally:
        _shared.reset(token)


def _first_embed_model(tenant: Tenant) -> str:
    models = gateway.configured_models(tenant, Capability.EMBED)
    return f"{models[0].name}|{models[0].spec!r}" if models else ""


def _embedder(tenant: Tenant):
    caller = gateway.Caller(tenant=tenant)

    def call(texts: list[str], kind: str):
        try:
            return gateway.embed(caller, texts, kind=kind)
        except BackendUnavailable:
            raise
        except AiError as exc:
            # An exhausted embedding quota must not stop the assistant: the index treats an
            # unavailable embedder as "lexical only" and says so.
            raise BackendUnavailable(exc.message) from exc

    def embed(texts: list[str], kind: str) -> np.ndarray:
        memo = _shared.get()
        if memo is None or kind != "passage":
            return call(texts, kind).value.vectors
        model = _first_embed_model(tenant)
        missing = list(dict.fromkeys(t for t in texts if (model, t) not in memo))
        if missing:
            served = call(missing, kind)
            if not model.startswith(f"{served.info.model}|"):
                # Served by a fallback model: its vectors must not mix with the first model's.
                return call(texts, kind).value.vectors
            vectors = served.value.vectors
            if len(vectors) != len(missing):
                raise BackendUnavailable("The embedding model returned the wrong number of rows.")
            memo.update(((model, t), v) for t, v in zip(missing, vectors, strict=True))
        return np.stack([memo[(model, t)] for t in texts])

    return embed


def _document_text(article: KbArticle) -> str:
    return f"{article.title}\n{article.body}"


def _stamp(article: KbArticle) -> str:
    digest = hashlib.sha1(_document_text(article).encode(), usedforsecurity=False).hexdigest()
    return f"{article.version}:{digest[:16]}"


def _published(tenant: Tenant):
    return KbArticle.objects.for_tenant(tenant).filter(status=ArticleStatus.PUBLISHED)


def _signature(tenant: Tenant) -> tuple:
    agg = _published(tenant).aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def use_vectors() -> bool:
    return settings.CUSTOMER_SERVICE_KB_VECTORS


def tenant_index(tenant: Tenant, progress=None) -> tuple[HybridIndex, bool]:
    """The tenant's index, synchronised with its published articles; (index, has vectors).
    `progress(done, total)` after each batch of articles (re)indexed, for the indexing job."""
    signature = _signature(tenant)
    cached = _cache.get(tenant.pk)
    if cached and cached.signature == signature:
        return cached.index, cached.vectors
    with _lock_for(tenant.pk):
        cached = _cache.get(tenant.pk)
        if cached and cached.signature == signature:
            return cached.index, cached.vectors
        index, vectors = _synchronised(tenant, progress)
        _cache[tenant.pk] = _Cached(signature, index, vectors)
        return index, vectors


def _open(tenant: Tenant, vectors: bool) -> HybridIndex:
    directory = index_directory(tenant) / ("hybrid" if vectors else "lexical")
    embed = _embedder(tenant) if vectors else None
    try:
        return HybridIndex.open(directory, embed)
    except IndexRebuildNeeded:
        logger.warning("knowledge index of tenant %s is stale; rebuilding", tenant.pk)
        return HybridIndex(embed, directory=directory)


def _synchronised(tenant: Tenant, progress=None) -> tuple[HybridIndex, bool]:
    articles = list(_published(tenant).select_related("category"))
    vectors = use_vectors()
    index = _open(tenant, vectors)
    try:
        _apply(index, articles, progress)
    except (BackendUnavailable, IndexRebuildNeeded) as exc:
        if not vectors:
            raise
        logger.warning("knowledge index of tenant %s falls back to BM25: %s", tenant.pk, exc)
        vectors = False
        index = _open(tenant, False)
        _apply(index, articles, progress)
    try:
        index.save()
    except OSError as exc:  # a read-only cache folder only costs re-embedding next time
        logger.warning("knowledge index of tenant %s not saved: %s", tenant.pk, exc)
    return index, vectors


# Articles embedded per step of an indexing job (each step reports progress).
INDEX_BATCH = 32


def _apply(index: HybridIndex, articles: list[KbArticle], progress=None) -> None:
    wanted = {str(a.pk): a for a in articles}
    stale = [doc_id for doc_id in _ids(index) if doc_id not in wanted]
    index.remove(stale)
    changed = []
    for doc_id, article in wanted.items():
        current = index.get(doc_id)
        if current is None or current.metadata.get("stamp") != _stamp(article):
            changed.append(
                Document(
                    doc_id,
                    _document_text(article),
                    {
                        "stamp": _stamp(article),
                        "title": article.title,
                        "category": article.category.name if article.category else "",
                    },
                )
            )
    for start in range(0, len(changed), INDEX_BATCH):
        index.add(changed[start : start + INDEX_BATCH])
        if progress:
            progress(min(start + INDEX_BATCH, len(changed)), len(changed))


def _ids(index: HybridIndex) -> list[str]:
    return list(index._entries)


def snippet(body: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """The body sentence sharing most words with the query (the first one if none does)."""
    sentences = [s.strip() for s in _SENTENCE.findall(body) if s.strip()]
    if not sentences:
        return body[:limit]
    terms = set(tokenize_zh(query))
    best = max(sentences, key=lambda s: (len(terms & set(tokenize_zh(s))), -sentences.index(s)))
    return best if len(best) <= limit else best[: limit - 1] + "…"


def search(tenant: Tenant, query: str, *, k: int = 5) -> tuple[list[KnowledgeHit], bool]:
    """The best `k` published articles for `query`; (hits, whether vectors were used). The
    query is searched with the article terms its everyday words imply (`search_terms`)."""
    query = (query or "").strip()
    if not query:
        return [], False
    query = search_terms.expand(query)
    index, vectors = tenant_index(tenant)
    if not len(index):
        return [], vectors
    try:
        raw = index.search(query, k=k)
    except AiError as exc:
        logger.warning("knowledge search failed for tenant %s: %s", tenant.pk, exc)
        return [], vectors
    hits = []
    terms = _content_terms(query)
    for hit in raw:
        body = hit.text.split("\n", 1)[1] if "\n" in hit.text else hit.text
        hits.append(
            KnowledgeHit(
                id=int(hit.id),
                title=hit.metadata.get("title", ""),
                category=hit.metadata.get("category", ""),
                snippet=snippet(body, query),
                score=hit.score,
                lexical_rank=hit.bm25_rank,
                vector_rank=hit.vector_rank,
                matched_terms=len(terms & _content_terms(hit.text)),
                query_terms=len(terms),
            )
        )
    return hits, vectors


def search_for_model(tenant: Tenant, query: str, *, k: int) -> list[KnowledgeHit]:
    """The `k` articles a language model reads for `query`, whatever words they share with it
    (the model reads paraphrases; grounding keeps it honest). The hit either ranking puts first
    leads: a paraphrase is found by meaning, not words, and small models lean on the first
    passage."""
    hits, _vectors = search(tenant, query, k=k + 1)
    hits.sort(key=lambda h: (min(h.vector_rank or 99, h.lexical_rank or 99), -h.score))
    return hits[:k]


def answer_relevance(tenant: Tenant, question: str, answer: str) -> float | None:
    """How near in meaning an answer is to the question it answers (cosine of the index's
    embedding vectors), or None when the index runs without vectors or the model is down."""
    if not use_vectors():
        return None
    embed = _embedder(tenant)
    try:
        asked = embed([question], "query")[0]
        said = embed([answer], "passage")[0]
    except BackendUnavailable:
        return None
    norms = float(np.linalg.norm(asked) * np.linalg.norm(said))
    return float(asked @ said) / norms if norms else None


def _content_terms(text: str) -> set[str]:
    return {t for t in tokenize_zh(text) if len(t) > 1 and t not in STOPWORDS}


def relevant(hit: KnowledgeHit) -> bool:
    """A hit worth answering from: it shares two content words with the query (one, when the
    query has at most two).

    RRF scores are ranks, so they cannot say "nothing relevant"; a hit sharing one word of a
    longer question ("宠物可以办手机卡吗" vs an article about 手机 signal) is a guess, and the
    assistant should say it does not know instead.
    """
    return hit.matched_terms >= 2 or (hit.matched_terms == 1 and hit.query_terms <= 2)


def forget(tenant_id: int) -> None:
    _cache.pop(tenant_id, None)
