"""The tenant's order classifier: e5 sentence embeddings (through the gateway) joined with
character n-gram TF-IDF, and two logistic regressions (subcategory, request type) trained on
the tenant's labelled examples and confirmed orders. Trained as a job; one file per version."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from django.conf import settings
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.tenancy.models import Tenant

EMBED_BATCH = 64
EMBED_WEIGHT = 2.0  # the dense block weighs as much as the sparse one after scaling
MIN_EXAMPLES = 20


@dataclass
class Prediction:
    subcategory: str  # "top/sub"
    request_type: str
    sub_confidence: float
    type_confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    embedded: bool = True


@dataclass
class TrainedModel:
    tfidf: TfidfVectorizer
    sub_clf: LogisticRegression
    type_clf: LogisticRegression
    embed_dim: int
    embed_model: str

    def features(self, texts: list[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        lexical = self.tfidf.transform(texts)
        if vectors is None:
            vectors = np.zeros((len(texts), self.embed_dim), dtype=np.float32)
        return sparse.hstack([lexical, sparse.csr_matrix(vectors * EMBED_WEIGHT)]).tocsr()

    def predict(self, texts: list[str], vectors: np.ndarray | None) -> list[Prediction]:
        x = self.features(texts, vectors)
        sub_p = self.sub_clf.predict_proba(x)
        type_p = self.type_clf.predict_proba(x)
        out = []
        for i in range(len(texts)):
            order = np.argsort(sub_p[i])[::-1][:3]
            t = int(np.argmax(type_p[i]))
            out.append(
                Prediction(
                    subcategory=str(self.sub_clf.classes_[order[0]]),
                    request_type=str(self.type_clf.classes_[t]),
                    sub_confidence=float(sub_p[i][order[0]]),
                    type_confidence=float(type_p[i][t]),
                    candidates=[(str(self.sub_clf.classes_[j]), float(sub_p[i][j])) for j in order],
                    embedded=vectors is not None,
                )
            )
        return out


def fit(
    texts: list[str], vectors: np.ndarray, subs: list[str], types: list[str], embed_model: str
) -> TrainedModel:
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True)
    tfidf.fit(texts)
    model = TrainedModel(
        tfidf=tfidf,
        sub_clf=LogisticRegression(C=20.0, max_iter=2000),
        type_clf=LogisticRegression(C=10.0, max_iter=2000),
        embed_dim=vectors.shape[1],
        embed_model=embed_model,
    )
    x = model.features(texts, vectors)
    model.sub_clf.fit(x, subs)
    model.type_clf.fit(x, types)
    return model


def evaluate(model: TrainedModel, texts, vectors, subs, types) -> dict:
    predictions = model.predict(texts, vectors)
    got_sub = [p.subcategory for p in predictions]
    got_type = [p.request_type for p in predictions]
    got_top = [s.split("/")[0] for s in got_sub]
    want_top = [s.split("/")[0] for s in subs]
    return {
        "n": len(texts),
        "subcategory_accuracy": round(accuracy_score(subs, got_sub), 4),
        "subcategory_macro_f1": round(f1_score(subs, got_sub, average="macro", zero_division=0), 4),
        "category_accuracy": round(accuracy_score(want_top, got_top), 4),
        "category_macro_f1": round(
            f1_score(want_top, got_top, average="macro", zero_division=0), 4
        ),
        "request_type_accuracy": round(accuracy_score(types, got_type), 4),
        "request_type_macro_f1": round(
            f1_score(types, got_type, average="macro", zero_division=0), 4
        ),
    }


def embed_texts(caller: gateway.Caller, texts: list[str], kind: str) -> tuple[np.ndarray, str]:
    """Embeds through the gateway in batches; returns (vectors, model name)."""
    chunks, model = [], ""
    for i in range(0, len(texts), EMBED_BATCH):
        served = gateway.embed(caller, texts[i : i + EMBED_BATCH], kind=kind)
        chunks.append(served.value.vectors.astype(np.float32))
        model = served.info.model
    return np.concatenate(chunks), model


def try_embed_query(caller: gateway.Caller, text: str) -> np.ndarray | None:
    """A query vector, or None when the embedding model is unavailable (the classifier then runs
    on the lexical features alone; the draft says so)."""
    try:
        return embed_texts(caller, [text], "passage")[0][0]
    except AiError:
        return None


def model_dir(tenant: Tenant) -> Path:
    return Path(settings.MEDIA_ROOT) / "gov_hotline" / "classifiers" / str(tenant.pk)


_cache: dict[str, TrainedModel] = {}
_lock = threading.Lock()


def load(path: str) -> TrainedModel:
    with _lock:
        model = _cache.get(path)
        if model is None:
            model = joblib.load(path)
            _cache[path] = model
        return model


def save(model: TrainedModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
