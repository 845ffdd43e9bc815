"""When a quota's window ends: what a refused caller is told to wait for (Retry-After)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from suite.ai.models import Period
from suite.ai.quota import window_end, window_start

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("period", "now", "end"),
    [
        (Period.MINUTE, datetime(2026, 12, 7, 10, 15, 42), datetime(2026, 12, 7, 10, 16)),
        (Period.HOUR, datetime(2026, 12, 7, 10, 15, 42), datetime(2026, 12, 7, 11, 0)),
        (Period.DAY, datetime(2026, 12, 31, 23, 59, 59), datetime(2027, 1, 1, 0, 0)),
        (Period.MONTH, datetime(2026, 12, 7, 10, 15), datetime(2027, 1, 1, 0, 0)),
        (Period.MONTH, datetime(2027, 1, 31, 8, 0), datetime(2027, 2, 1, 0, 0)),
        (Period.MONTH, datetime(2027, 2, 28, 8, 0), datetime(2027, 3, 1, 0, 0)),
    ],
)
def test_a_window_ends_where_the_next_one_starts(settings, period, now, end):
    settings.TIME_ZONE = "Asia/Shanghai"
    now, end = now.replace(tzinfo=SHANGHAI), end.replace(tzinfo=SHANGHAI)
    start = window_start(period, now)
    assert window_end(period, start) == end
    assert window_start(period, end) == end  # the next window begins there
