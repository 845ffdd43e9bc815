"""The classifier's own logic, without the embedding model (vectors are given)."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from gov_hotline import classifier

TEXTS = {
    "生态环境/噪音污染": ["楼下酒吧噪音太大", "工地晚上施工噪音扰民", "广场舞音响噪音很吵"],
    "劳动保障/欠薪": ["老板拖欠工资三个月", "公司欠薪不发工资", "包工头拖欠农民工工资"],
    "公用事业/燃气": ["小区燃气管道漏气", "燃气公司停气没通知", "家里燃气表坏了"],
}


def _rows():
    texts, subs = [], []
    for sub, items in TEXTS.items():
        for text in items * 4:
            texts.append(text)
            subs.append(sub)
    return texts, subs


def test_text_features_classify_when_the_embedding_says_nothing():
    texts, subs = _rows()
    # Identical vectors: only the character n-grams can tell the classes apart.
    vectors = np.ones((len(texts), 8), dtype=np.float32)
    types = ["投诉"] * len(texts)
    types[0] = "求助"
    model = classifier.fit(texts, vectors, subs, types, "probe")
    got = model.predict(
        ["隔壁装修噪音", "单位拖欠工资", "燃气漏气了"], np.ones((3, 8), dtype=np.float32)
    )
    assert [p.subcategory for p in got] == list(TEXTS)
    for p in got:
        assert 0 < p.sub_confidence <= p.category_confidence <= 1
        assert p.candidates[0] == (p.subcategory, p.sub_confidence)
        assert len({c for c, _ in p.candidates}) == len(p.candidates)
    assert model.temperature in classifier.TEMPERATURES


class _Scores:
    """A stand-in SVM with fixed margins."""

    classes_ = np.array(
        ["交通运输/出租车", "城乡建设/违法建设", "城乡建设/市容环境", "城乡建设/物业"]
    )

    def decision_function(self, x):
        return np.array([[0.50, 0.40, 0.40, 0.40]])


def test_top_level_comes_from_the_whole_distribution_and_the_subcategory_agrees():
    tfidf = TfidfVectorizer(analyzer="char").fit(["占位"])
    type_clf = LogisticRegression().fit(np.array([[0.0], [1.0]]), ["咨询", "投诉"])
    model = classifier.TrainedModel(
        tfidf=tfidf,
        sub_clf=_Scores(),
        type_clf=type_clf,
        embed_dim=1,
        embed_model="probe",
        temperature=5.0,
    )
    (prediction,) = model.predict(["任何"], np.zeros((1, 1)))
    # 交通运输 has the single best margin, but 城乡建设 holds more probability in total.
    assert prediction.subcategory.startswith("城乡建设/")
    assert prediction.category_confidence > 0.5 > prediction.sub_confidence
    assert prediction.candidates[1][0] == "交通运输/出租车"
