"""Issue 16: a chart of counts never labels its gridlines 0.5 or 1.5 (a count axis of 2 read
0 0.5 1 1.5 2, an empty one 0 0.2 0.5 0.8 1)."""

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from django.utils import translation

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
    # 14 series on 8 colours: the 7 largest and one grey item for the rest (see below).
    assert len(swatches) == len(texts) == len(charts.PALETTE)
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


def test_more_series_than_colours_fold_the_smallest_into_one_grey_item():
    """The 12345 trend stacked 14 categories on 8 colours: 交通运输 and 城乡建设 were the same
    blue, so a bar could not be read."""
    days = [date(2026, 12, 1), date(2026, 12, 2)]
    names = [f"类别{n:02d}" for n in range(12)]
    # 类别00 is the largest, 类别11 the smallest; each has one order on the second day too.
    series = {name: {days[0]: 20 - n, days[1]: 1} for n, name in enumerate(names)}
    with translation.override("en"):
        chart = charts.stacked_bar_chart(
            chart_id="c", title="t", desc="d", days=days, series=series
        )
    svg = ElementTree.fromstring(str(chart)).find(f"{NS}svg")  # noqa: S314 - our own output
    legend = next(g for g in svg.iter(f"{NS}g") if g.get("class") == "legend")
    shown = [t.text for t in legend.iter(f"{NS}text")]
    assert shown[:-1] == names[:7]
    assert shown[-1] == "5 others"
    colours = [r.get("fill") for r in legend.iter(f"{NS}rect")]
    assert len(set(colours)) == len(colours) == len(charts.PALETTE)
    assert colours[-1] == charts.REST_COLOUR
    bars = next(g for g in svg.iter(f"{NS}g") if g.get("class") == "bars")
    rest = [r.find(f"{NS}title").text for r in bars if r.get("fill") == charts.REST_COLOUR]
    # The folded item is the sum of the five smallest: (13+12+11+10+9) and 5 x 1.
    assert rest == ["2026-12-01 · 5 others: 55", "2026-12-02 · 5 others: 5"]
    # No day loses an order to the folding.
    assert sum(float(r.find(f"{NS}title").text.rsplit(": ", 1)[1]) for r in bars) == sum(
        sum(s.values()) for s in series.values()
    )


def test_the_folded_item_is_labelled_in_chinese():
    days = [date(2026, 12, 1)]
    series = {f"s{n}": {days[0]: 1} for n in range(10)}
    with translation.override("zh-hans"):
        chart = str(
            charts.stacked_bar_chart(chart_id="c", title="t", desc="d", days=days, series=series)
        )
    assert "其余3类" in chart
