"""The demo seed embeds each passage once for every demo tenant (shared_passage_vectors), while
each tenant keeps an index of its own articles only."""

import numpy as np
import pytest

from customer_service import knowledge
from customer_service.services.knowledge import article_create
from suite.ai import gateway

pytestmark = pytest.mark.django_db

SAME = [
    ("国际漫游开通", "出国前可以开通国际漫游功能，日本和韩国漫游流量包每天25元。", "漫游"),
    ("流量加油包订购", "流量用完后可以订购流量加油包，10元1GB，当月有效。", "流量"),
]


@pytest.fixture
def embedded(monkeypatch):
    """Every passage text sent to the embedding model, with the tenant it was sent for."""
    sent: list[tuple[int, str]] = []
    real = gateway.embed

    def spy(caller, texts, **kwargs):
        if kwargs.get("kind") == "passage":
            sent.extend((caller.tenant.pk, t) for t in texts)
        return real(caller, texts, **kwargs)

    monkeypatch.setattr(gateway, "embed", spy)
    return sent


def seed(tenant, extra=None):
    rows = [*SAME, *([extra] if extra else [])]
    return [
        article_create(tenant=tenant, title=t, body=b, category=c, status="published")
        for t, b, c in rows
    ]


def test_identical_passages_are_embedded_once_across_tenants(tenant_a, tenant_b, embedded):
    ours = seed(tenant_a)
    theirs = seed(tenant_b, ("成都宽带报装", "成都地区千兆宽带报装后48小时内上门安装。", "宽带"))
    with knowledge.shared_passage_vectors():
        index_a, vectors_a = knowledge.tenant_index(tenant_a)
        index_b, vectors_b = knowledge.tenant_index(tenant_b)
    assert vectors_a and vectors_b
    # Tenant B's model calls covered only the article tenant A does not have.
    assert [t for pk, t in embedded if pk == tenant_a.pk] == [
        knowledge._document_text(a) for a in ours
    ]
    assert [t for pk, t in embedded if pk == tenant_b.pk] == [knowledge._document_text(theirs[-1])]
    # Each index holds its own tenant's articles only, under their own ids.
    assert sorted(knowledge._ids(index_a)) == sorted(str(a.pk) for a in ours)
    assert sorted(knowledge._ids(index_b)) == sorted(str(a.pk) for a in theirs)
    hits_b, _ = knowledge.search(tenant_b, "国际漫游怎么开通")
    assert hits_b and {h.id for h in hits_b} <= {a.pk for a in theirs}
    # The reused vectors are the ones tenant A's index computed for the same text.
    row_a = index_a._entries[str(ours[0].pk)]
    row_b = index_b._entries[str(theirs[0].pk)]
    assert row_a.vector is not None and np.array_equal(row_a.vector, row_b.vector)


def test_outside_the_block_every_tenant_embeds_its_own(tenant_a, tenant_b, embedded):
    seed(tenant_a)
    seed(tenant_b)
    knowledge.tenant_index(tenant_a)
    knowledge.tenant_index(tenant_b)
    assert len([1 for pk, _ in embedded if pk == tenant_a.pk]) == len(SAME)
    assert len([1 for pk, _ in embedded if pk == tenant_b.pk]) == len(SAME)


def test_a_reused_vector_is_the_one_the_tenant_would_have_computed(tenant_a, tenant_b):
    seed(tenant_a)
    theirs = seed(tenant_b)
    with knowledge.shared_passage_vectors() as memo:
        knowledge.tenant_index(tenant_a)
        index_b, _ = knowledge.tenant_index(tenant_b)
        assert len(memo) == len(SAME)
    own = gateway.embed(
        gateway.Caller(tenant=tenant_b),
        [knowledge._document_text(a) for a in theirs],
        kind="passage",
    ).value.vectors
    reused = np.stack([index_b._entries[str(a.pk)].vector for a in theirs])
    own = own / np.linalg.norm(own, axis=1, keepdims=True)
    assert np.allclose(reused, own, atol=1e-5)
