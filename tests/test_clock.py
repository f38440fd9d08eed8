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
