"""Months, the score scale and star bands of the 星级楼栋 contest."""
from datetime import datetime, timezone

import pytest

from lib.core import clock
from lib.core.errors import ValidationError
from lib.ranking import months


NOW = datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc)  # 1 Nov 01:00 in Shanghai


@pytest.mark.parametrize("typed, month", [
    ("2026-10", "2026-10"), ("2026年10月", "2026-10"), (" 2026/9 ", "2026-09"), ("2025-1", "2025-01"),
    ("2026-11", "2026-11"), ("2000-01", "2000-01"),
])
def test_a_month_is_read_as_people_write_it(typed, month):
    with clock.pretend(NOW):
        assert months.parse_month(typed) == month


@pytest.mark.parametrize("typed", ["2026-13", "2026-0", "十月", "", None, 202610, "1999-12"])
def test_a_malformed_month_is_refused_in_chinese(typed):
    with pytest.raises(ValidationError) as refused:
        months.parse_month(typed)
    assert "月份格式" in refused.value.fields["month"]


def test_the_month_follows_shanghai_and_the_future_is_refused():
    with clock.pretend(NOW):
        assert months.current_month() == "2026-11"
        with pytest.raises(ValidationError) as refused:
            months.parse_month("2026-12")
    assert refused.value.fields["month"] == "不能评比未来的月份。"


@pytest.mark.parametrize("tenths, stars", [
    (1000, 5), (900, 5), (899, 4), (800, 4), (799, 3), (700, 3), (699, 2), (600, 2), (599, 1), (0, 1),
])
def test_stars_follow_the_score_bands(tenths, stars):
    assert months.stars_for(tenths) == stars


def test_months_step_over_the_year_and_read_in_chinese():
    assert months.previous_month("2026-01") == "2025-12"
    assert months.previous_month("2026-10") == "2026-09"
    assert months.next_month("2026-12") == "2027-01"
    assert months.next_month("2026-09") == "2026-10"
    assert months.month_bounds("2026-12") == ("2026-12-01", "2027-01-01")
    assert months.month_label("2026-03") == "2026年3月"
    assert months.score_text(875) == "87.5" and months.score_text(1000) == "100.0"
    assert months.stars_text(3) == "★★★☆☆"


def test_a_month_row_is_created_once_and_refuses_change_once_published(db):
    untouched = months.get_month(db, "2026-10")
    assert (untouched.month, untouched.status, untouched.weights) == ("2026-10", months.DRAFT, [])
    months.ensure_month(db, "2026-09")
    assert months.get_month(db, "2026-09").weights == []
    months.ensure_month(db, "2026-10")
    months.ensure_month(db, "2026-10")
    months.require_draft(db, "2026-10")
    db.execute("UPDATE ranking_months SET status = 'published', weights = '[{\"name\": \"环境卫生\"}]'"
               " WHERE month = '2026-10'")
    found = months.get_month(db, "2026-10")
    assert found.is_published and found.weights == [{"name": "环境卫生"}]
    assert found.label == "2026年10月"
    with pytest.raises(ValidationError) as refused:
        months.require_draft(db, "2026-10")
    assert refused.value.fields["month"] == "2026年10月的评比已公布，不能再修改。"
    assert months.published_months(db) == ["2026-10"]
