"""The audit log in words: who did what to what, in Chinese, for 管理 › 审计日志.

It reads across every feature (places, households, report categories, rules, report
statuses), so it sits above them; lib.core.audit only records and lists.
"""
from __future__ import annotations

import json
from collections import defaultdict

from sqlite_utils import Database

from lib.core import rules
from lib.core.roles import ROLE_LABELS
from lib.reports.workflow import STATUS_LABELS


# Every action code written by audit.record, in the words of the people who read the log.
# tests/test_audit.py fails when a call site writes a code that has no label here.
ACTION_LABELS = {
    "account.register": "注册账号",
    "account.login": "登录",
    "account.logout": "退出登录",
    "account.change_password": "修改密码",
    "household.request": "申请绑定住户",
    "household.verify": "核实住户通过",
    "household.reject": "核实住户不通过",
    "household.add": "新增住户",
    "user.role": "修改身份",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.reset_password": "重置密码",
    "backup.create": "备份",
    "roster.import": "导入花名册",
    "place.add": "新增楼栋或地点",
    "place.rename": "重命名楼栋或地点",
    "rule.set": "修改规则",
    "community.set": "设置社区名称",
    "grid.add": "新增网格",
    "microgrid.add": "新增微网格",
    "category.add": "新增问题类别",
    "category.rename": "重命名问题类别",
    "category.active": "启用问题类别",
    "category.retire": "停用问题类别",
    "report.file": "提交随手拍",
    "report.accepted": "受理问题",
    "report.started": "开始处理",
    "report.resolved": "办结问题",
    "report.rejected": "不予受理",
    "report.reopened": "反映人表示未解决",
    "report.confirmed": "反映人确认已解决",
    "report.auto_confirmed": "逾期视为已解决",
    "points.award": "发放积分",
    "points.spend": "使用积分",
    "points.correct": "更正积分",
    "points.special": "特别奖励或扣减积分",
    "shop.item_add": "新增积分商品",
    "shop.item_edit": "修改积分商品",
    "shop.stock": "调整商品库存",
    "shop.redeem": "积分兑换",
    "shop.fulfil": "兑换发放",
    "shop.cancel": "取消兑换",
    "volunteer.log": "登记志愿时长",
    "volunteer.approve": "通过志愿时长",
    "volunteer.reject": "志愿时长不通过",
    "volunteer.event": "记录志愿活动",
    "volunteer.attendees": "补录活动参与者",
    "crowdfund.create": "新建众筹项目",
    "crowdfund.edit": "修改众筹项目",
    "crowdfund.task_add": "添加出工时段",
    "crowdfund.task_edit": "修改出工时段",
    "crowdfund.task_remove": "删除出工时段",
    "crowdfund.launch": "发起众筹",
    "crowdfund.build": "众筹项目开始实施",
    "crowdfund.complete": "众筹项目完工",
    "crowdfund.cancel": "取消众筹项目",
    "crowdfund.labour_signup": "报名出工",
    "crowdfund.labour_withdraw": "取消出工报名",
    "crowdfund.labour_attendance": "登记出工出勤",
    "crowdfund.labour_release": "项目取消，释放出工报名",
    "crowdfund.pledge": "众筹认捐",
    "crowdfund.pledge_withdraw": "撤回认捐",
    "crowdfund.pledge_confirm": "认捐确认到账",
    "crowdfund.pledge_not_received": "认捐标记未到账",
    "crowdfund.pledge_refund": "项目取消，认捐退款",
    "crowdfund.pledges_settle": "项目取消，结清认捐",
    "crowdfund.spend": "登记众筹支出",
    "crowdfund.grant": "众筹项目收到奖励金",
    "crowdfund.grant_return": "项目取消，退回奖励金",
    "ranking.criteria": "修改星级楼栋评比标准",
    "ranking.leaders_score_all": "设置微网格长评分范围",
    "ranking.score": "保存楼栋评分",
    "ranking.publish": "公布星级楼栋评比",
    "ranking.correct": "更正已公布的星级楼栋评比",
    "council.topic_propose": "提出议事议题",
    "council.topic_from_report": "随手拍转为议事议题",
    "council.topic_support": "支持议事议题",
    "council.topic_unsupport": "取消支持议事议题",
    "council.topic_sort": "议事议题分类",
    "council.meeting_schedule": "安排议事会议",
    "council.meeting_edit": "修改议事会议",
    "council.meeting_cancel": "取消议事会议",
    "council.meeting_minutes": "记录议事会议纪要",
    "council.plan_record": "记录议事方案",
    "council.plan_edit": "修改议事方案",
    "council.vote_open": "发起议事表决",
    "council.vote_cancel": "取消议事表决",
    "council.paper_ballot": "录入纸质选票",
    "council.publish": "公示议事表决结果",
    "council.object": "对议事结果提出异议",
    "council.answer": "答复议事异议",
    "council.track_owner": "设置方案负责人和期限",
    "council.track_update": "登记方案落实进展",
    "council.track_done": "方案落实完成",
    "council.to_project": "议事方案转为众筹项目",
    "council.rate": "评价方案落实结果",
}


# Actions a guest (no account) can take; with no actor, any other action is the system's.
GUEST_ACTIONS = frozenset({"report.file", "report.reopened"})


_DETAIL_LABELS = {
    "to": "状态", "old": "原", "new": "新", "name": "名称", "code": "编号", "kind": "类型",
    "username": "用户名", "room": "房号", "place": "楼栋", "place_id": "楼栋", "reason": "原因",
    "amount": "积分", "entry_id": "积分记录", "filename": "文件", "rows": "行数",
    "change": "变动", "stock": "库存", "quantity": "数量", "price": "所需积分",
    "user_id": "代办对象",
    "imported": "新导入", "skipped_existing": "已存在跳过", "errors": "有问题",
    "microgrid": "微网格", "hours": "小时", "points": "积分", "attendees": "人数",
    "proxy": "代录", "user": "用户",
    "task": "出工时段", "attended": "到场", "signups": "报名数",
    "match": "配套（元）", "method": "交款方式", "refunded": "退款笔数", "closed": "关闭认捐数",
    "title": "项目", "goal": "筹资目标（元）", "match_percent": "配套（%）", "work_on": "日期",
    "headcount": "人数", "photo": "照片", "photos": "照片数",
    "yuan": "金额（元）", "item": "事项", "project": "众筹项目", "receipt": "收据",
    "source": "来源", "grants": "奖励金笔数",
    "saved": "评分楼栋数", "removed": "撤销评分数",
    "flag": "流动红旗", "score": "得分", "missing": "缺少的评分", "reward": "奖励",
    "residents": "获奖励人数", "building": "楼栋", "rater": "评分人", "changed": "更正楼栋数",
    "held_on": "会议日期", "venue": "会议地点", "topics": "议题数", "topic": "议题",
    "meeting": "会议", "deadline": "完成期限", "amended": "补充修改",
    "outcome": "表决结果", "notice_days": "公示天数", "plan": "方案状态", "objection": "异议",
    "vote": "表决", "replaced": "原内容", "owner": "负责人", "update": "进展", "percent": "进度（%）",
    "rating": "评价",
    "report": "随手拍", "box": "分类", "before": "原分类", "note": "说明",
    "question": "表决事项", "eligible": "范围内户数", "quorum": "法定户数", "rule": "计票规则",
    "counted": "计入", "household": "住户",
}


def action_label(action: str) -> str:
    """The Chinese name of an action code; an unknown code is shown as it is, never hidden."""
    return ACTION_LABELS.get(action, action)


def readable(db: Database, rows: list[dict]) -> list[dict]:
    """The log as people read it: 时间 stays for the page, 操作人, 操作, 对象 and 详情 in Chinese.

    Names are looked up in one query per kind of record, so 200 rows cost a handful of queries.
    """
    names = _target_names(db, rows)
    readable_rows = []
    for row in rows:
        if row["actor_id"] is None:
            actor = "访客" if row["action"] in GUEST_ACTIONS else "系统"
        elif row.get("actor_username"):
            actor = f"{row['actor_display_name']}（{row['actor_username']}）"
        else:
            actor = f"用户 {row['actor_id']}"
        readable_rows.append({
            "at": row["at"], "actor": actor, "action": action_label(row["action"]),
            "target": names.get((row["target_type"], str(row["target_id"])))
            or _plain_target(row["target_type"], row["target_id"]),
            "detail": detail_text(row["action"], row["detail"]),
        })
    return readable_rows


_TARGET_KINDS = {
    "user": "用户", "report": "问题", "place": "楼栋", "household": "住户", "households": "住户花名册",
    "setting": "规则", "community": "社区", "grid": "网格", "microgrid": "微网格",
    "category": "问题类别", "backup": "备份",
    "shop_item": "积分商品", "shop_redemption": "兑换",
    "volunteer_hours": "志愿时长", "volunteer_event": "志愿活动",
    "crowdfund_signup": "出工报名",
    "crowdfund_pledge": "认捐",
    "crowdfund_project": "众筹项目",
    "crowdfund_spending": "众筹支出",
    "crowdfund_grant": "奖励金",
    "ranking_criteria": "星级楼栋评比标准",
    "ranking_month": "星级楼栋评比",
    "council_topic": "议事议题",
    "council_meeting": "议事会议",
    "council_plan": "议事方案",
    "council_vote": "议事表决",
    "council_objection": "议事异议",
}


def _plain_target(target_type: str, target_id: object) -> str:
    kind = _TARGET_KINDS.get(target_type, target_type)
    if target_type == "report":
        return f"问题 第 {target_id} 号"
    if target_type in ("community", "households"):
        return kind
    return f"{kind} {target_id}".strip()


def _target_names(db: Database, rows: list[dict]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        wanted[row["target_type"]].add(str(row["target_id"]))
    names: dict[tuple[str, str], str] = {}

    def lookup(target_type: str, sql: str, label) -> None:
        ids = sorted(wanted.get(target_type, ()))
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        for found in db.query(sql.replace("(?)", f"({marks})"), ids):
            names[(target_type, str(found["id"]))] = label(found)

    lookup("user", "SELECT id, username, display_name FROM users WHERE id IN (?)",
           lambda u: f"用户 {u['display_name']}（{u['username']}）")
    lookup("place", "SELECT id, code, kind FROM places WHERE id IN (?)",
           lambda p: f"{'楼栋' if p['kind'] == 'building' else '地点'} {p['code']}")
    lookup("household", "SELECT households.id, places.code, households.room FROM households"
                        " JOIN places ON places.id = households.place_id WHERE households.id IN (?)",
           lambda h: f"住户 {h['code']} {h['room']}")
    lookup("grid", "SELECT id, name FROM grids WHERE id IN (?)", lambda g: f"网格 {g['name']}")
    lookup("microgrid", "SELECT id, name FROM microgrids WHERE id IN (?)",
           lambda m: f"微网格 {m['name']}")
    lookup("category", "SELECT id, name FROM report_categories WHERE id IN (?)",
           lambda c: f"问题类别 {c['name']}")
    lookup("crowdfund_project", "SELECT id, title FROM crowdfund_projects WHERE id IN (?)",
           lambda p: f"众筹项目 {p['title']}")
    for key in wanted.get("setting", ()):
        rule = rules.RULES.get(key)
        names[("setting", key)] = f"规则 {rule.label if rule else key}"
    return names


def detail_text(action: str, detail: str) -> str:
    """The JSON detail as "名称：…，原：…"; codes (roles, statuses) in their Chinese words."""
    if not detail:
        return ""
    try:
        values = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(values, dict):
        return detail
    parts = []
    for key, value in values.items():
        if value in (None, "") or key == "key":  # a form's submission key: for double taps only
            continue
        if action == "user.role" and key in ("old", "new"):
            value = ROLE_LABELS.get(value, value)
        elif key == "to":
            value = STATUS_LABELS.get(value, value)
        parts.append(f"{_DETAIL_LABELS.get(key, key)}：{value}")
    return "，".join(parts)
