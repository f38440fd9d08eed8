"""Money as residents type it and as the notice board prints it, always integer fen underneath.

A float never touches an amount: "0.1 + 0.2" yuan must be 30 fen, and a public ledger that is
off by one fen is a ledger nobody trusts again.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from lib.core.errors import ValidationError


FEN_PER_YUAN = 100
# one resident's pledge; a typo guard far above any real one (the reference's largest is 40,000
# yuan raised by a whole compound)
MAX_PLEDGE_FEN = 100_000 * FEN_PER_YUAN
# a project's goal, spending item or match cap
MAX_PROJECT_FEN = 10_000_000 * FEN_PER_YUAN

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


def parse_yuan(value: object, *, field: str = "amount", low_fen: int = 1,
               high_fen: int = MAX_PLEDGE_FEN) -> int:
    """Fen from what a person typed ("100", "100.5", "１００元", "1,000.00") or a widget's number.

    Raises ValidationError({field: message}) for anything that is not a plain amount of yuan
    with at most two decimals (no "1e3", no "-5", no "0.001"), or outside ``low..high``.
    """
    if isinstance(value, bool):
        raise ValidationError({field: "请输入金额，例如 100 或 100.50。"})
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, (float, Decimal)):
        text = format(Decimal(str(value)).normalize(), "f") if value == value else "nan"
    else:
        text = str(value or "")
    text = text.translate(_FULL_WIDTH).strip().removeprefix("¥").removeprefix("￥")
    text = text.removesuffix("元").strip().replace(",", "")
    if not text:
        raise ValidationError({field: "请输入金额。"})
    if text.startswith("-"):
        raise ValidationError({field: "金额必须大于 0。"})
    if not _AMOUNT.fullmatch(text):
        if re.fullmatch(r"[0-9]+\.[0-9]{3,}", text):
            raise ValidationError({field: "金额最多精确到分（小数点后两位）。"})
        raise ValidationError({field: "请输入金额，例如 100 或 100.50。"})
    try:
        fen = int(Decimal(text) * FEN_PER_YUAN)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        raise ValidationError({field: "请输入金额，例如 100 或 100.50。"}) from None
    if fen < low_fen:
        raise ValidationError({field: "金额必须大于 0。" if low_fen <= 1
                               else f"金额不能少于 {yuan_text(low_fen)} 元。"})
    if fen > high_fen:
        raise ValidationError({field: f"金额不能超过 {yuan_text(high_fen)} 元，请检查是否多输了位数。"})
    return fen


def yuan_text(fen: int) -> str:
    """240,000.00 for 24,000,000 fen: exact, with thousands separators, as a 公示 prints it."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def match_total(cash_fen: int, match_percent: int, cap_fen: int | None) -> int:
    """The sponsor's whole match for this much confirmed resident cash: floor, then the cap."""
    match = cash_fen * match_percent // 100
    return match if cap_fen is None else min(match, cap_fen)


def match_unlocked(cash_before_fen: int, amount_fen: int, match_percent: int,
                   cap_fen: int | None) -> int:
    """The match one confirmed pledge adds, given the cash confirmed before it.

    Taken as a difference of totals, so the pledges' shares always add up to exactly
    :func:`match_total` of their sum: no fen is lost to rounding each share on its own.
    """
    return (match_total(cash_before_fen + amount_fen, match_percent, cap_fen)
            - match_total(cash_before_fen, match_percent, cap_fen))
