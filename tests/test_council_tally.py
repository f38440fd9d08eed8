"""The public count: totals by option, turnout against the quorum, per building, the outcome."""
from lib.core.clock import now_iso, utc_now
from lib.council import votes
from lib.council.tally import FAILED, NO_QUORUM, PASSED, Tally, OptionCount, outcome, tally
from tests.council_helpers import make_plan, make_topic, make_vote
from tests.volunteer_helpers import build_grids, placed_user


def _world(db):
    """Building 1栋 with 4 households, 2栋 with 4 (3 residents and the staff member's home)."""
    grid = build_grids(db)
    people = {f"a{n}": placed_user(db, f"a{n}", "resident", grid["place_a"]) for n in range(4)}
    people.update({f"b{n}": placed_user(db, f"b{n}", "resident", grid["place_b"]) for n in range(3)})
    staff = placed_user(db, "staff", "staff", grid["place_b"])
    topic = make_topic(db, proposed_by=people["a0"].id)
    plan = make_plan(db, topic_id=topic, created_by=staff.id)
    vote = make_vote(db, plan_id=plan, created_by=staff.id, options=("同意", "不同意", "弃权"),
                     quorum=5)
    return grid, people, staff, vote


def test_a_hand_counted_vote(db):
    grid, p, staff, vote = _world(db)
    agree, disagree, abstain = vote["options"]
    votes.cast(db, p["a0"], vote_id=vote["id"], option_id=disagree, key="1")
    votes.cast(db, p["a0"], vote_id=vote["id"], option_id=agree, key="2")  # 改票: counts 同意
    votes.cast(db, p["a1"], vote_id=vote["id"], option_id=agree, key="3")
    votes.cast(db, p["b0"], vote_id=vote["id"], option_id=disagree, key="4")
    votes.enter_paper(db, staff, vote_id=vote["id"], household_id=p["b1"].household_id,
                      option_id=agree, signed_by="李", collected_at=utc_now(), key="5")
    votes.enter_paper(db, staff, vote_id=vote["id"], household_id=p["a2"].household_id,
                      option_id=abstain, signed_by="周", collected_at=utc_now(), key="6")
    # a0 voted online: its paper ballot is on the record, not in the count
    votes.enter_paper(db, staff, vote_id=vote["id"], household_id=p["a0"].household_id,
                      option_id=disagree, signed_by="赵", collected_at=utc_now(), key="7")
    # By hand: 同意 a0 a1 (online) + b1 (paper) = 3; 不同意 b0 = 1; 弃权 a2 (paper) = 1.
    # 5 households of 8 voted, quorum 5 met; online 3, paper 2; 1栋 3 of 4, 2栋 2 of 4.
    result = tally(db, vote["id"])
    assert [(o.label, o.households, o.online, o.paper) for o in result.options] == [
        ("同意", 3, 2, 1), ("不同意", 1, 1, 0), ("弃权", 1, 0, 1)]
    assert (result.voted, result.eligible, result.quorum, result.quorum_met) == (5, 8, 5, True)
    assert (result.online, result.paper, result.turnout_percent) == (3, 2, 62.5)
    assert [(b.name, b.households, b.voted, b.percent) for b in result.buildings] == [
        ("1栋", 4, 3, 75.0), ("2栋", 4, 2, 50.0)]
    assert outcome(result) == (PASSED, agree)


def test_a_vote_scoped_to_one_building_counts_only_it(db):
    grid, p, staff, _ = _world(db)
    plan = make_plan(db, topic_id=make_topic(db, proposed_by=p["a0"].id), created_by=staff.id)
    scoped = make_vote(db, plan_id=plan, created_by=staff.id, scope_place_id=grid["place_b"],
                       quorum=1)
    votes.cast(db, p["b2"], vote_id=scoped["id"], option_id=scoped["options"][0], key="s")
    result = tally(db, scoped["id"])
    assert (result.eligible, result.voted) == (4, 1)
    assert [(b.name, b.households, b.voted) for b in result.buildings] == [("2栋", 4, 1)]


def _t(counts, quorum=3, adopts=(True, False, False)):
    options = [OptionCount(n + 1, f"o{n}", adopts[n], c, c, 0) for n, c in enumerate(counts)]
    return Tally(1, options, sum(counts), 10, quorum, sum(counts), 0)


def test_the_outcome_rule():
    assert outcome(_t([1, 1, 0])) == (NO_QUORUM, None)  # 2 households < quorum 3
    assert outcome(_t([2, 1, 0])) == (PASSED, 1)  # the top adopts alone; exactly the quorum
    assert outcome(_t([2, 2, 0])) == (FAILED, None)  # a tie at the top does not pass
    assert outcome(_t([1, 3, 0])) == (FAILED, 2)
    assert outcome(_t([3, 0, 3])) == (FAILED, None)
    # two adopting options (同意 / 基本同意): the top one must still lead alone
    assert outcome(_t([1, 4, 0], adopts=(True, True, False))) == (PASSED, 2)
    assert outcome(_t([0, 0, 0], quorum=1)) == (NO_QUORUM, None)


def test_an_empty_vote_counts_zero(db):
    _, _, _, vote = _world(db)
    result = tally(db, vote["id"])
    assert [o.households for o in result.options] == [0, 0, 0]
    assert (result.voted, result.online, result.paper, result.quorum_met) == (0, 0, 0, False)
    assert [b.voted for b in result.buildings] == [0, 0]
    assert now_iso() < votes.get_vote(db, vote["id"]).closes_at


def test_the_version_moves_with_every_ballot_counted_or_not_and_with_the_households(db):
    from lib.council.tally import version

    grid, p, staff, vote = _world(db)
    agree, disagree, _ = vote["options"]
    seen = [version(db, vote["id"])]
    votes.cast(db, p["a0"], vote_id=vote["id"], option_id=agree, key="1")
    seen.append(version(db, vote["id"]))
    votes.cast(db, p["a0"], vote_id=vote["id"], option_id=disagree, key="2")  # 改票
    seen.append(version(db, vote["id"]))
    votes.enter_paper(db, staff, vote_id=vote["id"], household_id=p["a0"].household_id,
                      option_id=agree, signed_by="赵", collected_at=utc_now(), key="3")
    seen.append(version(db, vote["id"]))  # recorded, not counted: the record still changed
    db.execute("INSERT INTO households (place_id, room, created_at) VALUES (?, '909', ?)",
               (grid["place_a"], now_iso()))
    seen.append(version(db, vote["id"]))
    assert len(set(seen)) == len(seen)
    assert version(db, vote["id"]) == seen[-1]  # nothing new: the same version
