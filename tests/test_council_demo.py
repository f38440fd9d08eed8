"""The demo's 议事: a newcomer finds a round that went all the way (meeting, plan, vote, 公示
with an objection answered, work with photos, ratings), a vote still open that the demo
resident's household has yet to join, topics in every box, and the next meeting coming;
seeding twice changes nothing."""
from __future__ import annotations

import pytest

from lib.core.db import scalar
from lib.council import followup, meetings, publish, tally, topics, tracking, votes
from lib.site import demo_council
from tests.test_crowdfund_demo import demo  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def db(demo):
    return demo[1]


def member(db, username: str):
    from lib.people.users import load_user
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def test_topics_sit_in_every_box_one_of_them_from_a_report(db):
    board = topics.board(db)
    for box in (*topics.BOARD_BOXES, topics.NEW, topics.DECLINED):
        assert board[box], box
    every = [topic for shown in board.values() for topic in shown]
    assert sum(topic.report_id is not None for topic in every) == 1
    assert max(topic.supporters for topic in every) >= 8  # the gate's canopy


def test_the_first_round_went_from_the_meeting_to_the_households_ratings(db):
    [gate] = [t for t in topics.board(db)[topics.RESOLVED] if t.title == "大门加装雨棚"]
    [plan] = meetings.plans_of_topic(db, gate.id)
    assert plan.status == meetings.DONE
    [vote] = votes.votes_of_plan(db, plan.id)
    counted = tally.tally(db, vote.id)
    assert counted.voted >= counted.quorum  # the quorum was met
    assert tally.outcome(counted) == (tally.PASSED, counted.options[0].id)
    assert counted.online and counted.paper
    shown = publish.get_publication(db, vote.id)
    assert shown.outcome == tally.PASSED
    [objection] = publish.objections(db, vote.id)
    assert objection.answer  # answered in public
    assert len(tracking.updates(db, plan.id)) == 3
    assert sum(bool(update.photos) for update in tracking.updates(db, plan.id)) == 2
    summary = followup.summary(db, plan.id)
    assert summary.total == len(demo_council.RATERS)
    assert summary.counts[followup.UNSATISFIED] == 1


def test_the_record_shows_a_changed_mind_and_a_paper_ballot_that_did_not_count(db):
    staff = member(db, "staff")
    first = scalar(db, "SELECT MIN(id) FROM council_votes")
    assert first not in [vote.id for vote in votes.open_votes(db)]
    record = votes.ballots(db, staff, first)
    rules = [ballot.rule for ballot in record]
    assert rules.count(votes.RULE_CHANGE) == 1
    assert rules.count(votes.RULE_PAPER_AFTER_ONLINE) == 1
    zhaomin = member(db, "zhaomin")
    choice = votes.household_choice(db, first, zhaomin.household_id)
    assert choice.channel == "online"  # the late paper ballot did not replace it
    # each household counts once: the choices are as many as the households in the record
    households = {ballot.household_id for ballot in record}
    assert tally.tally(db, first).voted == len(households)


def test_a_vote_is_open_now_and_the_demo_household_has_not_voted(db):
    [vote] = votes.open_votes(db)
    resident, resident2 = member(db, "resident"), member(db, "resident2")
    assert resident.household_id == resident2.household_id  # two members of one household
    assert votes.household_choice(db, vote.id, resident.household_id) is None
    counted = tally.tally(db, vote.id)
    assert 0 < counted.voted < counted.quorum  # still collecting


def test_the_second_meeting_opens_with_the_first_rounds_follow_up_and_a_third_is_coming(db):
    second = [m for m in meetings.past_meetings(db) if m.title == "第二次院落坝坝会"][0]
    last = followup.last_round(db, second)
    assert [tracked.title for tracked, _ in last.done_plans] == ["大门内侧加装钢结构雨棚"]
    assert [m.title for m in meetings.upcoming_meetings(db)] == ["第三次院落坝坝会"]


def test_seeding_again_changes_nothing(demo):
    config, db = demo
    counts = [scalar(db, f"SELECT COUNT(*) FROM {table}") for table in
              ("council_topics", "council_ballots", "council_ratings", "audit_log")]
    assert demo_council.seed(db, config.data_dir) == 0
    assert counts == [scalar(db, f"SELECT COUNT(*) FROM {table}") for table in
                      ("council_topics", "council_ballots", "council_ratings", "audit_log")]
