"""The demo's 众筹: a finished project whose books add up to the fen, one raising now, one draft."""
import os
import time

import pytest

from lib.core import photos
from lib.core.config import Settings
from lib.core.db import scalar
from lib.crowdfund import books, projects
from lib.site import bootstrap, demo_crowdfund


TABLES = ("crowdfund_projects", "crowdfund_tasks", "crowdfund_signups", "crowdfund_pledges",
          "crowdfund_photos", "crowdfund_spending", "points_ledger", "audit_log")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo community for the module: seeding it takes a few seconds."""
    config = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data", base_url="",
                      mode="demo", demo_history=True)
    db = bootstrap.prepare(config)
    yield config, db
    db.conn.close()


def by_title(db, title: str) -> projects.Project:
    [found] = [p for p in projects.list_projects(db, statuses=tuple(projects.STATUS_LABELS))
               if p.title == title]
    return found


def test_the_demo_has_a_finished_a_raising_and_a_draft_project(demo):
    _, db = demo
    every = projects.list_projects(db, statuses=tuple(projects.STATUS_LABELS))
    assert sorted((p.title, p.status, p.place_code) for p in every) == [
        ("3号楼单元门禁更换", "draft", "3-1"), ("中心广场健身角", "raising", "plaza"),
        ("车棚地面硬化", "done", "bike")]
    assert [p.title for p in projects.list_projects(db)] == ["中心广场健身角"]  # no draft


def test_the_finished_project_is_40000_plus_200000_and_its_books_add_up_exactly(demo):
    config, db = demo
    shed = by_title(db, "车棚地面硬化")
    assert (shed.match_percent, shed.match_cap_fen, shed.match_sponsor) == (500, None, "街道办事处")
    money = projects.progress(db, shed.id)
    assert (money.cash_fen, money.match_fen, money.total_fen) == (4_000_000, 20_000_000,
                                                                  24_000_000)
    assert (money.pledged_fen, money.spent_fen, money.balance_fen) == (0, 23_750_000, 250_000)
    assert (money.labour_half_hours, money.labour_value_fen) == (110, 165_000)  # 55 h x 30
    ledger = books.public_ledger(db, shed.id)
    totals = ledger.totals
    assert (totals.cash_fen, totals.match_fen, totals.spent_fen, totals.balance_fen,
            totals.labour_fen, totals.contributions, totals.workers) == (
        4_000_000, 20_000_000, 23_750_000, 250_000, 165_000, 15, 16)
    assert sum(row.money_fen for row in ledger.rows) == totals.balance_fen
    assert sum(row.labour_fen for row in ledger.rows) == totals.labour_fen
    assert min(row.balance_fen for row in ledger.rows) >= 0
    assert ledger.rows[-1].balance_fen == 250_000
    # each pledge unlocked exactly five times itself (no cap), and earned its points once
    for amount, share, points, pledge_id in db.execute(
            "SELECT amount_fen, match_fen, points, id FROM crowdfund_pledges WHERE project_id = ?",
            (shed.id,)):
        assert share == 5 * amount and points == amount // 1000
        assert scalar(db, "SELECT amount FROM points_ledger WHERE idempotency_key = ?",
                      (f"crowdfund:{shed.id}:pledge:{pledge_id}",)) == points
    assert "匿名" in [row.who for row in ledger.rows]
    # four receipts and two final-report photos, every one on disk
    receipts = [row[0] for row in db.execute("SELECT receipt FROM crowdfund_spending"
                                             " WHERE project_id = ?", (shed.id,))]
    report = projects.report_photos(db, shed.id)
    assert len(receipts) == 4 and len(report) == 2 and shed.photo
    for name in (*receipts, *report, shed.photo):
        assert photos.path_for(config.data_dir, name).exists()
    assert "240,000" in shed.final_report and shed.done_at


def test_the_raising_project_has_money_waiting_and_the_resident_a_pledge_and_a_slot(demo):
    _, db = demo
    plaza = by_title(db, "中心广场健身角")
    money = projects.progress(db, plaza.id)
    assert (money.cash_fen, money.match_fen, money.match_left_fen) == (1_180_000, 3_540_000,
                                                                       6_000_000 - 3_540_000)
    assert money.pledged_fen == 170_000 and money.slots_taken == 4
    resident = scalar(db, "SELECT id FROM users WHERE username = 'resident'")
    assert scalar(db, "SELECT status FROM crowdfund_pledges WHERE project_id = ? AND user_id = ?",
                  (plaza.id, resident)) == "pledged"
    assert scalar(db, "SELECT COUNT(*) FROM crowdfund_signups s JOIN crowdfund_tasks t"
                      " ON t.id = s.task_id WHERE t.project_id = ? AND s.user_id = ?"
                      " AND s.status = 'signed'", (plaza.id, resident)) == 1


def test_seeding_twice_changes_nothing_and_the_sweep_keeps_every_picture(demo):
    config, db = demo
    before = [db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES]
    assert demo_crowdfund.seed(db, config.data_dir) == 0
    assert [db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in TABLES] == before
    old = time.time() - 7200
    for path in (config.data_dir / "uploads").iterdir():
        os.utime(path, (old, old))
    assert bootstrap.sweep_orphan_photos(db, config) == []


def test_a_demo_without_history_has_no_projects(tmp_path):
    config = Settings(data_dir=tmp_path / "data", base_url="", mode="demo", demo_history=False)
    db = bootstrap.prepare(config)
    assert scalar(db, "SELECT COUNT(*) FROM crowdfund_projects") == 0
