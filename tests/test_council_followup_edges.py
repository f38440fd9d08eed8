"""回头看's refusals word for word, at their limits, the records a rating leaves, and the last
round's window to the exact second.

A page places each message by its field name, so a refusal is checked as the whole
``fields`` dict; a limit is checked on both of its sides, a day's edge at the exact second.
"""
from __future__ import annotations

import time as systime
from datetime import datetime, timedelta

import pytest

from lib.core import clock
from lib.core.clock import SHANGHAI, to_iso
from lib.core.errors import PermissionDenied
from lib.core.roles import GUEST_USER
from lib.council import followup, tracking
from tests import test_council_followup as base
from tests.council_helpers import make_plan
from tests.refusals import fields, last_audit, not_found
from tests.test_council_followup import Meeting, meeting, ratings


world = base.world  # the fixture: "in" and "in2" share a home; a done plan and an adopted one

MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=SHANGHAI)
LATER = MOMENT + timedelta(hours=2)


def rate_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.rate'").fetchone()[0]


def times(db) -> list[tuple]:
    return db.execute("SELECT created_at, updated_at FROM council_ratings"
                      " ORDER BY household_id").fetchall()


# --- the summary ------------------------------------------------------------------------------


def test_a_plan_nobody_rated_has_no_shares_and_says_so():
    nobody = followup.Summary(dict.fromkeys(followup.RATING_LABELS, 0))
    assert (nobody.total, nobody.share("satisfied"), nobody.text) == (0, 0.0, "还没有住户评价")
    one_each = followup.Summary({"satisfied": 3, "basic": 1, "unsatisfied": 0})
    assert (one_each.share("basic"), one_each.share("unsatisfied")) == (0.25, 0.0)


def test_the_summary_counts_only_that_plans_ratings(db, world):
    other = make_plan(db, topic_id=world["topic"], created_by=world["staff"].id, status="done")
    followup.rate(db, world["in"], plan_id=world["plan"], rating="basic")
    followup.rate(db, world["out"], plan_id=other, rating="unsatisfied")
    assert followup.summary(db, world["plan"]) == followup.Summary(
        {"satisfied": 0, "basic": 1, "unsatisfied": 0})
    assert followup.summary(db, other).text == "满意 0 户、基本满意 0 户、不满意 1 户（共 1 户）"


def test_a_last_round_with_only_open_or_only_done_plans_is_not_empty(db, world):
    plan = tracking.get_tracked(db, world["plan"])
    nothing = followup.Summary(dict.fromkeys(followup.RATING_LABELS, 0))
    assert followup.LastRound(None, (), ()).empty
    assert not followup.LastRound(None, (plan,), ()).empty
    assert not followup.LastRound(None, (), ((plan, nothing),)).empty


# --- rating: refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("rating, comment, expected", [
    ("good", "", {"rating": "请选择 满意、基本满意 或 不满意。"}),
    (None, "好", {"rating": "请选择 满意、基本满意 或 不满意。"}),
    ("satisfied", "长" * 201, {"comment": "评价内容不能超过 200 个字。"}),
    ("satisfied", " " + "长" * 201 + " ", {"comment": "评价内容不能超过 200 个字。"}),
])
def test_each_bad_rating_is_named_in_its_field(db, world, rating, comment, expected):
    assert fields(lambda: followup.rate(db, world["in"], plan_id=world["plan"], rating=rating,
                                        comment=comment)) == expected
    assert ratings(db) == []


@pytest.mark.parametrize("status", ["draft", "voting", "adopted", "rejected", "dropped"])
def test_only_a_done_plan_can_be_rated(db, world, status):
    db.execute("UPDATE council_plans SET status = ? WHERE id = ?", (status, world["plan"]))
    db.conn.commit()
    assert fields(lambda: followup.rate(db, world["in"], plan_id=world["plan"],
                                        rating="satisfied")) == {"rating": "方案落实完成后才能评价。"}
    assert ratings(db) == [] and rate_count(db) == 0


@pytest.mark.parametrize("plan_id", [True, "1", 1.0, None, 999, 0, -1, 2 ** 63])
def test_only_a_stored_plans_whole_number_id_finds_it(db, world, plan_id):
    assert world["plan"] == 1  # so True, "1" and 1.0 would find it if taken for 1
    assert not_found(lambda: followup.rate(db, world["in"], plan_id=plan_id,
                                           rating="satisfied")) == "找不到该方案。"
    assert ratings(db) == []


def test_an_account_without_a_verified_home_is_told_what_to_do(db, world):
    with pytest.raises(PermissionDenied) as caught:
        followup.rate(db, world["unverified"], plan_id=world["plan"], rating="satisfied")
    assert str(caught.value) == \
        "只有已核实住户的居民才能评价落实结果，请先在“我的”中绑定住户并等待核实。"


# --- rating: what is stored and recorded ------------------------------------------------------


def test_two_hundred_characters_and_no_comment_at_all_are_allowed(db, world):
    shown = followup.rate(db, world["in"], plan_id=world["plan"], rating="satisfied",
                          comment=" " + "长" * 200 + " ")
    assert shown.comment == "长" * 200
    followup.rate(db, world["out"], plan_id=world["plan"], rating="basic", comment=None)
    assert [r[4] for r in ratings(db)] == ["长" * 200, ""]


def test_a_first_rating_is_stored_at_its_moment_and_audited(db, world):
    with clock.pretend(MOMENT):
        shown = followup.rate(db, world["in"], plan_id=world["plan"], rating="basic",
                              comment=" 还行 ")
    assert shown == followup.Rating("basic", "还行", to_iso(MOMENT), True)
    assert times(db) == [(to_iso(MOMENT), to_iso(MOMENT))]
    assert last_audit(db, "council.rate") == {
        "actor": world["in"].id, "type": "council_plan", "id": str(world["plan"]),
        "detail": {"rating": "basic", "replaced": ""}}


def test_a_changed_rating_keeps_when_it_was_first_given_and_records_what_it_replaced(db, world):
    plan = world["plan"]
    with clock.pretend(MOMENT):
        followup.rate(db, world["in"], plan_id=plan, rating="basic", comment="还行")
    with clock.pretend(LATER):
        shown = followup.rate(db, world["in2"], plan_id=plan, rating="unsatisfied",
                              comment="漏雨")
    assert shown == followup.Rating("unsatisfied", "漏雨", to_iso(LATER), True)
    assert times(db) == [(to_iso(MOMENT), to_iso(LATER))]
    assert last_audit(db, "council.rate") == {
        "actor": world["in2"].id, "type": "council_plan", "id": str(plan),
        "detail": {"rating": "unsatisfied", "replaced": "basic"}}


@pytest.mark.parametrize("who, rating, comment", [
    ("in", "basic", "其实还不错"),  # the same member changes only the comment
    ("in", "satisfied", "还行"),  # ... only the rating
    ("in2", "basic", "还行"),  # another member says the same: it becomes theirs
])
def test_any_change_by_anyone_in_the_household_is_a_new_rating(db, world, who, rating, comment):
    plan = world["plan"]
    with clock.pretend(MOMENT):
        followup.rate(db, world["in"], plan_id=plan, rating="basic", comment="还行")
    with clock.pretend(LATER):
        shown = followup.rate(db, world[who], plan_id=plan, rating=rating, comment=comment)
    assert shown == followup.Rating(rating, comment, to_iso(LATER), True)
    assert ratings(db) == [(plan, world["in"].household_id, world[who].id, rating, comment)]
    assert rate_count(db) == 2
    mine = followup.household_rating(db, world["in"], plan_id=plan)
    assert mine.by_me is (who == "in")


def test_rating_the_same_way_again_changes_nothing(db, world):
    plan = world["plan"]
    with clock.pretend(MOMENT):
        followup.rate(db, world["in"], plan_id=plan, rating="basic", comment="还行")
    with clock.pretend(LATER):
        again = followup.rate(db, world["in"], plan_id=plan, rating="basic", comment=" 还行 ")
    assert again == followup.Rating("basic", "还行", to_iso(MOMENT), True)
    assert times(db) == [(to_iso(MOMENT), to_iso(MOMENT))]
    assert rate_count(db) == 1


# --- whose rating is shown --------------------------------------------------------------------


def test_only_a_member_of_a_household_sees_its_rating(db, world, make_user):
    plan = world["plan"]
    followup.rate(db, world["in"], plan_id=plan, rating="satisfied")
    followup.rate(db, world["out"], plan_id=plan, rating="unsatisfied")
    assert followup.household_rating(db, world["in2"], plan_id=plan).rating == "satisfied"
    assert followup.household_rating(db, world["out"], plan_id=plan).rating == "unsatisfied"
    assert followup.household_rating(db, world["staff"], plan_id=plan) is None
    assert followup.household_rating(db, world["unverified"], plan_id=plan) is None
    assert followup.household_rating(db, GUEST_USER, plan_id=plan) is None
    assert followup.household_rating(db, None, plan_id=plan) is None
    assert followup.household_rating(db, make_user(), plan_id=plan) is None


# --- comments ---------------------------------------------------------------------------------


def test_comments_are_the_latest_twenty_with_words_newest_first(db, world):
    plan = world["plan"]
    place = world["grid"]["place_a"]
    for n in range(23):
        household = db.execute("INSERT INTO households (place_id, room, created_at)"
                               " VALUES (?, ?, 'now')", (place, f"9{n:02d}")).lastrowid
        db.execute("INSERT INTO council_ratings (plan_id, household_id, user_id, rating, comment,"
                   " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 't', ?)",
                   (plan, household, world["in"].id, ("satisfied", "basic", "unsatisfied")[n % 3],
                    "" if n == 22 else f"第{n}条", f"2026-03-01T00:00:{n:02d}+00:00"))
    db.conn.commit()
    latest = followup.comments(db, plan)
    assert latest[:3] == [("满意", "第21条"), ("不满意", "第20条"), ("基本满意", "第19条")]
    assert [c for _, c in latest] == [f"第{n}条" for n in range(21, 1, -1)]
    assert followup.comments(db, plan, limit=2) == latest[:2]
    assert followup.comments(db, plan + 1) == []


# --- the last round ---------------------------------------------------------------------------


def done_at(db, world, moment: str, title: str) -> int:
    plan = make_plan(db, topic_id=world["topic"], created_by=world["staff"].id, status="done",
                     title=title)
    db.execute("UPDATE council_plans SET done_at = ? WHERE id = ?", (moment, plan))
    db.conn.commit()
    return plan


def only_edges(db, world) -> None:
    """Leave just the plans done_at puts in (the world's own done plan was done today)."""
    db.execute("UPDATE council_plans SET status = 'dropped' WHERE id = ?", (world["plan"],))
    db.conn.commit()


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Shanghai"])
def server_zone(request, monkeypatch):
    """The server's own time zone must not move the community's days."""
    monkeypatch.setenv("TZ", request.param)
    systime.tzset()
    yield request.param
    monkeypatch.undo()
    systime.tzset()


def test_the_round_runs_from_the_previous_meetings_day_to_the_end_of_this_ones(
        db, world, server_zone):
    only_edges(db, world)
    staff = world["staff"]
    # Shanghai days: 10 March starts at 16:00 UTC on the 9th; 21 March at 16:00 UTC on the 20th
    done_at(db, world, "2026-03-09T15:59:59+00:00", "上次会前")
    first_second = done_at(db, world, "2026-03-09T16:00:00+00:00", "上次会当天")
    last_second = done_at(db, world, "2026-03-20T15:59:59+00:00", "本次会当天")
    done_at(db, world, "2026-03-20T16:00:00+00:00", "本次会后")
    previous = meeting(db, staff, "2026-03-10")
    shown = followup.last_round(db, meeting(db, staff, "2026-03-20", status="scheduled"))
    assert shown.since == "2026-03-10" and previous.held_on == "2026-03-10"
    assert [t.plan_id for t, _ in shown.done_plans] == [last_second, first_second]
    assert shown.done_plans[0] == (tracking.get_tracked(db, last_second),
                                   followup.summary(db, last_second))
    assert shown.open_plans == tuple(tracking.in_progress(db))
    assert [t.plan_id for t in shown.open_plans] == [world["adopted"]]


def test_a_meeting_held_earlier_the_same_day_is_the_previous_one(db, world):
    only_edges(db, world)
    staff = world["staff"]
    morning = meeting(db, staff, "2026-03-10")
    evening = meeting(db, staff, "2026-03-10")
    meeting(db, staff, "2026-03-10")  # a later one the same day does not count for the evening
    meeting(db, staff, "2026-03-11")
    done_at(db, world, "2026-03-09T16:00:00+00:00", "当天")
    shown = followup.last_round(db, evening)
    assert shown.since == "2026-03-10"
    assert [t.title for t, _ in shown.done_plans] == ["当天"]
    assert followup.last_round(db, morning).since is None


def test_a_first_meeting_looks_back_on_the_latest_five_done_before_its_day_ends(db, world):
    only_edges(db, world)
    ids = [done_at(db, world, f"2026-03-0{n}T10:00:00+00:00", f"第{n}个") for n in range(1, 8)]
    same_time = done_at(db, world, "2026-03-07T10:00:00+00:00", "同时")
    done_at(db, world, "2026-03-20T16:00:00+00:00", "会后")
    shown = followup.last_round(db, Meeting(99, "2026-03-20"))
    assert shown.since is None
    assert [t.plan_id for t, _ in shown.done_plans] == [same_time, ids[6], ids[5], ids[4],
                                                        ids[3]]
