"""The demo community's 议事: a round that went all the way, a vote still open, the next meeting.

Everything goes through the real rules at the moment it happened (clock.pretend), in the order
of the reference articles' 六步议事: residents propose topics and support them, staff sort them
into the four boxes, a 坝坝会 discusses them and records a plan, the households vote (一户一票,
online by a member or on paper door to door), staff publish the result with a notice period in
which a resident objects and is answered, the plan is carried out with progress updates and
rated by the households. The second meeting opens with that follow-up and puts the 车棚充电桩
plan to a vote that is still open, with 1-1 302 (the demo resident's household) yet to vote;
the third meeting is coming. Topics sit in every box, one of them turned from a 随手拍 report.

Deterministic: the households that vote on paper and what they choose come from a seeded random.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlite_utils import Database

from lib.core import clock
from lib.core.db import immediate, scalar
from lib.core.roles import User
from lib.council import followup, meetings, publish, topics, tracking, votes
from lib.people.users import load_user
from lib.site.demo_pictures import picture


# (key, proposer, title, body, place code or None for the whole compound, box, staff's note)
TOPICS = (
    ("gate", "wangxiulan", "大门加装雨棚", "下雨天在大门口等人、刷卡进出都没有地方避雨，"
     "老人带孩子尤其不方便。建议在大门内侧加装雨棚。", "gate", topics.URGENT_IMPORTANT,
     "雨季前要解决，列入第一次坝坝会。"),
    ("charging", "zhangwei", "车棚增设电动车充电桩", "楼道飞线充电屡禁不止，根子是车棚没有"
     "充电的地方。建议在车棚装一批智能充电桩，按度计费。", "bike", topics.URGENT_IMPORTANT,
     "消防安全隐患，优先议。"),
    ("dancing", "zhouxiaodong", "中心广场晚间跳舞音量", "晚上八点以后广场舞音响太大，"
     "临街几栋楼的老人孩子休息不好。希望约定音量和结束时间。", "plaza", topics.WATCH,
     "先由网格员与舞蹈队沟通，观察一个月。"),
    ("roof", "sunlijun", "2-2 楼顶防水层老化", "顶楼几户雨天渗水，楼顶防水层已经十几年，"
     "需要整体翻修，费用要算清楚怎么分摊。", "2-2", topics.IMPORTANT_SLOW,
     "需申请维修资金，周期较长。"),
    ("lift", "huangzhiqiang", "4-1 加装电梯意愿摸底", "楼里老人越来越多，想先摸一摸各户"
     "加装电梯的意愿和出资意向。", "4-1", topics.IMPORTANT_SLOW, "先做入户意愿调查。"),
    ("fees", "machunsheng", "要求物业减免物业费", "今年物业服务不到位，要求减免三个月物业费。",
     None, topics.DECLINED, "物业费标准由业主大会决定，不属于院落议事范围，已转告业委会。"),
    ("dogs", "lijianguo", "小区内设置宠物便便箱", "绿地里狗粪没人清理，建议在几个出入口"
     "设置便便箱，配拾便袋。", None, topics.NEW, ""),
)
SUPPORTERS = {"gate": ("resident", "lijianguo", "zhaomin", "wuguixiang", "zhengyumei", "hudeming",
                       "gaoshuzhen", "zhuhong"),
              "charging": ("resident", "wangxiulan", "sunlijun", "huangzhiqiang", "zhouxiaodong",
                           "machunsheng"),
              "dancing": ("zhaomin", "liuyang", "wuguixiang"), "roof": ("zhengyumei",),
              "lift": ("hudeming", "gaoshuzhen", "zhuhong"), "dogs": ("resident",)}
# members who vote online on the gate (one changes their mind) and on the charging points
GATE_ONLINE = ("resident", "wangxiulan", "lijianguo", "zhaomin", "zhouxiaodong", "wuguixiang",
               "sunlijun", "zhengyumei", "huangzhiqiang", "zhuhong", "hudeming", "gaoshuzhen",
               "zhangwei", "liuyang")
CHARGING_ONLINE = ("zhangwei", "wuguixiang", "zhengyumei", "sunlijun", "huangzhiqiang",
                   "machunsheng", "hudeming")
RATERS = (("wangxiulan", followup.SATISFIED, "雨天终于不用淋雨了。"),
          ("lijianguo", followup.SATISFIED, ""), ("zhaomin", followup.BASIC, "雨棚有点矮。"),
          ("zhouxiaodong", followup.SATISFIED, ""), ("wuguixiang", followup.SATISFIED, ""),
          ("sunlijun", followup.BASIC, ""), ("liuyang", followup.UNSATISFIED,
                                              "施工期间大门只留一个通道，进出很挤。"),
          ("gaoshuzhen", followup.SATISFIED, "谢谢物业和楼栋长。"))
PARTICIPANTS = "居民代表、楼栋长、物业公司、社区网格员"


def seed(db: Database, data_dir) -> int:
    """Write the history once (nothing when any topic exists); returns the topics written."""
    if scalar(db, "SELECT 1 FROM council_topics LIMIT 1"):
        return 0
    names = {"staff", "admin", "resident", "resident2", *(row[1] for row in TOPICS),
             *GATE_ONLINE, *CHARGING_ONLINE, *(name for name, *_ in RATERS),
             *(name for group in SUPPORTERS.values() for name in group)}
    people = {name: _user(db, name) for name in names}
    if any(person is None for person in people.values()):
        return 0  # an edited demo: the history is a nicety, never worth a failed start
    now = clock.utc_now().replace(microsecond=0)
    rnd = random.Random(12)
    with immediate(db):  # one durable commit; each rule's own transaction is a savepoint
        ids = _propose(db, people, data_dir, now)
        _first_round(db, people, data_dir, now, ids, rnd)
        _second_round(db, people, data_dir, now, ids, rnd)
    return len(ids)


def _user(db: Database, username: str) -> User | None:
    user_id = scalar(db, "SELECT id FROM users WHERE username = ?", (username,))
    return load_user(db, user_id) if user_id else None


def _place(db: Database, code: str | None) -> int | None:
    return scalar(db, "SELECT id FROM places WHERE code = ?", (code,)) if code else None


def _at(now: datetime, days: float, hour: int = 10) -> datetime:
    """``days`` from now (negative: ago) at ``hour`` o'clock Shanghai time."""
    local = (now + timedelta(days=days)).astimezone(clock.SHANGHAI)
    return local.replace(hour=hour, minute=0, second=0)


def _propose(db: Database, people: dict[str, User], data_dir, now: datetime) -> dict[str, int]:
    staff = people["staff"]
    ids = {}
    for number, (key, proposer, title, body, place, box, note) in enumerate(TOPICS):
        # the new topic came in three days ago; the others over two weeks, four months back
        with clock.pretend(_at(now, -3 if box == topics.NEW else -120 + 2 * number)):
            ids[key] = topics.propose(db, people[proposer], data_dir=data_dir, title=title,
                                      body=body, place_id=_place(db, place),
                                      photo=picture("tidy_bike_shed") if key == "charging"
                                      else None, key=f"demo-council:{key}")
        for offset, supporter in enumerate(SUPPORTERS.get(key, ())):
            with clock.pretend(_at(now, -3 if box == topics.NEW else -118 + 2 * number + offset)):
                topics.support(db, people[supporter], topic_id=ids[key])
        if box != topics.NEW:
            with clock.pretend(_at(now, -100 + number, 15)):
                topics.sort(db, staff, topic_id=ids[key], box=box, note=note)
    report_id = scalar(db, "SELECT id FROM reports WHERE status IN ('accepted', 'in_progress')"
                           " ORDER BY id LIMIT 1")
    if report_id:  # a 随手拍 that needs the neighbours to agree becomes a topic
        with clock.pretend(_at(now, -20, 16)):
            ids["report"] = topics.from_report(db, staff, report_id=report_id,
                                               box=topics.WATCH)
    return ids


def _households(db: Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM households ORDER BY id")]


def _paper(db: Database, staff: User, vote_id: int, options: dict[str, int], skip: set[int],
           share: float, rnd: random.Random, opened: datetime, days: float,
           weights: tuple[int, int, int]) -> None:
    """Staff type the paper ballots collected door to door over ``days`` after opening."""
    for household in _households(db):
        if household in skip or rnd.random() > share:
            continue
        collected = opened + timedelta(hours=rnd.uniform(2, days * 24))
        choice = rnd.choices(list(options), weights)[0]
        with clock.pretend(collected + timedelta(hours=3)):
            votes.enter_paper(db, staff, vote_id=vote_id, household_id=household,
                              option_id=options[choice], signed_by="户主",
                              collected_at=collected, key=f"demo-council:paper:{vote_id}:{household}")


def _options(db: Database, vote_id: int) -> dict[str, int]:
    return {option.label: option.id for option in votes.get_vote(db, vote_id).options}


def _first_round(db: Database, people: dict[str, User], data_dir, now: datetime,
                 ids: dict[str, int], rnd: random.Random) -> None:
    """The gate's canopy: meeting, plan, vote, 公示 with an objection, work, ratings."""
    staff = people["staff"]
    held = _at(now, -90, 19)
    with clock.pretend(_at(now, -97)):
        meeting = meetings.schedule(
            db, staff, title="第一次院落坝坝会", held_on=held.date(), starts_at="19:30",
            venue="中心广场", participants=PARTICIPANTS,
            topic_ids=[ids["gate"], ids["dancing"]], key="demo-council:meeting:1")
    with clock.pretend(held + timedelta(hours=2)):
        meetings.record_minutes(
            db, staff, data_dir=data_dir, meeting_id=meeting, key="demo-council:minutes:1",
            minutes="到会居民三十余人。大门雨棚：比较了钢结构雨棚和可伸缩遮阳篷，多数人倾向"
                    "钢结构，抗风、耐用；费用由物业公共收益列支。广场舞音量：请网格员先与舞蹈队"
                    "沟通，晚上八点半前结束、音量控制在60分贝以内，一个月后回看。")
        plan = meetings.record_plan(
            db, staff, topic_id=ids["gate"], meeting_id=meeting, title="大门内侧加装钢结构雨棚",
            options_discussed="方案一：钢结构雨棚，长6米，约1.2万元；方案二：可伸缩遮阳篷，约"
                              "0.6万元，但抗风差、需每年维护。",
            body="采用方案一，在大门内侧加装长6米的钢结构雨棚，保留门禁和监控的位置。",
            cost="12000", duties="物业公司负责施工；楼栋长老吴监督质量；网格员小周公示账目。",
            deadline=(held + timedelta(days=60)).date(), owner="物业公司",
            key="demo-council:plan:1")
    opened = _at(now, -89, 9)
    with clock.pretend(opened):
        eligible = len(_households(db))
        vote = votes.open_vote(
            db, staff, plan_id=plan, question="是否同意在大门内侧加装钢结构雨棚（方案一）？",
            options=["同意", "不同意", "弃权"], adopting=["同意"], opens_at=opened,
            closes_at=opened + timedelta(days=7), quorum=eligible // 2 + 1)
    options = _options(db, vote)
    online = set()
    for number, name in enumerate(GATE_ONLINE):
        member = people[name]
        online.add(member.household_id)
        if name == "resident":  # changed their mind after the neighbours' chat: 改票
            with clock.pretend(opened + timedelta(hours=1)):
                votes.cast(db, member, vote_id=vote, option_id=options["不同意"],
                           key="demo-council:vote:1:resident:first")
        with clock.pretend(opened + timedelta(hours=3 + 5 * number)):
            votes.cast(db, member, vote_id=vote,
                       option_id=options["不同意" if name == "liuyang" else "同意"],
                       key=f"demo-council:vote:1:{name}")
    # door to door: most households without a phone vote on paper; one paper ballot arrives
    # for a household that had already voted online, and is recorded without counting
    _paper(db, staff, vote, options, online, 0.7, rnd, opened, 6, (8, 2, 1))
    with clock.pretend(opened + timedelta(days=6, hours=8)):
        votes.enter_paper(db, staff, vote_id=vote, household_id=people["zhaomin"].household_id,
                          option_id=options["同意"], signed_by="赵敏",
                          collected_at=opened + timedelta(days=6),
                          key="demo-council:paper:1:late")
    published = opened + timedelta(days=8)
    with clock.pretend(published):
        publish.publish(db, staff, vote_id=vote, notice_days=7,
                        note="方案一通过。公示期内如有异议，请在本页提出或到社区居委会反映。")
    with clock.pretend(published + timedelta(days=2, hours=3)):
        objection = publish.object_to(db, people["liuyang"], vote_id=vote,
                                      body="雨棚会不会挡住大门上方的监控？",
                                      key="demo-council:objection:1")
    with clock.pretend(published + timedelta(days=3)):
        publish.answer(db, staff, objection_id=objection.id,
                       answer="已与施工方确认：监控移到雨棚下方，画面不受影响，施工期间另设临时监控。")
    with clock.pretend(published + timedelta(days=8)):
        tracking.set_owner(db, staff, plan_id=plan, owner="物业公司（楼栋长老吴监督）",
                           deadline=(held + timedelta(days=60)).date())
    progress = ((16, "材料进场，大门东侧通道临时封闭，请从西侧进出。", 20, None),
                (30, "钢结构主体完工，开始安装顶棚。", 70, "canopy_frame"),
                (41, "完工验收：雨棚牢固，监控已移位，通道恢复。", 100, "gate_canopy"))
    for days, body, percent, photo in progress:
        with clock.pretend(published + timedelta(days=days)):
            tracking.add_update(db, staff, data_dir=data_dir, plan_id=plan, body=body,
                                percent=percent, photos=[picture(photo)] if photo else [],
                                key=f"demo-council:update:1:{days}")
    with clock.pretend(published + timedelta(days=42)):
        tracking.complete(db, staff, plan_id=plan)
        topics.sort(db, staff, topic_id=ids["gate"], box=topics.RESOLVED,
                    note="雨棚已按方案一完工，欢迎在“落实”里评价。")
    for number, (name, rating, comment) in enumerate(RATERS):
        with clock.pretend(published + timedelta(days=43 + number)):
            followup.rate(db, people[name], plan_id=plan, rating=rating, comment=comment)


def _second_round(db: Database, people: dict[str, User], data_dir, now: datetime,
                  ids: dict[str, int], rnd: random.Random) -> None:
    """The charging points: discussed twelve days ago, voting now; the next meeting is coming."""
    staff = people["staff"]
    held = _at(now, -12, 19)
    with clock.pretend(_at(now, -19)):
        meeting = meetings.schedule(
            db, staff, title="第二次院落坝坝会", held_on=held.date(), starts_at="19:30",
            venue="车棚旁空地", participants=PARTICIPANTS,
            topic_ids=[ids["charging"], ids["roof"], *([ids["report"]] if "report" in ids else [])],
            key="demo-council:meeting:2")
    with clock.pretend(held + timedelta(hours=2)):
        meetings.record_minutes(
            db, staff, data_dir=data_dir, meeting_id=meeting, key="demo-council:minutes:2",
            minutes="先回看了大门雨棚的落实和评价。充电桩：比较了12个和20个两种规模，按现有"
                    "电动车数量先装12个，按度计费，收益用于维护；众筹一部分、物业公共收益出一部分。"
                    "2-2 楼顶防水：先请专业公司出方案和报价，下次再议。",
            photos=[picture("tidy_bike_shed")])
        plan = meetings.record_plan(
            db, staff, topic_id=ids["charging"], meeting_id=meeting,
            title="车棚加装12个智能充电桩", options_discussed="方案一：12个充电桩，约3.6万元；"
            "方案二：20个充电桩，约5.8万元，现阶段用不满。",
            body="采用方案一：车棚北侧加装12个智能充电桩，按度计费，刷卡或扫码充电。",
            cost="36000", duties="物业公司报装和施工；居民众筹一部分；网格员小周对接街道配套。",
            deadline=(now + timedelta(days=60)).astimezone(clock.SHANGHAI).date(),
            owner="物业公司", key="demo-council:plan:2")
    opened = _at(now, -10, 9)
    with clock.pretend(opened):
        eligible = len(_households(db))
        vote = votes.open_vote(
            db, staff, plan_id=plan, question="是否同意在车棚加装12个智能充电桩（方案一）？",
            options=["同意", "不同意", "弃权"], adopting=["同意"], opens_at=opened,
            closes_at=_at(now, 5, 20), quorum=eligible // 2 + 1)
    options = _options(db, vote)
    voted = {people["resident"].household_id}  # the demo resident's household has not voted yet
    for number, name in enumerate(CHARGING_ONLINE):
        member = people[name]
        voted.add(member.household_id)
        with clock.pretend(opened + timedelta(hours=2 + 7 * number)):
            votes.cast(db, member, vote_id=vote,
                       option_id=options["不同意" if name == "machunsheng" else "同意"],
                       key=f"demo-council:vote:2:{name}")
    _paper(db, staff, vote, options, voted, 0.35, rnd, opened, 8, (7, 2, 1))
    with clock.pretend(_at(now, -2)):
        meetings.schedule(
            db, staff, title="第三次院落坝坝会", held_on=_at(now, 9).date(), starts_at="19:30",
            venue="中心广场", participants=PARTICIPANTS,
            topic_ids=[ids["dancing"], ids["lift"], ids["dogs"]], key="demo-council:meeting:3")
