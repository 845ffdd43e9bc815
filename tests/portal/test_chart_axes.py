"""Issue 16: a chart of counts never labels its gridlines 0.5 or 1.5 (a count axis of 2 read
0 0.5 1 1.5 2, an empty one 0 0.2 0.5 0.8 1)."""

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from suite.portal import charts

NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 4), (2, 4), (4, 4), (5, 8), (7, 8), (10, 20), (16, 20), (100, 100), (120, 200)],
)
def test_count_axis_tops_have_whole_gridlines(value, top):
    assert charts.count_max(value) == top
    assert all(float(top * n / 4).is_integer() for n in range(5))


@pytest.mark.parametrize("most", [0, 2, 3, 6])
def test_a_stacked_bar_chart_of_counts_labels_whole_numbers(most):
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(3)]
    svg = ElementTree.fromstring(  # noqa: S314 - our own output
        str(
            charts.stacked_bar_chart(
                chart_id="c", title="t", desc="d", days=days, series={"chat": {days[1]: most}}
            )
        )
    )
    axis = next(g for g in svg.iter(f"{NS}g") if g.get("class") == "axis")
    ticks = [t.text for t in axis.iter(f"{NS}text") if "-" not in t.text]  # not the dates
    assert len(ticks) == 5
    assert all(t.replace(",", "").isdigit() for t in ticks), ticks
    assert int(ticks[-1]) >= most


def test_legend_labels_in_chinese_never_run_into_the_next_swatch():
    from suite.ai.labelling import cjk_font

    font = cjk_font(11)
    days = [date(2026, 12, 1)]
    names = ["交通运输", "住房保障", "公共安全", "公用事业", "其他", "农业农村", "劳动保障"]
    names += ["医疗卫生", "城乡建设", "市场监管", "教育", "民政", "生态环境", "chat"]
    series = {name: {days[0]: 1} for name in names}
    chart = charts.stacked_bar_chart(chart_id="c", title="t", desc="d", days=days, series=series)
    svg = ElementTree.fromstring(str(chart)).find(f"{NS}svg")  # noqa: S314 - our own output
    legend = next(g for g in svg.iter(f"{NS}g") if g.get("class") == "legend")
    swatches = [(float(r.get("x")), float(r.get("y"))) for r in legend.iter(f"{NS}rect")]
    texts = [(float(t.get("x")), t.text) for t in legend.iter(f"{NS}text")]
    assert len(swatches) == len(texts) == len(names)
    width = float(svg.get("viewBox").split()[2])
    following = [*swatches[1:], (0.0, -1.0)]
    for (_x, y), (text_x, text), (next_x, next_y) in zip(swatches, texts, following, strict=True):
        end = text_x + font.getlength(text)  # the text as a CJK font really sets it
        assert end <= width, text
        if next_y == y:  # the next item on the same row starts after this text ends
            assert next_x > end, (text, end, next_x)


@pytest.mark.parametrize(
    ("spend", "ticks"),
    [
        (0.0, ["¥0.00", "¥0.01", "¥0.02", "¥0.03", "¥0.04"]),
        (0.37, ["¥0.00", "¥0.10", "¥0.20", "¥0.30", "¥0.40"]),
        (1234.5, ["¥0.00", "¥500.00", "¥1,000.00", "¥1,500.00", "¥2,000.00"]),
    ],
)
def test_a_chart_of_spend_labels_its_gridlines_in_yuan(spend, ticks):
    day = date(2026, 12, 1)
    svg = ElementTree.fromstring(  # noqa: S314 - our own output
        str(
            charts.stacked_bar_chart(
                chart_id="s", title="t", desc="d", days=[day], series={"chat": {day: spend}},
                money=True,
            )
        )
    )  # fmt: skip
    axis = next(g for g in svg.iter(f"{NS}g") if g.get("class") == "axis")
    assert [t.text for t in axis.iter(f"{NS}text") if t.text.startswith("¥")] == ticks
    titles = [r.find(f"{NS}title") for r in svg.iter(f"{NS}rect")]
    bars = [title.text for title in titles if title is not None]
    assert bars == ([] if not spend else [f"2026-12-01 · chat: ¥{spend:,.2f}"])
