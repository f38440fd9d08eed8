"""Community rules kept in the settings table: time limits for reports, points per action.

Each rule has a default, a unit and a sensible range, so an admin can tune it without a
deploy and never set it to something that breaks the portal (a zero-hour deadline, -5 points).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit
from lib.core.db import immediate, scalar
from lib.core.errors import ValidationError
from lib.core.roles import ADMIN, User, require_role


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    unit: str
    default: int
    low: int
    high: int


RULES = {rule.key: rule for rule in (
    Rule("reports.accept_within_hours", "随手拍受理时限", "小时", 24, 1, 240),
    Rule("reports.close_within_days", "随手拍办结时限", "天", 7, 1, 90),
    Rule("reports.confirm_within_days", "反映人确认时限（逾期视为已解决）", "天", 7, 1, 30),
    Rule("points.report_accepted", "随手拍被受理得积分", "分", 5, 0, 100),
    Rule("points.report_monthly_cap", "随手拍每人每月积分上限", "分", 30, 0, 1000),
    # 20 points buy a bag of rice in the reference village: four hours of service
    Rule("points.volunteer_hour", "志愿服务每小时得积分", "分", 5, 0, 100),
    Rule("points.labour_hour", "众筹出工每小时得积分", "分", 5, 0, 100),
    Rule("points.pledge_per_10_yuan", "众筹认捐到账每 10 元得积分", "分", 1, 0, 100),
    Rule("points.special_max", "单次特别奖励（或扣减）上限", "分", 50, 1, 1000),
)}


def get(db: Database, key: str) -> int:
    """The rule's current value; a missing or malformed stored value falls back to the default."""
    rule = RULES[key]
    try:
        value = int(scalar(db, "SELECT value FROM settings WHERE key = ?", (key,)))
    except (TypeError, ValueError):
        return rule.default
    return value if rule.low <= value <= rule.high else rule.default


def set_rule(db: Database, actor: User, *, key: str, value: int) -> None:
    require_role(actor, ADMIN)
    rule = RULES.get(key)
    if rule is None:
        raise ValidationError({"rule": "未知的规则。"})
    if not isinstance(value, int) or not rule.low <= value <= rule.high:
        raise ValidationError({key: f"{rule.label}应在 {rule.low}-{rule.high} {rule.unit}之间。"})
    with immediate(db):
        old = get(db, key)
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                   " DO UPDATE SET value = excluded.value", (key, str(value)))
        audit.record(db, actor.id, "rule.set", "setting", key, old=old, new=value)
