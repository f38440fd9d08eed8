"""A year of special awards for the demo community, written through the real ledger.

Each award is granted by the demo staff account at the moment it happened (clock.pretend), so
the entries, their audit lines and the yearly totals behind the boards are exactly what the
portal would have written then. Volunteer hours and redemptions are seeded by their features.
"""
from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from lib.core import clock
from lib.core.db import scalar
from lib.core.errors import PortalError
from lib.people.users import load_user
from lib.points import ledger


# (username, days ago, points, reason): the kinds of things the reference villages reward
AWARDS = (
    ("resident", 330, 20, "让出自家菜地修路"),
    ("zhangwei", 300, 10, "协助疫苗接种登记"),
    ("liuyang", 280, 15, "冬季义务扫雪"),
    ("resident", 250, 10, "协助疫苗接种登记"),
    ("leader", 220, 20, "组织楼栋消防演练"),
    ("zhangwei", 200, 5, "劝导电动车进楼充电"),
    ("liuyang", 160, 10, "调解邻里漏水纠纷"),
    ("zhangwei", 150, -5, "楼道堆物，经两次提醒仍未清理"),
    ("resident", 120, 15, "义务修剪小区绿化"),
    ("leader", 100, 10, "暴雨夜巡查地下车库"),
    ("liuyang", 60, 20, "拾金不昧，归还邻居钱包"),
    ("resident", 20, 5, "为独居老人代买药品"),
    ("zhangwei", 12, 10, "参与垃圾分类督导"),
    ("wangxiulan", 310, 20, "捐出自家旧书办楼道图书角"),
    ("zhengyumei", 270, 15, "协助人口普查入户登记"),
    ("huangzhiqiang", 240, 10, "修好单元门禁"),
    ("machunsheng", 190, 20, "让出自家车位拓宽消防通道"),
    ("zhuhong", 170, 10, "组织广场舞队清扫广场"),
    ("hudeming", 130, 15, "暴雨后疏通下水道"),
    ("gaoshuzhen", 110, 10, "照顾独居老人一周"),
    ("lijianguo", 80, 5, "清理楼道小广告"),
    ("zhouxiaodong", 45, 10, "义务维修楼道灯"),
    ("sunlijun", 25, 5, "劝导车辆规范停放"),
    ("wuguixiang", 15, 10, "包饺子慰问独居老人"),
)
GRANTER = "staff"


def seed_awards(db: Database) -> int:
    """Grant the demo's special awards once; returns how many were new. Safe to run again."""
    granter = load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (GRANTER,)))
    if granter is None:
        return 0
    now = clock.utc_now()
    added = 0
    for number, (username, days_ago, amount, reason) in enumerate(AWARDS):
        user_id = scalar(db, "SELECT id FROM users WHERE username = ?", (username,))
        key = f"special:demo-{number}"
        if user_id is None or scalar(db, "SELECT 1 FROM points_ledger WHERE idempotency_key = ?",
                                     (key,)):
            continue
        with clock.pretend(now - timedelta(days=days_ago, hours=number)):
            try:
                ledger.special(db, granter, user_id=user_id, amount=amount, reason=reason, key=key)
            except PortalError:
                continue  # e.g. an edited demo account: a demo award is never worth a failed start
        added += 1
    return added
