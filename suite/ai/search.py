"""Lexical + vector hybrid search that product modules run over their own documents.

BM25 over jieba tokens and cosine similarity over injected embeddings, fused by reciprocal-rank
fusion. The embedder is a plain callable so the caller decides how embeddings are metered
(e.g. through the gateway); without one the index is lexical only. An index lives in one
directory: `index.json` (documents, tokens, metadata) and a generation-named `.npy` matrix.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

# Re-exported: answers grounded on search hits cite them (products import the public face).
from .citations import CITATION as CITATION
from .citations import NO_ANSWER as NO_ANSWER
from .citations import bigram_share as bigram_share
from .citations import extract_notice as extract_notice
from .citations import supporting as supporting
from .citations import ungrounded_anchors as ungrounded_anchors
from .errors import AiError, BackendUnavailable, InvalidInput

logger = logging.getLogger(__name__)

EmbedFn = Callable[[list[str], str], np.ndarray]

FORMAT_VERSION = 1
RRF_K = 60
BM25_K1 = 1.5
BM25_B = 0.75
EMBED_BATCH = 64
INDEX_FILE = "index.json"
# Each ranking feeds RRF with its best RANK_DEPTH documents: deeper ranks add < 1/(60+200)
# each, and sorting all 10,000 cosine scores per query would dominate the search time.
RANK_DEPTH = 200

_WORD = re.compile(r"\w", re.UNICODE)


class IndexRebuildNeeded(AiError):
    """The stored index is unreadable or was built differently: rebuild it from the sources."""

    status = 503
    code = "index_rebuild_needed"


@dataclass
class Document:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchHit:
    id: str
    score: float
    bm25_rank: int | None  # 1-based; None: no lexical match, or beyond RANK_DEPTH
    vector_rank: int | None  # 1-based; None: no vectors used, or beyond RANK_DEPTH
    text: str
    metadata: dict[str, Any]


# --- tokenisation ----------------------------------------------------------------------------

_default_tokenizer = None
_default_lock = threading.Lock()


# Words that carry no topic in a question ("请问我的…怎么…"): left out of overlap counts.
STOPWORDS = frozenset(
    {
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "是",
        "我",
        "我的",
        "我们",
        "你",
        "你们",
        "您",
        "他",
        "她",
        "它",
        "请问",
        "请",
        "问",
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "什么",
        "哪些",
        "哪个",
        "哪里",
        "多少",
        "几",
        "能",
        "能否",
        "能不能",
        "可以",
        "可不",
        "不可",
        "可不可以",
        "要",
        "想",
        "想要",
        "会",
        "在",
        "有",
        "没",
        "没有",
        "和",
        "与",
        "及",
        "或",
        "或者",
        "一下",
        "一个",
        "这个",
        "那个",
        "这",
        "那",
        "为什么",
        "为",
        "么",
        "就",
        "都",
        "也",
        "还",
        "给",
        "被",
        "把",
        "对",
        "从",
        "到",
        "需要",
        "应该",
        "该",
        "办",
        "多",
        "少",
        "一",
        "个",
        "些",
        "时候",
        "现在",
        "告诉",
        "知道",
    }
)


def _jieba_default():
    global _default_tokenizer
    with _default_lock:
        if _default_tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            _default_tokenizer = jieba.dt
        return _default_tokenizer


def make_tokenizer(user_words: Iterable[str] = ()):
    """The shared jieba tokenizer, or a private one when the index has domain terms.

    A private `jieba.Tokenizer` keeps one index's user dictionary from changing how every
    other index (and the extractive answerer) segments text; it costs ~0.7 s and ~50 MB once.
    """
    words = sorted({w.strip() for w in user_words if w.strip()})
    if not words:
        return _jieba_default()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word in words:
        tokenizer.add_word(word, freq=None)
    return tokenizer


def tokenize_zh(text: str, tokenizer=None) -> list[str]:
    """Lowercased search-mode jieba tokens without punctuation or whitespace."""
    tk = tokenizer or _jieba_default()
    return [t.lower() for t in tk.lcut_for_search(text) if _WORD.search(t)]


# --- ranking primitives ----------------------------------------------------------------------


def rrf_fuse(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(d) = sum over lists of 1 / (k + rank), rank 1-based."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class BM25:
    """Okapi BM25 over an inverted index, vectorised with numpy.

    rank_bm25.BM25Okapi rescans every document per query term in Python (and has to be rebuilt
    on every removal); postings arrays keep a query at 10,000 documents well under a
    millisecond. idf is the Lucene form log(1 + (N - n + 0.5) / (n + 0.5)), which stays
    positive for terms in most documents of a small corpus.
    """

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = BM25_K1, b: float = BM25_B):
        self.n_docs = len(corpus)
        lengths = np.array([len(doc) for doc in corpus], dtype=np.float32)
        avg = float(lengths.mean()) if self.n_docs and lengths.sum() else 1.0
        self._norm = (k1 * (1 - b + b * lengths / avg)).astype(np.float32)
        self._k1 = k1
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(corpus):
            for term, tf in Counter(doc).items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(i)
                tfs.append(tf)
        self._postings = {
            term: (np.array(docs, dtype=np.int32), np.array(tfs, dtype=np.float32))
            for term, (docs, tfs) in postings.items()
        }

    def idf(self, term: str) -> float:
        df = len(self._postings[term][0]) if term in self._postings else 0
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term, qtf in Counter(query).items():
            hit = self._postings.get(term)
            if hit is None:
                continue
            docs, tfs = hit
            out[docs] += qtf * self.idf(term) * tfs * (self._k1 + 1) / (tfs + self._norm[docs])
        return out


# --- the index -------------------------------------------------------------------------------


@dataclass
class _Entry:
    text: str
    metadata: dict[str, Any]
    tokens: list[str]
    vector: np.ndarray | None


@dataclass
class _Snapshot:
    ids: list[str]
    entries: list[_Entry]
    bm25: BM25
    matrix: np.ndarray | None  # (n, dim) rows of documents that have vectors
    vector_rows: np.ndarray  # document index of each matrix row
    position: dict[str, int]


class HybridIndex:
    def __init__(
        self,
        embed: EmbedFn | None = None,
        *,
        directory: Path | None = None,
        user_words: Iterable[str] = (),
        embed_model: str = "",
    ):
        self.embed = embed
        self.directory = Path(directory) if directory else None
        self.user_words = sorted({w.strip() for w in user_words if w.strip()})
        self.embed_model = embed_model
        self.dimensions = 0
        self._tokenizer = make_tokenizer(self.user_words)
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None

    # -- mutation --

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._entries

    def add(self, docs: Iterable[Document]) -> None:
        """Adds or replaces documents; embedding runs outside the lock, searches keep working."""
        docs = list({d.id: d for d in docs}.values())
        for doc in docs:
            if not doc.id or not doc.text.strip():
                raise InvalidInput(_("Every document needs an id and some text."))
        tokens = [tokenize_zh(d.text, self._tokenizer) for d in docs]
        vectors = self._embed_passages(self.embed, [d.text for d in docs]) if self.embed else None
        with self._lock:
            if vectors is not None:
                self._check_dimensions(vectors.shape[1])
            for i, doc in enumerate(docs):
                vector = vectors[i] if vectors is not None else None
                self._entries[doc.id] = _Entry(doc.text, dict(doc.metadata), tokens[i], vector)
            self._snapshot = None

    def remove(self, ids: Iterable[str]) -> int:
        with self._lock:
            removed = sum(self._entries.pop(i, None) is not None for i in ids)
            if removed:
                self._snapshot = None
            return removed

    def get(self, doc_id: str) -> Document | None:
        entry = self._entries.get(doc_id)
        return Document(doc_id, entry.text, dict(entry.metadata)) if entry else None

    def _embed_passages(self, embed: EmbedFn, texts: list[str]) -> np.ndarray:
        chunks = [
            _normalised(embed(texts[i : i + EMBED_BATCH], "passage"))
            for i in range(0, len(texts), EMBED_BATCH)
        ]
        if not chunks:
            return np.zeros((0, self.dimensions or 1), dtype=np.float32)
        matrix = np.concatenate(chunks)
        if matrix.shape[0] != len(texts):
            raise BackendUnavailable(_("The embedding function returned the wrong number of rows."))
        return matrix

    def _check_dimensions(self, dim: int) -> None:
        if self.dimensions and dim != self.dimensions:
            raise IndexRebuildNeeded(
                _("The embeddings have %(new)d dimensions but the index holds %(old)d.")
                % {"new": dim, "old": self.dimensions}
            )
        self.dimensions = dim

    # -- search --

    def search(
        self, query: str, k: int = 10, filters: dict[str, Any] | None = None
    ) -> list[SearchHit]:
        """Top-k documents by RRF of BM25 and cosine ranks.

        A filter value matches by equality, or by membership when it is a list/tuple/set.
        If the embedder is unavailable the search degrades to lexical instead of failing.
        """
        if not query.strip():
            raise InvalidInput(_("The search query is empty."))
        snap = self._current_snapshot()
        allowed = _filter_mask(snap.entries, filters)
        if not allowed.any():
            return []
        depth = max(RANK_DEPTH, k)
        bm25_ids = self._bm25_ranking(snap, query, allowed, depth)
        vector_ids = self._vector_ranking(snap, query, allowed, depth)
        rankings = [r for r in (bm25_ids, vector_ids) if r is not None]
        fused = rrf_fuse(rankings)[:k]
        bm25_rank = {doc_id: r for r, doc_id in enumerate(bm25_ids, start=1)}
        vector_rank = {doc_id: r for r, doc_id in enumerate(vector_ids or [], start=1)}
        hits = []
        for doc_id, score in fused:
            entry = snap.entries[snap.position[doc_id]]
            hits.append(
                SearchHit(
                    id=doc_id,
                    score=score,
                    bm25_rank=bm25_rank.get(doc_id),
                    vector_rank=vector_rank.get(doc_id),
                    text=entry.text,
                    metadata=dict(entry.metadata),
                )
            )
        return hits

    def _bm25_ranking(
        self, snap: _Snapshot, query: str, allowed: np.ndarray, depth: int
    ) -> list[str]:
        scores = snap.bm25.scores(tokenize_zh(query, self._tokenizer))
        candidates = np.flatnonzero((scores > 0) & allowed)
        return [snap.ids[i] for i in _top(candidates, scores[candidates], depth)]

    def _vector_ranking(
        self, snap: _Snapshot, query: str, allowed: np.ndarray, depth: int
    ) -> list[str] | None:
        if self.embed is None or snap.matrix is None or not len(snap.vector_rows):
            return None
        try:
            q = _normalised(self.embed([query], "query"))[0]
        except BackendUnavailable as exc:
            logger.warning("hybrid search falls back to BM25 only: %s", exc)
            return None
        if q.shape[0] != snap.matrix.shape[1]:
            raise IndexRebuildNeeded(
                _("The embeddings have %(new)d dimensions but the index holds %(old)d.")
                % {"new": q.shape[0], "old": snap.matrix.shape[1]}
            )
        sims = snap.matrix @ q  # cheaper than copying the allowed rows out first
        rows = np.flatnonzero(allowed[snap.vector_rows])
        return [snap.ids[snap.vector_rows[r]] for r in _top(rows, sims[rows], depth)]

    def _current_snapshot(self) -> _Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._build_snapshot()
            return self._snapshot

    def _build_snapshot(self) -> _Snapshot:
        ids = sorted(self._entries)
        entries = [self._entries[i] for i in ids]
        rows = np.array([i for i, e in enumerate(entries) if e.vector is not None], dtype=np.int64)
        matrix = np.stack([entries[i].vector for i in rows]) if len(rows) else None
        bm25 = BM25([e.tokens for e in entries])
        position = {doc_id: i for i, doc_id in enumerate(ids)}
        return _Snapshot(ids, entries, bm25, matrix, rows, position)

    # -- persistence --

    @classmethod
    def open(
        cls,
        directory: Path,
        embed: EmbedFn | None = None,
        *,
        user_words: Iterable[str] = (),
        embed_model: str = "",
    ) -> HybridIndex:
        """Loads the index in `directory` (an empty index if there is none yet); never embeds."""
        index = cls(embed, directory=directory, user_words=user_words, embed_model=embed_model)
        path = Path(directory) / INDEX_FILE  # = index.directory, typed Optional for cls()
        if path.exists():
            index._load(path)
        return index

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if state.get("version") != FORMAT_VERSION:
                raise IndexRebuildNeeded(_("The search index was written by another version."))
            docs = state["docs"]
            matrix = None
            if state["vector_file"]:
                matrix = np.load(self.directory / state["vector_file"], allow_pickle=False)
            self._restore(state, docs, matrix, path)
        except IndexRebuildNeeded:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self._entries.clear()
            raise IndexRebuildNeeded(
                _("The search index in %(path)s is unreadable; rebuild it.") % {"path": path.parent}
            ) from exc

    def _restore(self, state: dict, docs: list, matrix: np.ndarray | None, path: Path) -> None:
        if self.embed_model and state.get("embed_model") not in ("", self.embed_model):
            raise IndexRebuildNeeded(
                _("The search index was built with another embedding model; rebuild it.")
            )
        # A changed domain dictionary makes the stored tokens stale.
        retokenize = state.get("user_words", []) != self.user_words
        dim = int(state.get("dimensions", 0))
        n_vectors = sum(1 for d in docs if d.get("v", -1) >= 0)
        if (matrix is None and n_vectors) or (
            matrix is not None
            and (matrix.ndim != 2 or matrix.shape != (n_vectors, dim) or matrix.dtype != np.float32)
        ):
            raise IndexRebuildNeeded(
                _("The search index in %(path)s is unreadable; rebuild it.") % {"path": path.parent}
            )
        self.dimensions = dim
        for d in docs:
            row = d.get("v", -1)
            tokens = tokenize_zh(d["text"], self._tokenizer) if retokenize else d["tokens"]
            vector = matrix[row] if row >= 0 and matrix is not None else None
            self._entries[d["id"]] = _Entry(d["text"], d.get("metadata", {}), tokens, vector)

    def save(self) -> None:
        """Atomic: the vectors go to a new generation file, then index.json is swapped in."""
        if self.directory is None:
            raise InvalidInput(_("This search index has no directory to save to."))
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            docs: list[dict] = []
            vectors: list[np.ndarray] = []
            for doc_id in sorted(self._entries):
                entry = self._entries[doc_id]
                row = -1
                if entry.vector is not None:
                    row = len(vectors)
                    vectors.append(entry.vector)
                docs.append(
                    {
                        "id": doc_id,
                        "text": entry.text,
                        "metadata": entry.metadata,
                        "tokens": entry.tokens,
                        "v": row,
                    }
                )
            vector_file = ""
            if vectors:
                vector_file = f"vectors-{uuid.uuid4().hex}.npy"
                _atomic_write(
                    self.directory / vector_file,
                    lambda f: np.save(f, np.stack(vectors).astype(np.float32)),
                )
            state = {
                "version": FORMAT_VERSION,
                "dimensions": self.dimensions,
                "embed_model": self.embed_model,
                "user_words": self.user_words,
                "vector_file": vector_file,
                "docs": docs,
            }
            payload = json.dumps(state, ensure_ascii=False).encode("utf-8")
            _atomic_write(self.directory / INDEX_FILE, lambda f: f.write(payload))
            # The previous generation and orphans of crashed saves.
            for stale in self.directory.glob("vectors-*.npy"):
                if stale.name != vector_file:
                    stale.unlink(missing_ok=True)


def _atomic_write(path: Path, write: Callable[[Any], Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _top(items: np.ndarray, scores: np.ndarray, depth: int) -> np.ndarray:
    """The `depth` best items by score (ties by item order), best first."""
    if len(items) > depth:
        keep = np.argpartition(-scores, depth - 1)[:depth]
        items, scores = items[keep], scores[keep]
    return items[np.lexsort((items, -scores))]


def _normalised(vectors: np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _filter_mask(entries: list[_Entry], filters: dict[str, Any] | None) -> np.ndarray:
    if not filters:
        return np.ones(len(entries), dtype=bool)
    return np.array([_matches(e.metadata, filters) for e in entries], dtype=bool)


def _matches(metadata: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        value = metadata.get(key)
        if isinstance(wanted, list | tuple | set | frozenset):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True
