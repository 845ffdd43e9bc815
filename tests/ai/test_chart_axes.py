"""Issue 16: a chart of counts never labels its gridlines 0.5 or 1.5 (a count axis of 2 read
0 0.5 1 1.5 2, an empty one 0 0.2 0.5 0.8 1)."""

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from suite.ai import charts

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
