"""The tenant's order classifier, trained as a job (one file per version) on the tenant's
labelled examples, confirmed orders and corrections.

Subcategory: a linear SVM over concatenated features, the e5 sentence embedding (through the
gateway, weighted) and character 1-2-gram TF-IDF of the text, which catches the taxonomy's
keywords (噪音, 欠薪, 燃气...) that the embedding blurs. It also learns from one prototype per
subcategory, its "category: subcategory" name, so a new or rare subcategory is not invisible.
The SVM's margins become probabilities through a softmax whose temperature is fitted on
out-of-fold margins of the training rows (calibration). The top-level category is the one with
the most probability summed over its subcategories, and the subcategory is the best one inside
it, so the two levels never disagree. Request type: logistic regression on the embedding.
Choices (features, weights, C) were made by cross-validation inside the training part of the
benchmark's split; see bench/gov_hotline_classify.py."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.tenancy.models import Tenant

EMBED_BATCH = 64
EMBED_WEIGHT = 3.0
SUB_C = 10.0
TYPE_C = 20.0
MIN_EXAMPLES = 20
TEMPERATURES = (1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)


@dataclass
class Prediction:
    subcategory: str  # "top/sub"
    request_type: str
    sub_confidence: float
    type_confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    category_confidence: float = 0.0
    # Every request type's probability: the draft weighs the language model's type against it.
    type_probabilities: dict[str, float] = field(default_factory=dict)


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class TrainedModel:
    tfidf: TfidfVectorizer
    sub_clf: LinearSVC
    type_clf: LogisticRegression
    embed_dim: int
    embed_model: str
    temperature: float = 5.0

    def features(self, texts: list[str], vectors: np.ndarray):
        return _features(self.tfidf, texts, vectors)

    def sub_probabilities(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        scores = self.sub_clf.decision_function(self.features(texts, vectors))
        return _softmax(np.atleast_2d(scores), self.temperature)

    def predict(self, texts: list[str], vectors: np.ndarray) -> list[Prediction]:
        sub_p = self.sub_probabilities(texts, vectors)
        type_p = self.type_clf.predict_proba(vectors)
        classes = [str(c) for c in self.sub_clf.classes_]
        tops = np.array([c.split("/")[0] for c in classes])
        out = []
        for i in range(len(vectors)):
            # The top level from the whole distribution, then the best subcategory inside it.
            top_mass = {t: float(sub_p[i][tops == t].sum()) for t in set(tops)}
            top = max(top_mass, key=top_mass.__getitem__)
            inside = np.where(tops == top)[0]
            best = int(inside[np.argmax(sub_p[i][inside])])
            order = [best, *[int(j) for j in np.argsort(sub_p[i])[::-1] if j != best][:2]]
            t = int(np.argmax(type_p[i]))
            out.append(
                Prediction(
                    subcategory=classes[best],
                    request_type=str(self.type_clf.classes_[t]),
                    sub_confidence=float(sub_p[i][best]),
                    type_confidence=float(type_p[i][t]),
                    candidates=[(classes[j], float(sub_p[i][j])) for j in order],
                    category_confidence=top_mass[top],
                    type_probabilities={
                        str(c): float(p)
                        for c, p in zip(self.type_clf.classes_, type_p[i], strict=True)
                    },
                )
            )
        return out


def _features(tfidf: TfidfVectorizer, texts: list[str], vectors: np.ndarray):
    return sp.hstack([sp.csr_matrix(vectors * EMBED_WEIGHT), tfidf.transform(texts)]).tocsr()


def prototype_text(name: str) -> str:
    """The text embedded as a subcategory's prototype ("生态环境：噪音污染")."""
    return name.replace("/", "：")


def _fit_sub(texts, vectors, subs, prototypes):
    proto_texts = [prototype_text(n) for n in prototypes[1]] if prototypes else []
    tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    tfidf.fit(list(texts) + proto_texts)
    x = _features(tfidf, list(texts), vectors)
    y = list(subs)
    if prototypes is not None:
        x = sp.vstack([x, _features(tfidf, proto_texts, prototypes[0])]).tocsr()
        y = y + list(prototypes[1])
    return tfidf, LinearSVC(C=SUB_C, max_iter=10000).fit(x, y)


def _fit_temperature(texts, vectors, subs, prototypes) -> float:
    """The softmax temperature that minimises the log-loss of out-of-fold margins."""
    if len(subs) < 30:
        return 5.0
    margins, truth = [], []
    for train, held in KFold(n_splits=3, shuffle=True, random_state=0).split(vectors):
        tfidf, clf = _fit_sub([texts[i] for i in train], vectors[train], subs[train], prototypes)
        scores = clf.decision_function(_features(tfidf, [texts[i] for i in held], vectors[held]))
        index = {c: j for j, c in enumerate(clf.classes_)}
        for row, want in zip(scores, subs[held], strict=True):
            if want in index:
                margins.append(row)
                truth.append(index[want])
        # Folds share the classes because every prototype is in every fold's training part.
    if not margins or len({len(m) for m in margins}) != 1:
        return 5.0
    scores = np.vstack(margins)
    idx = np.array(truth)

    def loss(t: float) -> float:
        return float(-np.log(_softmax(scores, t)[np.arange(len(idx)), idx] + 1e-12).mean())

    return min(TEMPERATURES, key=loss)


def fit(
    texts: list[str],
    vectors: np.ndarray,
    subs: list[str],
    types: list[str],
    embed_model: str,
    prototypes: tuple[np.ndarray, list[str]] | None = None,
) -> TrainedModel:
    subs_arr = np.array(subs)
    with warnings.catch_warnings():
        # One prototype per subcategory means many classes with few rows: expected here.
        warnings.filterwarnings("ignore", message="The number of unique classes")
        tfidf, sub_clf = _fit_sub(list(texts), vectors, subs_arr, prototypes)
        temperature = _fit_temperature(list(texts), vectors, subs_arr, prototypes)
    type_clf = LogisticRegression(C=TYPE_C, max_iter=3000).fit(vectors, types)
    return TrainedModel(
        tfidf=tfidf,
        sub_clf=sub_clf,
        type_clf=type_clf,
        embed_dim=vectors.shape[1],
        embed_model=embed_model,
        temperature=temperature,
    )


def evaluate(model: TrainedModel, texts, vectors, subs, types) -> dict:
    predictions = model.predict(list(texts), vectors)
    got_sub = [p.subcategory for p in predictions]
    got_type = [p.request_type for p in predictions]
    got_top = [s.split("/")[0] for s in got_sub]
    want_top = [s.split("/")[0] for s in subs]
    return {
        "n": len(subs),
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
    """The text's vector, or None when the embedding model is unavailable (the draft then
    leaves the category to the agent and says why)."""
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
