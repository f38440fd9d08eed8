"""The demo community's 星级楼栋: a year of published months and last month still a draft.

Everything goes through the real rules at the moment it happened (clock.pretend): at the end of
each month the five demo leaders rate the buildings of their micro-grids (lib.ranking.scoring),
and staff publish it on the 2nd of the next month (lib.ranking.publish) with the participation
the rest of the demo history measured (volunteer hours, accepted reports, crowdfunding labour).
Along the year: most months give the red-flag building's residents points; one month a leader
was away and staff published with the missing ratings confirmed; one month an admin corrected
a mix-up afterwards; the last month was published late, once the 中心广场健身角 project was
raising, and its reward went into that project. Last month is a draft with ratings missing:
staff can finish it (the main journey).

The stars are made up but deterministic (a seeded random per month, building and criterion),
around a character per building: 4-1 keeps improving, 1-1 slips, so the red flag moves.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlite_utils import Database

from lib.core import clock
from lib.core.db import immediate, scalar
from lib.core.roles import User
from lib.people.users import load_user
from lib.ranking import criteria, publish, scoring
from lib.ranking.months import current_month, month_bounds, previous_month


LEADERS = ("leader", "leader2", "leader3", "leader4", "leader5")
MONTHS = 12
# a building's usual stars, and how much it gains (or loses) month by month over the year
CHARACTER = {"1-1": (4.0, -0.07), "1-2": (3.6, 0.0), "2-1": (4.1, 0.0), "2-2": (3.4, 0.03),
             "3-1": (4.0, 0.01), "3-2": (3.3, 0.05), "4-1": (3.3, 0.15), "4-2": (3.3, 0.0),
             "5-1": (3.8, 0.01), "5-2": (3.0, 0.04), "6-1": (4.2, -0.03), "6-2": (3.1, 0.02),
             "7-1": (3.7, 0.03), "7-2": (3.3, -0.01), "8-1": (4.1, 0.0), "8-2": (2.9, 0.06)}
NOTES = ("楼道堆物已清理", "电动车停放整齐", "有住户在楼道充电，已提醒", "单元门口有垃圾未清",
         "邻里互助氛围好", "楼道灯坏了一盏，已报修")
POINTS = 10  # the points reward for each resident of the red-flag building
AWAY = ("leader5", "8-2")  # (leader, building) not rated in the month the leader was away
AWAY_MONTH = 4  # month index (0 = the oldest) published with the missing rating confirmed
CORRECTED_MONTH = 7  # month index an admin corrects afterwards
CORRECTION = ("leader2", "4-2", "评分时把 4-2 与 5-2 的环境卫生填反了，经微网格长核实后更正。")
PROJECT = "中心广场健身角"  # the last month's reward is paid into it (奖励金)
REWARD_YUAN = "2000"
DRAFT_LEFT_OUT = ("leader4",)  # has not rated the draft month at all
DRAFT_PARTLY = ("leader5", 2)  # rated only the first two of their buildings


def seed(db: Database) -> int:
    """Write the year once (nothing when any ranking month exists); returns the months published."""
    if scalar(db, "SELECT 1 FROM ranking_months LIMIT 1"):
        return 0
    people = {name: _user(db, name) for name in (*LEADERS, "staff", "admin")}
    if any(person is None for person in people.values()):
        return 0  # an edited demo: the history is a nicety, never worth a failed start
    draft = previous_month(current_month())
    months = [draft]
    while len(months) <= MONTHS:
        months.insert(0, previous_month(months[0]))
    published = months[:-1]
    with immediate(db):  # one transaction (each rule's own becomes a savepoint): one commit
        for index, month in enumerate(published):
            _rate(db, people, month, index)
            _publish(db, people, month, index, last=index == len(published) - 1)
            if index == CORRECTED_MONTH:
                _correct(db, people, month)
        _rate(db, people, draft, len(published), draft=True)
    return len(published)


def _moment(day: str, hour: int) -> datetime:
    """``hour`` o'clock in the community on the local date ``day`` ('YYYY-MM-DD')."""
    return datetime.combine(datetime.fromisoformat(day).date(), time(hour),
                            tzinfo=clock.SHANGHAI)


def _stars(month: str, code: str, index: int, criterion_id: int) -> int:
    base, gain = CHARACTER.get(code, (3.5, 0.0))
    wobble = random.Random(f"{month}:{code}:{criterion_id}").uniform(-0.9, 0.9)
    return max(1, min(5, round(base + gain * index + wobble)))


def _rate(db: Database, people: dict[str, User], month: str, index: int, *,
          draft: bool = False) -> None:
    """Each leader rates their micro-grid's buildings near the month's end."""
    columns = [criterion.id for criterion in criteria.star_criteria(db)]
    last_day = (datetime.fromisoformat(month_bounds(month)[1]) - timedelta(days=1)).date()
    for number, name in enumerate(LEADERS):
        if draft and name in DRAFT_LEFT_OUT:
            continue
        leader = people[name]
        when = _moment(last_day.isoformat(), 16) - timedelta(days=number)
        with clock.pretend(when):
            places = scoring.buildings_to_score(db, leader, month)
            if draft and name == DRAFT_PARTLY[0]:
                places = places[:DRAFT_PARTLY[1]]
            rows = []
            for place in places:
                if index == AWAY_MONTH and (name, place.code) == AWAY:
                    continue
                chooser = random.Random(f"{month}:{place.code}:note")
                rows.append({"place_id": place.id,
                             "stars": {cid: _stars(month, place.code, index, cid)
                                       for cid in columns},
                             "note": chooser.choice(NOTES) if chooser.random() < 0.3 else ""})
            scoring.save_scores(db, leader, month=month, rows=rows)


def _publish(db: Database, people: dict[str, User], month: str, index: int, *,
             last: bool) -> None:
    """Staff publish on the 2nd of the next month; the last month late, into a project."""
    following = month_bounds(month)[1]
    reward: dict = {"reward_kind": publish.REWARD_POINTS, "reward_points": POINTS,
                    "reward_note": "感谢全楼居民的付出"}
    when = _moment(following[:8] + "02", 10)
    project = scalar(db, "SELECT id FROM crowdfund_projects WHERE title = ? AND status IN"
                         " ('raising', 'building')", (PROJECT,))
    if last and project:
        launched = scalar(db, "SELECT launched_at FROM crowdfund_projects WHERE id = ?",
                          (project,))
        opened = datetime.fromisoformat(launched).astimezone(clock.SHANGHAI).date()
        when = max(when, _moment((opened + timedelta(days=1)).isoformat(), 10))
        reward = {"reward_kind": publish.REWARD_PROJECT, "reward_yuan": REWARD_YUAN,
                  "reward_project_id": project,
                  "reward_note": "用于更换广场的健身器材"}
    elif index % 3 == 2:
        reward = {}  # not every month has a reward
    with clock.pretend(when):
        publish.publish(db, people["staff"], month=month, confirm_missing=index == AWAY_MONTH,
                        **reward)


def _correct(db: Database, people: dict[str, User], month: str) -> None:
    """An admin swaps back a leader's mixed-up stars a few days after publication."""
    name, code, reason = CORRECTION
    rater, place_id = people[name], scalar(db, "SELECT id FROM places WHERE code = ?", (code,))
    first = criteria.star_criteria(db)[0].id
    given = scalar(db, "SELECT s.stars FROM ranking_stars s JOIN ranking_ratings r"
                       " ON r.id = s.rating_id WHERE r.month = ? AND r.place_id = ?"
                       " AND r.rater_id = ? AND s.criterion_id = ?",
                   (month, place_id, rater.id, first))
    fixed = 5 if given != 5 else 3
    with clock.pretend(_moment(month_bounds(month)[1][:8] + "06", 15)):
        publish.correct(db, people["admin"], month=month, place_id=place_id, rater_id=rater.id,
                        stars={first: fixed}, reason=reason)


def _user(db: Database, username: str) -> User | None:
    user_id = scalar(db, "SELECT id FROM users WHERE username = ?", (username,))
    return load_user(db, user_id) if user_id else None
