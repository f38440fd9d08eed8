"""Eight processes voting at once: a household counts exactly once however members and a
paper ballot interleave, every ballot is on the record, and the tally is exact."""
import time

import pytest

from lib.core.clock import utc_now
from lib.core.db import open_db
from lib.core.errors import PortalError
from lib.council import votes
from lib.council.tally import tally
from lib.people.users import load_user
from tests.council_helpers import counted, make_plan, make_topic, make_vote
from tests.races import race, race_jobs
from tests.volunteer_helpers import build_grids, placed_user


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters


def _online(path: str, user_id: int, vote_id: int, option_id: int, key: str, start,
            results) -> None:
    db = open_db(path, migrate=False)
    actor = load_user(db, user_id)
    start.wait()
    began = time.monotonic()
    try:
        result = votes.cast(db, actor, vote_id=vote_id, option_id=option_id, key=key)
        results.put(("online", result.counted, result.rule, time.monotonic() - began))
    except PortalError as error:
        results.put(("refused", False, str(error), time.monotonic() - began))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", False, repr(error), 0))


def _paper(path: str, staff_id: int, vote_id: int, household_id: int, option_id: int, key: str,
           start, results) -> None:
    db = open_db(path, migrate=False)
    actor = load_user(db, staff_id)
    start.wait()
    began = time.monotonic()
    try:
        result = votes.enter_paper(db, actor, vote_id=vote_id, household_id=household_id,
                                   option_id=option_id, signed_by="户主", collected_at=utc_now(),
                                   key=key)
        results.put(("paper", result.counted, result.rule, time.monotonic() - began))
    except PortalError as error:
        results.put(("refused", False, str(error), time.monotonic() - began))
    except Exception as error:
        results.put(("error", False, repr(error), 0))


def _world(tmp_path, members: int):
    """One household with ``members`` verified members in 1栋, plus 8 single households."""
    path = tmp_path / "race.db"
    db = open_db(path)
    grid = build_grids(db)
    first = placed_user(db, "m0", "resident", grid["place_a"])
    family = [first]
    for n in range(1, members):
        user = placed_user(db, f"m{n}", "resident", grid["place_a"])
        db.execute("UPDATE users SET household_id = ? WHERE id = ?", (first.household_id, user.id))
        family.append(user)
    db.conn.commit()
    singles = [placed_user(db, f"s{n}", "resident", grid["place_b"]) for n in range(8)]
    staff = placed_user(db, "staff", "staff", grid["place_b"])
    plan = make_plan(db, topic_id=make_topic(db, proposed_by=first.id), created_by=staff.id)
    vote = make_vote(db, plan_id=plan, created_by=staff.id)
    return path, db, first.household_id, family, singles, staff, vote


def test_seven_members_and_a_paper_ballot_of_one_household_at_once(tmp_path):
    path, db, household, family, _, staff, vote = _world(tmp_path, 7)
    db.close()
    jobs = [(_online, (str(path), member.id, vote["id"], vote["options"][n % 2], f"o{n}"))
            for n, member in enumerate(family)]
    jobs.append((_paper, (str(path), staff.id, vote["id"], household, vote["options"][1], "p")))
    outcomes = race_jobs(jobs)
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert max(o[3] for o in outcomes) < 20, outcomes
    db = open_db(path, migrate=False)
    ballots = db.execute("SELECT channel, counted, rule, option_id, id FROM council_ballots"
                         " ORDER BY id").fetchall()
    choices = counted(db, vote["id"])
    assert len(choices) == 1 and choices[0][0] == household  # exactly one counted choice
    online = [o for o in outcomes if o[0] == "online"]
    paper = [o for o in outcomes if o[0] == "paper"]
    refused = [o for o in outcomes if o[0] == "refused"]
    if paper and paper[0][1]:  # the paper ballot won the lock first: every member refused
        assert (len(online), len(refused)) == (0, 7), outcomes
        assert all("你家已交纸质选票" in o[2] for o in refused)
        assert [b[:3] for b in ballots] == [("paper", 1, "纸质选票，该户首次投票")]
        assert choices[0][2] == "paper"
    else:  # some members first: the paper ballot is recorded, not counted; the last online counts
        assert len(online) + len(refused) == 7 and len(paper) == 1
        assert paper[0][1:3] == (False, "该户已在线投票，纸质票不计入")
        assert not refused, outcomes  # paper never counted, so no member was turned away
        assert sorted(b[2] for b in ballots) == sorted(
            ["首次投票"] + ["改票，以最后一次为准"] * 6 + ["该户已在线投票，纸质票不计入"])
        last_online = max((b for b in ballots if b[0] == "online"), key=lambda b: b[4])
        assert choices[0][1:] == (last_online[3], "online")  # the last online ballot counts
    print("household race:", sorted((o[0], o[1], o[2]) for o in outcomes),
          f"slowest {max(o[3] for o in outcomes):.2f}s")
    result = tally(db, vote["id"])
    assert (result.voted, result.online + result.paper) == (1, 1)
    assert sum(o.households for o in result.options) == 1
    # every accepted write left exactly one ballot
    assert len(ballots) == len(online) + len(paper)


def test_eight_households_at_once_give_eight_choices(tmp_path):
    path, db, _, _, singles, _, vote = _world(tmp_path, 1)
    db.close()
    outcomes = race(_online, lambda n: (str(path), singles[n].id, vote["id"],
                                        vote["options"][n % 2], f"h{n}"))
    assert sorted(o[:3] for o in outcomes) == [("online", True, "首次投票")] * 8, outcomes
    assert max(o[3] for o in outcomes) < 20, outcomes
    db = open_db(path, migrate=False)
    assert len(counted(db, vote["id"])) == 8
    assert [o.households for o in tally(db, vote["id"]).options] == [4, 4]
    assert db.execute("SELECT COUNT(*) FROM council_ballots").fetchone() == (8,)
