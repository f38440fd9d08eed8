"""The clock: UTC stored, Shanghai shown, and the demo seeding's pretended past."""
from datetime import date, datetime, timezone

import pytest

from lib.core import clock


def test_pretend_moves_now_and_today_for_the_block_only():
    moment = datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc)
    with clock.pretend(moment):
        assert clock.now_iso() == "2025-12-31T16:30:00+00:00"
        assert clock.local_today() == date(2026, 1, 1)  # already New Year in Shanghai
    assert clock.utc_now().year >= 2026 and clock.utc_now() != moment


def test_pretend_refuses_a_naive_time():
    with pytest.raises(ValueError):
        with clock.pretend(datetime(2025, 1, 1)):
            pass


def test_local_text_shows_shanghai_time():
    assert clock.local_text("2025-12-31T16:30:00+00:00") == "2026-01-01 00:30"
    assert clock.local_text(None) == ""


def test_a_day_is_read_from_a_date_its_iso_text_or_a_moment_in_shanghai():
    late_evening = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)  # 01:00 on 2 March there
    assert clock.as_day(late_evening) == date(2026, 3, 2)
    assert clock.as_day(datetime(2026, 3, 1, 23, 0)) == date(2026, 3, 1)  # naive: as written
    assert clock.as_day(date(2026, 3, 1)) == date(2026, 3, 1)
    assert clock.as_day(" 2026-03-01 ") == date(2026, 3, 1)
    for not_a_day in (None, "", "三月一日", "2026-02-30", 20260301):
        assert clock.as_day(not_a_day) is None


def test_a_day_ahead_is_from_today_up_to_two_years_in_shanghai():
    with clock.pretend(datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)):  # 2 March there
        assert clock.not_a_day_ahead(date(2026, 3, 1), "会议日期") == "会议日期不能早于今天。"
        assert clock.not_a_day_ahead(date(2026, 3, 2), "会议日期") is None
        last = date(2026, 3, 2).toordinal() + clock.DAYS_AHEAD_MAX
        assert clock.not_a_day_ahead(date.fromordinal(last), "完成期限") is None
        assert clock.not_a_day_ahead(date.fromordinal(last + 1), "完成期限") == \
            "完成期限不能晚于两年之后。"
