"""Knowledge retrieval: tenant isolation, edits visible at once, graceful degradation."""

import pytest

from customer_service import knowledge
from customer_service.services.knowledge import article_create, article_update
from suite.ai import services as ai_services
from suite.ai.capabilities import Unit
from suite.ai.models import Period

pytestmark = pytest.mark.django_db


def titles(hits) -> list[str]:
    return [h.title for h in hits]


def test_edits_and_unpublishing_are_searchable_at_once(tenant_a, kb_a):
    hits, vectors = knowledge.search(tenant_a, "携号转网条件")
    assert vectors and "携号转网条件" not in titles(hits)
    article = article_create(tenant=tenant_a, title="携号转网条件", body="在网满六个月、无欠费。",
                             status="published")  # fmt: skip
    assert titles(knowledge.search(tenant_a, "携号转网条件")[0])[0] == "携号转网条件"
    article_update(article=article, status="archived")
    assert "携号转网条件" not in titles(knowledge.search(tenant_a, "携号转网条件")[0])


def test_only_changed_articles_are_re_embedded(tenant_a, kb_a, monkeypatch):
    knowledge.search(tenant_a, "宽带")
    knowledge.forget(tenant_a.pk)  # a new process: the saved index is reopened, not rebuilt
    embedded: list[int] = []
    real = knowledge.gateway.embed

    def counting(caller, texts, **kw):
        if kw.get("kind") == "passage":
            embedded.append(len(texts))
        return real(caller, texts, **kw)

    monkeypatch.setattr(knowledge.gateway, "embed", counting)
    article_update(article=kb_a[0], body=kb_a[0].body + "办理请咨询营业厅。")
    knowledge.search(tenant_a, "5G畅享套餐")
    assert embedded == [1]


def test_an_exhausted_embedding_quota_degrades_to_lexical_search(tenant_a, kb_a):
    ai_services.quota_set(
        tenant=tenant_a, capability="embed", unit=Unit.REQUESTS, period=Period.DAY, limit=0
    )
    hits, vectors = knowledge.search(tenant_a, "国际漫游开通")
    assert vectors is False
    assert titles(hits)[0] == "国际漫游开通"


def test_tenants_never_see_each_others_articles(tenant_a, tenant_b, kb_a):
    article_create(tenant=tenant_b, title="成都天府通卡", body="天府通卡国际漫游优惠。",
                   status="published")  # fmt: skip
    assert "成都天府通卡" not in titles(knowledge.search(tenant_a, "天府通卡 国际漫游")[0])
    assert titles(knowledge.search(tenant_b, "天府通卡")[0]) == ["成都天府通卡"]


def test_everyday_words_find_the_article_that_uses_the_operators_terms(tenant_a, kb_a, monkeypatch):
    article_create(tenant=tenant_a, title="宽带移机办理", category="宽带", status="published",
                   body="宽带移机需新地址具备光纤覆盖条件，办理后3个工作日内上门。")  # fmt: skip
    question = "搬家了，家里的网能跟着搬过去吗"
    assert titles(knowledge.search(tenant_a, question)[0])[0] == "宽带移机办理"

    monkeypatch.setattr(knowledge.search_terms, "expand", lambda query: query)
    knowledge._cache.clear()
    assert titles(knowledge.search(tenant_a, question)[0])[0] != "宽带移机办理"


@pytest.mark.parametrize(
    ("said", "searched"),
    [
        ("我想换个每个月有100个G的", "100GB"),
        ("38一个月那个卡包含啥", "38元"),
        ("20块钱的流量包", "20元"),
        ("换了5G手机怎么还是用不上5G", None),  # the network, not a data amount
        ("我开了梯子刷视频，免流怎么不算了", "定向流量"),
    ],
)
def test_amounts_and_words_are_searched_in_the_articles_terms(said, searched):
    from customer_service.search_terms import expand

    expanded = expand(said)
    if searched is None:
        assert expanded == said
    else:
        assert searched in expanded


def test_an_edited_terms_file_applies_without_a_restart_and_a_bad_line_is_skipped(
    tmp_path, monkeypatch
):
    import os

    from customer_service import search_terms

    rules = tmp_path / "search_terms.tsv"
    rules.write_text("搬家\t移机\n", encoding="utf-8")
    monkeypatch.setattr(search_terms, "RULES_FILE", rules)
    assert "移机" in search_terms.expand("搬家了网怎么办")

    rules.write_text("([unclosed\t坏规则\n家里的网\t宽带\n", encoding="utf-8")
    later = rules.stat().st_mtime_ns + 1_000_000_000
    os.utime(rules, ns=(later, later))

    expanded = search_terms.expand("搬家了家里的网怎么办")
    assert "移机" not in expanded  # the old list is no longer in force
    assert "宽带" in expanded  # the good line after the bad one still applies
