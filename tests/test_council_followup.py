"""回头看 (lib/council/followup.py): one rating per household after completion, the summary, and
the last round that opens the next meeting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest

from lib.core.clock import SHANGHAI, local_today, now_iso
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.council import followup
from tests.council_helpers import make_plan, make_topic, share_household
from tests.volunteer_helpers import make_cast


@pytest.fixture
def world(db):
    cast = make_cast(db)
    cast["in2"] = share_household(db, cast["in2"], cast["in"])
    topic = make_topic(db, proposed_by=cast["in"].id)
    cast["plan"] = make_plan(db, topic_id=topic, created_by=cast["staff"].id, status="done")
    db.execute("UPDATE council_plans SET done_at = ? WHERE id = ?", (now_iso(), cast["plan"]))
    cast["adopted"] = make_plan(db, topic_id=topic, created_by=cast["staff"].id,
                                status="adopted", title="在落实")
    db.conn.commit()
    cast["topic"] = topic
    return cast


def ratings(db) -> list[tuple]:
    return db.execute("SELECT plan_id, household_id, user_id, rating, comment"
                      " FROM council_ratings ORDER BY household_id").fetchall()


@pytest.mark.parametrize("who", ["in", "out", "leader", "staff", "admin"])
def test_a_verified_household_member_of_any_role_rates_a_done_plan(db, world, who):
    shown = followup.rate(db, world[who], plan_id=world["plan"], rating="basic", comment=" 还行 ")
    assert (shown.label, shown.comment, shown.by_me) == ("基本满意", "还行", True)
    assert ratings(db) == [(world["plan"], world[who].household_id, world[who].id, "basic",
                            "还行")]


def test_one_rating_per_household_the_later_one_replaces_it(db, world):
    followup.rate(db, world["in"], plan_id=world["plan"], rating="unsatisfied")
    followup.rate(db, world["in2"], plan_id=world["plan"], rating="satisfied", comment="很好")
    assert ratings(db) == [(world["plan"], world["in"].household_id, world["in2"].id,
                            "satisfied", "很好")]
    mine = followup.household_rating(db, world["in"], plan_id=world["plan"])
    assert (mine.label, mine.by_me) == ("满意", False)
    assert followup.summary(db, world["plan"]).counts == \
        {"satisfied": 1, "basic": 0, "unsatisfied": 0}
    followup.rate(db, world["in2"], plan_id=world["plan"], rating="satisfied", comment="很好")
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.rate'"
                      ).fetchone()[0] == 2  # the same rating again changes nothing


@pytest.mark.parametrize("who", ["unverified", "guest", "leader_none"])
def test_an_account_without_a_verified_household_cannot_rate(db, world, who):
    if who == "leader_none":
        db.execute("UPDATE users SET household_id = NULL, household_status = 'none'"
                   " WHERE id = ?", (world[who].id,))
        db.conn.commit()
    with pytest.raises(PermissionDenied):
        followup.rate(db, world[who], plan_id=world["plan"], rating="satisfied")
    assert ratings(db) == []


@pytest.mark.parametrize("rating,comment,field", [
    ("good", "", "rating"), ("", "", "rating"), (None, "", "rating"),
    ("satisfied", "长" * 201, "comment")])
def test_bad_rating_is_refused(db, world, rating, comment, field):
    with pytest.raises(ValidationError) as error:
        followup.rate(db, world["in"], plan_id=world["plan"], rating=rating, comment=comment)
    assert list(error.value.fields) == [field]
    assert ratings(db) == []


def test_a_plan_not_done_cannot_be_rated(db, world):
    with pytest.raises(ValidationError, match="落实完成后"):
        followup.rate(db, world["in"], plan_id=world["adopted"], rating="satisfied")
    with pytest.raises(NotFound):
        followup.rate(db, world["in"], plan_id=999, rating="satisfied")
    assert ratings(db) == []


def test_the_summary_counts_households_by_rating(db, world):
    assert followup.summary(db, world["plan"]).text == "还没有住户评价"
    followup.rate(db, world["in"], plan_id=world["plan"], rating="satisfied", comment="好")
    followup.rate(db, world["out"], plan_id=world["plan"], rating="satisfied")
    followup.rate(db, world["staff"], plan_id=world["plan"], rating="unsatisfied", comment="慢")
    shown = followup.summary(db, world["plan"])
    assert shown.text == "满意 2 户、基本满意 0 户、不满意 1 户（共 3 户）"
    assert shown.share("satisfied") == pytest.approx(2 / 3)
    assert sorted(followup.comments(db, world["plan"])) == [("不满意", "慢"), ("满意", "好")]


# --- the last round ---------------------------------------------------------------------------


@dataclass
class Meeting:
    id: int
    held_on: str


def meeting(db, staff, held_on, status="held") -> Meeting:
    meeting_id = db.execute(
        "INSERT INTO council_meetings (title, held_on, venue, status, created_by, created_at,"
        " updated_at) VALUES ('议事会', ?, '活动室', ?, ?, ?, ?)",
        (held_on, status, staff.id, now_iso(), now_iso())).lastrowid
    db.conn.commit()
    return Meeting(meeting_id, held_on)


def done_on(db, plan_id, day) -> None:
    moment = datetime.combine(day, time(10), SHANGHAI).astimezone(timezone.utc)
    db.execute("UPDATE council_plans SET status = 'done', done_at = ? WHERE id = ?",
               (moment.isoformat(timespec="seconds"), plan_id))
    db.conn.commit()


def test_the_next_meeting_opens_with_open_plans_and_plans_done_since_the_last(db, world):
    today = local_today()
    staff = world["staff"]
    old = make_plan(db, topic_id=world["topic"], created_by=staff.id, title="早已完成")
    done_on(db, old, today - timedelta(days=40))
    done_on(db, world["plan"], today - timedelta(days=5))
    db.execute("UPDATE council_plans SET deadline = ? WHERE id = ?",
               ((today + timedelta(days=9)).isoformat(), world["adopted"]))
    db.conn.commit()
    meeting(db, staff, (today - timedelta(days=10)).isoformat(), status="cancelled")
    meeting(db, staff, (today - timedelta(days=8)).isoformat(), status="scheduled")  # never held
    previous = meeting(db, staff, (today - timedelta(days=30)).isoformat())
    upcoming = meeting(db, staff, (today + timedelta(days=3)).isoformat(), status="scheduled")
    followup.rate(db, world["in"], plan_id=world["plan"], rating="satisfied")

    shown = followup.last_round(db, upcoming)
    assert shown.since == previous.held_on  # only a held meeting is a round
    assert [t.title for t in shown.open_plans] == ["在落实"]
    assert shown.open_plans[0].deadline == (today + timedelta(days=9)).isoformat()
    assert [(t.plan_id, s.counts["satisfied"]) for t, s in shown.done_plans] == \
        [(world["plan"], 1)]
    assert not shown.empty

    first = followup.last_round(db, previous)
    assert first.since is None
    assert [t.title for t, _ in first.done_plans] == ["早已完成"]  # done before that meeting


def test_a_first_meeting_with_nothing_done_is_empty_but_for_open_plans(db, world):
    db.execute("UPDATE council_plans SET status = 'rejected' WHERE id = ?", (world["adopted"],))
    db.execute("UPDATE council_plans SET status = 'adopted', done_at = NULL WHERE id = ?",
               (world["plan"],))
    db.execute("UPDATE council_plans SET status = 'rejected' WHERE id = ?", (world["plan"],))
    db.conn.commit()
    shown = followup.last_round(db, meeting(db, world["staff"], local_today().isoformat()))
    assert shown.empty


# --- a race: every member of one household rating at once -------------------------------------


def _rate_worker(path: str, user_id: int, rating: str, start, results) -> None:
    from lib.core.db import open_db
    from lib.people.users import load_user

    db = open_db(path, migrate=False)
    actor = load_user(db, user_id)
    start.wait()
    try:
        followup.rate(db, actor, plan_id=1, rating=rating)
        results.put("ok")
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(repr(error))


@pytest.mark.slow
def test_eight_members_of_one_household_rating_at_once_leave_one_rating(tmp_path):
    from lib.core.db import open_db
    from lib.core.roles import RESIDENT
    from tests.races import race
    from tests.volunteer_helpers import placed_user

    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    topic = make_topic(db, proposed_by=cast["in"].id)
    plan = make_plan(db, topic_id=topic, created_by=cast["staff"].id, status="done")
    assert plan == 1
    members = [cast["in"]] + [
        share_household(db, placed_user(db, f"member{n}", RESIDENT, cast["grid"]["place_a"]),
                        cast["in"]) for n in range(7)]
    db.conn.close()
    ratings_given = ["satisfied", "basic", "unsatisfied", "satisfied"] * 2
    outcomes = race(_rate_worker, lambda n: (str(path), members[n].id, ratings_given[n]))
    assert outcomes == ["ok"] * 8
    db = open_db(path, migrate=False)
    [(household, user_id, rating)] = db.execute(
        "SELECT household_id, user_id, rating FROM council_ratings").fetchall()
    assert household == cast["in"].household_id
    assert rating == ratings_given[[m.id for m in members].index(user_id)]  # the last one's
    assert followup.summary(db, plan).total == 1
    db.conn.close()
