"""议事 rows in any state, written straight into the schema.

Each part of the feature is tested on its own: a ballot test needs an open vote on a plan, not
the topic, meeting and plan rules' whole path to it. Use the cast from tests/volunteer_helpers.py
(make_cast: verified residents "in" and "in2" in building A, "out" in B, "unverified", staff...).
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from lib.core.clock import now_iso, to_iso, utc_now


def make_topic(db, *, proposed_by: int | None, place_id: int | None = None,
               title: str = "小区大门加装雨棚", box: str = "new",
               report_id: int | None = None) -> int:
    """A topic in ``box``; returns its id."""
    now = now_iso()
    household = (db.execute("SELECT household_id FROM users WHERE id = ?", (proposed_by,))
                 .fetchone()[0] if proposed_by else None)
    topic_id = db["council_topics"].insert({
        "title": title, "body": "下雨天进出大门没有地方避雨。", "place_id": place_id,
        "box": box, "report_id": report_id, "proposed_by": proposed_by,
        "household_id": household, "submission_key": f"test:{uuid.uuid4()}",
        "created_at": now, "updated_at": now,
    }).last_pk
    db.conn.commit()
    return topic_id


def make_plan(db, *, topic_id: int, created_by: int, status: str = "draft",
              title: str = "大门雨棚方案", cost_fen: int = 1_200_000,
              meeting_id: int | None = None) -> int:
    """A plan for ``topic_id`` in ``status``; returns its id."""
    now = now_iso()
    plan_id = db["council_plans"].insert({
        "topic_id": topic_id, "meeting_id": meeting_id, "title": title,
        "options_discussed": "方案一：钢结构雨棚；方案二：可伸缩遮阳篷。",
        "body": "在大门内侧加装钢结构雨棚，长6米。", "cost_fen": cost_fen,
        "duties": "物业负责施工，楼栋长监督。", "deadline": None, "owner": "物业公司",
        "status": status, "created_by": created_by, "created_at": now, "updated_at": now,
    }).last_pk
    db.conn.commit()
    return plan_id


def make_vote(db, *, plan_id: int, created_by: int, options=("同意", "不同意"),
              adopting=("同意",), opened_hours_ago: float = 1, closes_in_hours: float = 72,
              quorum: int = 2, scope_place_id: int | None = None,
              status: str = "open") -> dict:
    """A vote on ``plan_id`` (open now unless the window says otherwise); returns its id and
    option ids in order. ``eligible`` counts the households in scope now."""
    now = utc_now()
    eligible = db.execute(
        "SELECT COUNT(*) FROM households WHERE ? IS NULL OR place_id = ?",
        (scope_place_id, scope_place_id)).fetchone()[0]
    vote_id = db["council_votes"].insert({
        "plan_id": plan_id, "question": "是否同意在大门加装雨棚？",
        "scope_place_id": scope_place_id,
        "opens_at": to_iso(now - timedelta(hours=opened_hours_ago)),
        "closes_at": to_iso(now + timedelta(hours=closes_in_hours)),
        "quorum": quorum, "eligible": eligible, "status": status,
        "created_by": created_by, "created_at": now_iso(),
    }).last_pk
    option_ids = [db["council_vote_options"].insert({
        "vote_id": vote_id, "position": position, "label": label,
        "adopts": int(label in adopting)}).last_pk
        for position, label in enumerate(options, start=1)]
    db.execute("UPDATE council_plans SET status = 'voting' WHERE id = ? AND status = 'draft'",
               (plan_id,))
    db.conn.commit()
    return {"id": vote_id, "options": option_ids}


# --- votes (appended by the VOTES part) ------------------------------------------------------


def share_household(db, member, of):
    """Move ``member`` into the household of ``of`` (two members of one home); returns the
    reloaded member."""
    from lib.people.users import load_user

    db.execute("UPDATE users SET household_id = ?, household_status = 'verified' WHERE id = ?",
               (of.household_id, member.id))
    db.conn.commit()
    return load_user(db, member.id)


def vote_world(db, **vote_kw) -> dict:
    """make_cast's people, a topic with a draft-then-voting plan and an open vote on it;
    "in" and "in2" share one household (building A), "out" lives in B."""
    from tests.volunteer_helpers import make_cast

    cast = make_cast(db)
    cast["in2"] = share_household(db, cast["in2"], cast["in"])
    topic = make_topic(db, proposed_by=cast["in"].id)
    plan = make_plan(db, topic_id=topic, created_by=cast["staff"].id)
    vote = make_vote(db, plan_id=plan, created_by=cast["staff"].id, **vote_kw)
    return {**cast, "topic": topic, "plan": plan, "vote": vote}


def counted(db, vote_id: int) -> list[tuple]:
    """(household_id, option_id, channel) of every counted choice, sorted: the tally's truth."""
    return sorted(db.execute("SELECT household_id, option_id, channel FROM council_choices"
                             " WHERE vote_id = ?", (vote_id,)).fetchall())
