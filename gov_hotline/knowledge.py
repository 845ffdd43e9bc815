"""The policy knowledge base agents answer consultations from (直办): hybrid search over the
tenant's articles (suite.ai.search.HybridIndex, embeddings through the gateway), and an answer
from the tenant's chat model grounded on the hits, with citations. Without a chat model the
embedded extractive answerer quotes the best passages and says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.search import NO_ANSWER, Document, HybridIndex
from suite.ai.types import ChatMessage, Passage
from suite.tenancy.models import Tenant

from .models import Category, PolicyArticle

TOP_K = 3


def index_dir(tenant: Tenant) -> Path:
    return Path(settings.MEDIA_ROOT) / "gov_hotline" / "kb" / str(tenant.pk)


def _embedder(caller: gateway.Caller):
    def embed(texts: list[str], kind: str) -> np.ndarray:
        return gateway.embed(caller, texts, kind=kind).value.vectors

    return embed


def _document(article: PolicyArticle) -> Document:
    text = f"{article.title}\n{article.question}\n{article.answer}".strip()
    return Document(str(article.pk), text, {"title": article.title, "source": article.source})


def kb_open(caller: gateway.Caller) -> HybridIndex:
    return HybridIndex.open(index_dir(caller.tenant), embed=_embedder(caller))


def article_save(
    *,
    caller: gateway.Caller,
    title: str,
    answer: str,
    question: str = "",
    source: str = "",
    category: Category | None = None,
    article: PolicyArticle | None = None,
) -> PolicyArticle:
    tenant = caller.tenant
    title, answer = title.strip(), answer.strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the article a title.")
    if len(answer) < 10:
        errors["answer"] = _("Write the answer agents will read out (at least 10 characters).")
    if errors:
        raise ValidationError(errors)
    article = article or PolicyArticle(tenant=tenant)
    article.title, article.answer = title[:200], answer
    article.question, article.source = question.strip()[:300], source.strip()[:300]
    article.category = category
    article.save()
    # Embedding runs after the save has committed: no model call holds a transaction open.
    index = kb_open(caller)
    index.add([_document(article)])
    index.save()
    return article


@transaction.atomic
def article_delete(*, caller: gateway.Caller, article: PolicyArticle) -> None:
    """Removes the article and its entry in the tenant's index: agents stop being answered
    from it at once."""
    doc_id = str(article.pk)
    article.delete()
    index = kb_open(caller)
    index.remove([doc_id])
    index.save()


def kb_rebuild(*, caller: gateway.Caller) -> int:
    articles = list(PolicyArticle.objects.for_tenant(caller.tenant))
    index = HybridIndex(_embedder(caller), directory=index_dir(caller.tenant))
    if articles:
        index.add([_document(a) for a in articles])
    index.save()
    return len(articles)


@dataclass
class KbAnswer:
    text: str
    citations: list[dict] = field(default_factory=list)
    engine: str = ""
    fallback: bool = False


def kb_answer(*, caller: gateway.Caller, question: str) -> KbAnswer:
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Type the citizen's question.")})
    if len(question) > 500:
        raise ValidationError({"question": _("Keep the question under 500 characters.")})
    index = kb_open(caller)
    if not len(index):
        return KbAnswer(_("The knowledge base is empty."), fallback=True)
    hits = index.search(question, k=TOP_K)
    if not hits:
        return KbAnswer(_("No policy article matches this question."), fallback=True)
    passages = [
        Passage(id=h.id, text=h.text, source=h.metadata.get("title", ""), score=h.score)
        for h in hits
    ]
    served = gateway.chat(
        caller,
        [
            ChatMessage(
                "system",
                "你是12345政务服务热线的政策助手，回答要让坐席能直接读给市民听。",
            ),
            ChatMessage("user", question),
        ],
        passages=passages,
        max_tokens=300,
        temperature=0.0,
    )
    result = served.value
    if served.info.generative and NO_ANSWER in result.text:
        # The model read the passages and found no answer: nothing to cite.
        return KbAnswer(result.text, [], engine=served.info.engine)
    citations = [
        {"id": h.id, "title": h.metadata.get("title", ""), "source": h.metadata.get("source", "")}
        for h in hits
    ]
    # Only what the answer draws on (the gateway checked the model's markers against its
    # words); an extract stands on its first hit.
    cited = [c for c in citations if c["title"] in result.citations]
    if not cited and not served.info.generative:
        cited = citations[:1]
    return KbAnswer(result.text, cited, engine=served.info.engine, fallback=served.info.fallback)
