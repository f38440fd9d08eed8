"""The demo community's 积分超市: a stocked shop and a year of redemptions through the rules."""
from __future__ import annotations

import itertools

import pytest

from lib.core.db import scalar
from lib.site import bootstrap, demo_points, demo_shop, demo_volunteer


@pytest.fixture
def demo(db, tmp_path):
    """The demo community with the year of points the other seeding gives, as bootstrap does."""
    bootstrap.seed_demo(db)
    demo_points.seed_awards(db)
    demo_volunteer.seed_volunteer(db, tmp_path)
    return db


def test_the_shop_is_stocked_with_pictures_and_no_history_when_asked(demo, tmp_path):
    assert demo_shop.seed(demo, tmp_path, history=False) == 0
    goods = list(demo.query("SELECT name, price, stock, photo FROM shop_items ORDER BY sort"))
    assert [g["name"] for g in goods][:2] == ["大米 5kg", "食用油 5L"]
    assert goods[0]["price"] == 20 and goods[0]["stock"] == 30  # 20 points buy a bag of rice
    assert all((tmp_path / "uploads" / f"{g['photo']}.jpg").exists() for g in goods)
    assert any(g["stock"] == 0 for g in goods)  # one sold out, to show what that looks like
    assert scalar(demo, "SELECT COUNT(*) FROM shop_redemptions") == 0


def test_a_year_of_redemptions_goes_through_the_rules_and_never_overdraws(demo, tmp_path):
    made = demo_shop.seed(demo, tmp_path)
    statuses = dict(demo.execute(
        "SELECT status, COUNT(*) FROM shop_redemptions GROUP BY status").fetchall())
    assert made == sum(statuses.values()) >= 10
    assert statuses["fulfilled"] > statuses["waiting"] >= 1 and statuses["cancelled"] == 1
    first, last = demo.execute(
        "SELECT MIN(created_at), MAX(created_at) FROM shop_redemptions").fetchone()
    assert first < "2026" or first[:7] < last[:7]  # spread over months, not all today
    # every redemption is a ledger spend; the cancelled one is refunded
    assert scalar(demo, "SELECT COUNT(*) FROM points_ledger WHERE idempotency_key LIKE 'shop:%'"
                  ) == made
    assert scalar(demo, "SELECT COUNT(*) FROM points_ledger"
                        " WHERE idempotency_key LIKE 'shop-refund:%'") == 1
    for (user_id,) in demo.execute("SELECT DISTINCT user_id FROM points_ledger").fetchall():
        amounts = [row[0] for row in demo.execute(
            "SELECT amount FROM points_ledger WHERE user_id = ? ORDER BY created_at, id",
            (user_id,))]
        assert min(itertools.accumulate(amounts)) >= 0, user_id
    # stock at the start plus the year's delivery, less what was not cancelled
    sold = dict(demo.execute("SELECT item_id, SUM(quantity) FROM shop_redemptions"
                             " WHERE status != 'cancelled' GROUP BY item_id").fetchall())
    for item_id, name, stock in demo.execute("SELECT id, name, stock FROM shop_items"):
        start = next(g[3] for g in demo_shop.GOODS if g[0] == name)
        assert stock == start + (10 if start else 0) - sold.get(item_id, 0)
    # the demo resident can still try this month's rice
    assert scalar(demo, "SELECT COUNT(*) FROM shop_redemptions JOIN shop_items"
                        " ON shop_items.id = item_id WHERE name = '大米 5kg'"
                        " AND month = (SELECT MAX(month) FROM shop_redemptions)") == 0


def test_seeding_again_changes_nothing(demo, tmp_path):
    demo_shop.seed(demo, tmp_path)
    before = [demo.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
              for table in ("shop_items", "shop_redemptions", "points_ledger", "audit_log")]
    assert demo_shop.seed(demo, tmp_path) == 0
    assert [demo.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            for table in ("shop_items", "shop_redemptions", "points_ledger", "audit_log")] == before
