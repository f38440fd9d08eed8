"""Two leaders and staff saving one month at once (and against its publication): each rating once, whole."""
import time

import pytest

from lib.core.db import immediate, open_db
from lib.core.errors import ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.people.users import load_user
from lib.ranking import criteria, scoring
from lib.ranking.months import current_month, previous_month
from tests.races import race_jobs
from tests.volunteer_helpers import make_cast


pytestmark = pytest.mark.slow  # each test spawns interpreters: `make mutate` skips them
STARS = {LEADER: (4, 4, 4, 4), "leader_b": (3, 3, 3, 3), STAFF: (5, 5, 5, 5)}


def _save(path: str, rater_id: int, rows: list, month: str, start, results) -> None:
    db = open_db(path, migrate=False)
    rater = load_user(db, rater_id)
    start.wait()
    try:
        result = scoring.save_scores(db, rater, month=month, rows=rows)
        results.put(("ok", (result.saved, result.unchanged)))
    except ValidationError as error:
        results.put(("refused", str(error)))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error)))


def _publish(path: str, month: str, start, results) -> None:
    """Staff's publication as far as scoring sees it: the month turns published under the lock."""
    db = open_db(path, migrate=False)
    start.wait()
    try:
        with immediate(db):
            db.execute("INSERT INTO ranking_months (month, created_at) VALUES (?, 'now')"
                       " ON CONFLICT (month) DO NOTHING", (month,))
            db.execute("UPDATE ranking_months SET status = 'published' WHERE month = ?", (month,))
        results.put(("published", None))
    except Exception as error:
        results.put(("error", repr(error)))


def setup(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)  # both leaders rate both buildings
    ids = [c.id for c in criteria.star_criteria(db)]
    places = [cast["grid"]["place_a"], cast["grid"]["place_b"]]

    def rows(who):
        return [{"place_id": place, "stars": dict(zip(ids, STARS[who])), "note": who}
                for place in places]

    jobs = {who: (cast[who].id, rows(who)) for who in STARS}
    db.conn.close()
    return path, jobs


def stored(path):
    db = open_db(path, migrate=False)
    try:
        ratings = db.execute("SELECT r.rater_id, r.place_id, r.note, COUNT(s.criterion_id),"
                             " MIN(s.stars), MAX(s.stars) FROM ranking_ratings r"
                             " LEFT JOIN ranking_stars s ON s.rating_id = r.id"
                             " GROUP BY r.id ORDER BY r.rater_id, r.place_id").fetchall()
        audits = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'ranking.score'").fetchone()[0]
        months = db.execute("SELECT month, status FROM ranking_months").fetchall()
        return ratings, audits, months
    finally:
        db.conn.close()


def test_two_leaders_and_staff_saving_one_month_twice_each_save_every_rating_once(tmp_path):
    path, jobs = setup(tmp_path)
    month = previous_month(current_month())
    started = time.monotonic()
    outcomes = race_jobs([(_save, (str(path), *jobs[who], month))
                          for who in STARS for _ in range(2)])
    elapsed = time.monotonic() - started
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    # of each rater's two identical saves, one wrote both buildings and the other found them saved
    assert sorted(value for _, value in outcomes) == [(0, 2), (0, 2), (0, 2), (2, 0), (2, 0), (2, 0)]
    ratings, audits, months = stored(path)
    assert len(ratings) == 6 and audits == 3 and months == [(month, "draft")]
    for who, (rater_id, _) in jobs.items():
        mine = [row for row in ratings if row[0] == rater_id]
        assert [(note, count, low, high) for _, _, note, count, low, high in mine] == \
            [(who, 4, STARS[who][0], STARS[who][0])] * 2
    assert elapsed < 20, elapsed


def test_saves_racing_the_publication_land_whole_before_it_or_are_refused(tmp_path):
    path, jobs = setup(tmp_path)
    month = previous_month(current_month())
    outcomes = race_jobs([(_save, (str(path), *jobs[who], month)) for who in STARS]
                    + [(_publish, (str(path), month))])
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    saved = sum(kind == "ok" for kind, _ in outcomes)
    refused = [message for kind, message in outcomes if kind == "refused"]
    assert saved + len(refused) == 3
    assert all(message.endswith("的评比已公布，不能再修改。") for message in refused)
    ratings, audits, months = stored(path)
    assert months == [(month, "published")]
    assert len(ratings) == 2 * saved and audits == saved
    assert all(count == 4 for _, _, _, count, _, _ in ratings)  # never a half-saved rating
