"""The benchmark's generator: deterministic, consistent, and a valid portal database."""
import hashlib

import pytest

from bench.generate import build
from lib.core.db import open_db


def fingerprint(path) -> str:
    db = open_db(path, migrate=False)
    digest = hashlib.sha256()
    for table in ("places", "households", "users", "reports", "report_events", "points_ledger",
                  "volunteer_events", "volunteer_hours", "shop_items", "shop_redemptions",
                  "crowdfund_projects", "crowdfund_pledges", "crowdfund_spending",
                  "crowdfund_tasks", "crowdfund_signups", "crowdfund_grants", "ranking_months",
                  "ranking_ratings", "ranking_stars", "ranking_results", "ranking_corrections",
                  "council_topics", "council_votes", "council_ballots", "council_choices"):
        order = "1, 2" if table == "council_choices" else "rowid"  # WITHOUT ROWID
        for row in db.execute(f"SELECT * FROM [{table}] ORDER BY {order}"):
            if table == "users":
                row = row[:3] + row[4:]  # the password hash has a random salt
            digest.update(repr(row).encode())
    db.conn.close()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "g.db"
    build(path, scale=0.01, log=lambda _: None)
    db = open_db(path)
    yield db
    db.conn.close()


def rows(db, sql, params=()):
    return db.execute(sql, params).fetchall()


def test_the_same_seed_builds_the_same_community(tmp_path, small):
    build(tmp_path / "b.db", scale=0.01, log=lambda _: None)
    build(tmp_path / "c.db", scale=0.01, seed=7, log=lambda _: None)
    small_path = rows(small, "PRAGMA database_list")[0][2]
    assert fingerprint(small_path) == fingerprint(tmp_path / "b.db")
    assert fingerprint(small_path) != fingerprint(tmp_path / "c.db")


def test_the_generated_community_keeps_the_portal_invariants(small):
    db = small
    assert rows(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert rows(db, "PRAGMA foreign_key_check") == []
    roles = {row[0] for row in rows(db, "SELECT username FROM users WHERE role <> 'resident'"
                                        " AND username NOT LIKE 'user%' OR username = 'resident'")}
    assert roles == {"admin", "staff", "leader", "resident"}
    assert rows(db, "SELECT COUNT(*) FROM reports")[0][0] == 500
    assert rows(db, "SELECT COUNT(*) FROM points_ledger")[0][0] == 10_000


def test_no_balance_ever_goes_below_zero_and_entries_are_in_time_order(small):
    lowest = rows(small, "SELECT MIN(running) FROM (SELECT SUM(amount) OVER (PARTITION BY user_id"
                         " ORDER BY id) AS running FROM points_ledger)")[0][0]
    assert lowest >= 0
    assert rows(small, "SELECT COUNT(*) FROM points_ledger a JOIN points_ledger b"
                       " ON b.id = a.id + 1 WHERE b.created_at < a.created_at")[0][0] == 0


def test_the_yearly_totals_equal_a_group_by_over_the_ledger(small):
    by_person = rows(small, "SELECT user_id, CAST(strftime('%Y', created_at, '+8 hours') AS INTEGER),"
                            " SUM(amount) FROM points_ledger WHERE kind NOT IN ('redeem', 'refund')"
                            " GROUP BY 1, 2 ORDER BY 1, 2")
    assert len(by_person) > 100
    assert rows(small, "SELECT user_id, year, earned FROM points_year_totals ORDER BY 1, 2") == by_person
    by_place = rows(small, "SELECT households.place_id, CAST(strftime('%Y', points_ledger.created_at,"
                           " '+8 hours') AS INTEGER), SUM(amount) FROM points_ledger"
                           " JOIN users ON users.id = points_ledger.user_id"
                           " JOIN households ON households.id = users.household_id"
                           " WHERE kind NOT IN ('redeem', 'refund') GROUP BY 1, 2 ORDER BY 1, 2")
    assert len(by_place) >= 4 * 5
    assert rows(small, "SELECT place_id, year, earned FROM points_place_year_totals"
                       " ORDER BY 1, 2") == by_place


def test_every_entry_links_to_what_earned_or_spent_it(small):
    kinds = dict(rows(small, "SELECT kind, COUNT(*) FROM points_ledger GROUP BY kind"))
    assert {"report", "volunteer", "special", "redeem", "refund", "correction"} <= set(kinds)
    assert rows(small, "SELECT COUNT(*) FROM points_ledger WHERE idempotency_key NOT LIKE"
                       " kind || ':%' AND NOT (kind = 'redeem' AND idempotency_key LIKE 'shop:%')"
                       " AND NOT (kind = 'refund' AND idempotency_key LIKE 'shop-refund:%')")[0][0] == 0
    # an accepted report's award is for that report's reporter
    assert rows(small, "SELECT COUNT(*) FROM points_ledger JOIN reports ON points_ledger"
                       ".idempotency_key = 'report:' || reports.id || ':accepted'"
                       " AND reports.reporter_id = points_ledger.user_id")[0][0] == kinds["report"]
    # approved hours earn their points once; pending and rejected earn nothing
    assert rows(small, "SELECT COUNT(*) FROM volunteer_hours h LEFT JOIN points_ledger l"
                       " ON l.idempotency_key = 'volunteer:' || h.id AND l.user_id = h.user_id"
                       " AND l.amount = h.points WHERE (h.status = 'approved') <> (l.id IS NOT NULL)"
                       )[0][0] == 0
    assert kinds["volunteer"] == rows(small, "SELECT COUNT(*) FROM volunteer_hours"
                                             " WHERE status = 'approved'")[0][0]


def test_every_redemption_has_its_ledger_entry_and_a_cancelled_one_its_refund(small):
    assert rows(small, "SELECT COUNT(*) FROM shop_redemptions r LEFT JOIN points_ledger l"
                       " ON l.idempotency_key = 'shop:' || r.id AND l.user_id = r.user_id"
                       " AND l.amount = -r.points AND l.kind = 'redeem' WHERE l.id IS NULL")[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM points_ledger WHERE kind = 'redeem'")[0][0] == \
        rows(small, "SELECT COUNT(*) FROM shop_redemptions")[0][0] == 400
    assert rows(small, "SELECT COUNT(*) FROM shop_redemptions r LEFT JOIN points_ledger l"
                       " ON l.idempotency_key = 'shop-refund:' || r.id AND l.amount = r.points"
                       " WHERE (r.status = 'cancelled') <> (l.id IS NOT NULL)")[0][0] == 0
    statuses = dict(rows(small, "SELECT status, COUNT(*) FROM shop_redemptions GROUP BY 1"))
    assert statuses["fulfilled"] > statuses.get("waiting", 0) > 0
    assert rows(small, "SELECT COUNT(*) FROM shop_redemptions r JOIN shop_items i"
                       " ON i.id = r.item_id WHERE r.points <> i.price * r.quantity"
                       " OR (r.status = 'waiting') <> (r.closed_at IS NULL)")[0][0] == 0


def test_the_shop_keeps_stock_and_monthly_limits(small):
    assert rows(small, "SELECT COUNT(*) FROM shop_items WHERE stock < 0")[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM shop_items")[0][0] >= 4
    over = rows(small, "SELECT COUNT(*) FROM (SELECT r.user_id, r.month, r.item_id"
                       " FROM shop_redemptions r JOIN shop_items i ON i.id = r.item_id"
                       " WHERE i.monthly_limit > 0 GROUP BY 1, 2, 3"
                       " HAVING SUM(r.quantity) > MAX(i.monthly_limit))")[0][0]
    assert over == 0
    assert rows(small, "SELECT COUNT(*) FROM shop_redemptions WHERE month <>"
                       " strftime('%Y-%m', created_at, '+8 hours')")[0][0] == 0


def test_every_micro_grid_has_a_leader_who_reviews_its_hours(small):
    leaders = dict(rows(small, "SELECT leads_microgrid_id, COUNT(*) FROM users"
                               " WHERE role = 'leader' GROUP BY 1"))
    microgrids = rows(small, "SELECT COUNT(*) FROM microgrids")[0][0]
    assert leaders == {m: 1 for m in range(1, microgrids + 1)}
    # a leader reviews only hours from the building of their micro-grid, never their own
    assert rows(small, "SELECT COUNT(*) FROM volunteer_hours h JOIN users r ON r.id = h.reviewer_id"
                       " JOIN places p ON p.id = h.place_id WHERE r.role = 'leader'"
                       " AND (r.leads_microgrid_id <> p.microgrid_id OR r.id = h.user_id)")[0][0] == 0
    statuses = dict(rows(small, "SELECT status, COUNT(*) FROM volunteer_hours GROUP BY 1"))
    assert set(statuses) == {"approved", "pending", "rejected"}
    assert rows(small, "SELECT COUNT(*) FROM volunteer_hours WHERE status = 'pending'"
                       " AND reviewer_id IS NOT NULL")[0][0] == 0
    # an event's attendees each got its hours once, on its day
    assert rows(small, "SELECT COUNT(*) FROM volunteer_hours h JOIN volunteer_events e"
                       " ON e.id = h.event_id WHERE h.served_on <> e.held_on"
                       " OR h.half_hours <> e.half_hours")[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM volunteer_hours WHERE served_on >"
                       " date('2026-11-01', '+1 day')")[0][0] == 0


def test_the_big_project_holds_its_contributions_and_never_spends_what_it_lacks(small):
    from lib.crowdfund import books, projects
    from lib.crowdfund.money import match_total

    statuses = dict(rows(small, "SELECT status, COUNT(*) FROM crowdfund_pledges"
                                " WHERE project_id = 1 GROUP BY 1"))
    assert statuses["received"] == 50 and set(statuses) == {"received", "pledged", "not_received"}
    assert rows(small, "SELECT COUNT(DISTINCT user_id) = COUNT(*) FROM crowdfund_pledges"
                       " WHERE project_id = 1")[0][0] == 1
    ledger = books.public_ledger(small, 1)
    progress = projects.progress(small, 1)
    assert ledger.totals.contributions == 50 and ledger.totals.spent_fen > 0
    assert ledger.totals.match_fen == match_total(ledger.totals.cash_fen, 500, None)
    assert (ledger.totals.cash_fen, ledger.totals.match_fen, ledger.totals.balance_fen,
            ledger.totals.labour_fen) == (progress.cash_fen, progress.match_fen,
                                          progress.balance_fen, progress.labour_value_fen)
    assert min(row.balance_fen for row in ledger.rows) >= 0
    assert ledger.totals.labour_half_hours > 0


def test_five_years_of_published_months_are_what_publishing_would_have_written(small):
    """Every month re-ranked by THE RULES from its frozen inputs gives its published table."""
    from lib.ranking import months, standings
    from bench.generate import DRAFT_MONTH, RANKING_MONTHS

    buildings = rows(small, "SELECT COUNT(*) FROM places WHERE kind = 'building'")[0][0]
    published = months.published_months(small)
    assert len(published) == RANKING_MONTHS == 60
    assert (published[0], published[-1]) == ("2026-09", "2021-10")
    assert months.get_month(small, DRAFT_MONTH).status == months.DRAFT
    assert rows(small, "SELECT month, COUNT(*), MIN(rank), MAX(rank), COUNT(DISTINCT rank)"
                       " FROM ranking_results GROUP BY month HAVING COUNT(*) <> ? OR MIN(rank) <> 1"
                       " OR MAX(rank) <> ? OR COUNT(DISTINCT rank) <> ?",
                (buildings, buildings, buildings)) == []
    for month in published:
        frozen = months.get_month(small, month)
        again = standings.rank(standings.frozen_inputs(small, month), frozen.weights,
                               standings.flags_before(small, month))
        shown = standings.published(small, month)
        assert [(s.place_id, s.rank, s.score_tenths, s.stars, s.rated_tenths,
                 s.participation_tenths, s.raters, s.detail) for s in again] == \
            [(s.place_id, s.rank, s.score_tenths, s.stars, s.rated_tenths,
              s.participation_tenths, s.raters, s.detail) for s in shown], month
    # the participation counted is the portal's own records of that month
    for month in published[:3] + published[-2:]:
        live = standings.participation(small, month)
        assert {s.place_id: (s.households, s.volunteer_half_hours, s.labour_half_hours, s.reports)
                for s in standings.published(small, month)} == {
            place: (p.households, p.volunteer_half_hours, p.labour_half_hours, p.reports)
            for place, p in live.items()}
    assert rows(small, "SELECT SUM(volunteer_half_hours) > 0 AND SUM(reports) > 0"
                       " FROM ranking_results")[0][0] == 1


def test_the_ratings_come_from_the_leaders_of_each_grid_and_published_months_stay_frozen(small):
    import sqlite3

    from lib.ranking import standings
    from bench.generate import DRAFT_MONTH, STAFF_ID

    assert rows(small, "SELECT COUNT(*) FROM ranking_ratings r JOIN places p ON p.id = r.place_id"
                       " JOIN users u ON u.id = r.rater_id WHERE NOT (u.id = ? OR"
                       " (u.role = 'leader' AND u.leads_microgrid_id = p.microgrid_id))",
                (STAFF_ID,))[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM ranking_ratings r WHERE (SELECT COUNT(*)"
                       " FROM ranking_stars s WHERE s.rating_id = r.id) <> 4")[0][0] == 0
    # the draft: most buildings rated, some not yet, no results until it is published
    buildings = rows(small, "SELECT COUNT(*) FROM places WHERE kind = 'building'")[0][0]
    rated = rows(small, "SELECT COUNT(DISTINCT place_id) FROM ranking_ratings WHERE month = ?",
                 (DRAFT_MONTH,))[0][0]
    assert rated == buildings - len(range(3, buildings + 1, 5)) and rated < buildings
    assert rows(small, "SELECT COUNT(*) FROM ranking_results WHERE month = ?", (DRAFT_MONTH,)) \
        == [(0,)]
    assert len(standings.compute(small, DRAFT_MONTH)) == buildings
    with pytest.raises(sqlite3.IntegrityError, match="frozen"):
        small.execute("UPDATE ranking_stars SET stars = 1 WHERE rating_id = 1")
    small.conn.rollback()


def test_corrections_are_marked_and_rewards_paid_into_project_one_as_grants(small):
    from lib.crowdfund import books

    corrections = rows(small, "SELECT c.month, m.corrected_at > m.published_at, c.reason <> ''"
                              " FROM ranking_corrections c JOIN ranking_months m"
                              " ON m.month = c.month ORDER BY c.month")
    assert len(corrections) == 6 and all(later and reason for _, later, reason in corrections)
    assert rows(small, "SELECT COUNT(*) FROM ranking_results WHERE corrected = 1 AND month NOT IN"
                       " (SELECT month FROM ranking_corrections)")[0][0] == 0
    assert rows(small, "SELECT month, reward_kind, reward_fen, reward_project_id FROM ranking_months"
                       " WHERE reward_kind <> 'none' ORDER BY month") == [
        ("2026-06", "project", 500_000, 1), ("2026-09", "project", 800_000, 1)]
    assert rows(small, "SELECT submission_key, amount_fen, status FROM crowdfund_grants"
                       " ORDER BY id") == [("ranking:2026-06:reward", 500_000, "received"),
                                           ("ranking:2026-09:reward", 800_000, "received")]
    ledger = books.public_ledger(small, 1)
    assert ledger.totals.grant_fen == 1_300_000
    assert [row.kind for row in ledger.rows].count("grant") == 2
    assert min(row.balance_fen for row in ledger.rows) >= 0


def test_every_household_counts_once_through_a_counted_ballot_of_its_own(small):
    assert rows(small, "SELECT status, COUNT(*) FROM council_votes GROUP BY status") == [
        ("open", 1), ("published", 40)]
    # each choice is a counted ballot of the same vote, household, option and channel
    assert rows(small, "SELECT COUNT(*) FROM council_choices c JOIN council_ballots b"
                       " ON b.id = c.ballot_id WHERE b.vote_id <> c.vote_id"
                       " OR b.household_id <> c.household_id OR b.option_id <> c.option_id"
                       " OR b.channel <> c.channel OR b.counted = 0")[0][0] == 0
    # the household's counted choice is its last counted ballot; ignored paper never counts
    assert rows(small, "SELECT COUNT(*) FROM council_choices c WHERE c.ballot_id <> (SELECT"
                       " MAX(id) FROM council_ballots b WHERE b.vote_id = c.vote_id"
                       " AND b.household_id = c.household_id AND b.counted = 1)")[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM council_ballots b JOIN council_choices c"
                       " ON c.vote_id = b.vote_id AND c.household_id = b.household_id"
                       " WHERE b.channel = 'paper' AND b.counted = 0 AND c.channel <> 'online'"
                       )[0][0] == 0
    # an online ballot comes from a verified member of that household
    assert rows(small, "SELECT COUNT(*) FROM council_ballots b JOIN users u ON u.id = b.user_id"
                       " WHERE b.channel = 'online' AND (u.household_id <> b.household_id"
                       " OR u.household_status <> 'verified')")[0][0] == 0
    # a building's vote counts only its own households, and never more than are eligible
    assert rows(small, "SELECT COUNT(*) FROM council_choices c JOIN council_votes v"
                       " ON v.id = c.vote_id JOIN households h ON h.id = c.household_id"
                       " WHERE v.scope_place_id IS NOT NULL AND h.place_id <> v.scope_place_id"
                       )[0][0] == 0
    assert rows(small, "SELECT COUNT(*) FROM council_votes v WHERE (SELECT COUNT(*) FROM"
                       " council_choices c WHERE c.vote_id = v.id) > v.eligible")[0][0] == 0


def test_topics_fill_every_box_and_published_votes_stay_frozen(small):
    import sqlite3

    boxes = {box for (box,) in rows(small, "SELECT DISTINCT box FROM council_topics")}
    assert boxes == {"new", "urgent_important", "watch", "important_slow", "resolved",
                     "declined"}
    published = rows(small, "SELECT vote_id, household_id FROM council_choices WHERE vote_id ="
                            " (SELECT MIN(id) FROM council_votes WHERE status = 'published')"
                            " LIMIT 1")[0]
    with pytest.raises(sqlite3.IntegrityError, match="frozen"):
        small.execute("DELETE FROM council_choices WHERE vote_id = ? AND household_id = ?",
                      published)
    assert rows(small, "SELECT COUNT(*) FROM council_ratings r JOIN council_plans p"
                       " ON p.id = r.plan_id WHERE p.status <> 'done'")[0][0] == 0
