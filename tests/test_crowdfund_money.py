"""Money as typed and as printed: integer fen, never a float, and the match exact to the fen."""
from decimal import Decimal

import pytest

from lib.core.errors import ValidationError
from lib.crowdfund.money import (MAX_PLEDGE_FEN, match_total, match_unlocked, parse_yuan,
                                 yuan_text)


@pytest.mark.parametrize("typed, fen", [
    ("100", 10_000), ("100.5", 10_050), ("100.50", 10_050), ("0.01", 1), ("１００元", 10_000),
    ("¥1,000.00", 100_000), (" 88 ", 8_800), (100, 10_000), (0.1, 10), (12.34, 1_234),
    (Decimal("0.30"), 30), ("100000", MAX_PLEDGE_FEN),
])
def test_parse_yuan_reads_what_people_type(typed, fen):
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize("typed, message", [
    ("0", "金额必须大于 0。"), ("-5", "金额必须大于 0。"), ("0.00", "金额必须大于 0。"),
    ("0.001", "金额最多精确到分（小数点后两位）。"), ("1e3", "请输入金额，例如 100 或 100.50。"),
    ("abc", "请输入金额，例如 100 或 100.50。"), ("", "请输入金额。"), (None, "请输入金额。"),
    (float("nan"), "请输入金额，例如 100 或 100.50。"), (float("inf"), "请输入金额，例如 100 或 100.50。"),
    (True, "请输入金额，例如 100 或 100.50。"), ("1.2.3", "请输入金额，例如 100 或 100.50。"),
    ("100000.01", "金额不能超过 100,000.00 元，请检查是否多输了位数。"),
])
def test_parse_yuan_refuses_in_chinese(typed, message):
    with pytest.raises(ValidationError) as caught:
        parse_yuan(typed, field="amount")
    assert caught.value.fields == {"amount": message}


def test_parse_yuan_bounds_are_the_callers():
    assert parse_yuan("0", low_fen=0) == 0
    with pytest.raises(ValidationError) as caught:
        parse_yuan("5", field="goal", low_fen=1_000)
    assert caught.value.fields == {"goal": "金额不能少于 10.00 元。"}
    assert parse_yuan("10", low_fen=1_000, high_fen=1_000) == 1_000


@pytest.mark.parametrize("fen, text", [
    (0, "0.00"), (1, "0.01"), (10_050, "100.50"), (24_000_000, "240,000.00"), (-1_234, "-12.34"),
])
def test_yuan_text_is_exact(fen, text):
    assert yuan_text(fen) == text


def test_the_seed_example_matches_to_the_fen():
    # 40,000 yuan confirmed, ratio 5, no cap: 200,000 matched, 240,000 in all
    assert match_total(4_000_000, 500, None) == 20_000_000
    assert yuan_text(4_000_000 + match_total(4_000_000, 500, None)) == "240,000.00"


def test_the_match_stops_at_the_cap():
    assert match_total(4_000_000, 500, 5_000_000) == 5_000_000
    assert match_total(999_999, 500, 5_000_000) == 4_999_995
    assert match_total(1_000_000, 500, 0) == 0


def test_shares_add_up_to_the_total_without_rounding_loss():
    pledges = [1, 1, 1, 333, 7, 10_000, 50_001]
    cash = shares = 0
    for amount in pledges:
        shares += match_unlocked(cash, amount, 150, None)
        cash += amount
    assert shares == match_total(cash, 150, None) == cash * 150 // 100


def test_a_pledge_past_the_cap_unlocks_only_what_is_left():
    assert match_unlocked(900_000, 200_000, 500, 5_000_000) == 500_000
    assert match_unlocked(1_000_000, 10_000, 500, 5_000_000) == 0
    assert match_unlocked(0, 10_000, 500, None) == 50_000


def test_a_widgets_number_and_a_yuan_sign_are_read_as_yuan():
    assert parse_yuan(100.0) == 10_000 and parse_yuan(Decimal("1E+2")) == 10_000
    assert parse_yuan("￥100") == 10_000 and parse_yuan("¥ 1.5") == 150


def test_below_a_higher_floor_the_message_names_the_floor():
    with pytest.raises(ValidationError) as caught:
        parse_yuan("0.01", low_fen=2)
    assert caught.value.fields == {"amount": "金额不能少于 0.02 元。"}
