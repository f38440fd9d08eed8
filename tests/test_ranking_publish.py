"""Publishing a month of 星级楼栋 (staff), its reward both ways, and an admin's correction.

Every refusal is asserted with its Chinese message and the state after it: nothing changed.
"""
import json

import pytest

from lib.core import audit, clock
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import GUEST_USER
from lib.points import ledger
from lib.ranking import publish as pub
from lib.ranking import standings
from lib.ranking.months import get_month
from tests.crowdfund_helpers import make_project
from tests.ranking_helpers import publish_raw
from tests.ranking_world import MONTH, NOW, build_world, household, person, rate, volunteer


@pytest.fixture
def world(db):
    with clock.pretend(NOW):
        yield build_world(db)


def state(db) -> tuple:
    """Everything publishing or correcting may touch, to assert that a refusal touched nothing."""
    tables = ["ranking_months", "ranking_results", "ranking_ratings", "ranking_stars",
              "ranking_corrections", "crowdfund_grants", "points_ledger", "audit_log"]
    return tuple(tuple(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()) for table in tables)


def publish(db, actor, **kwargs):
    kwargs.setdefault("month", MONTH)
    kwargs.setdefault("confirm_missing", True)
    return pub.publish(db, actor, **kwargs)


def audit_entry(db, action: str) -> tuple:
    """The one audit entry of ``action``: (actor, target type, target id, detail)."""
    entries = audit.recent(db, action=action)
    assert len(entries) == 1, entries
    entry = entries[0]
    return entry["actor_id"], entry["target_type"], entry["target_id"], json.loads(entry["detail"])


def refused(db, error, call, message=None, field=None):
    before = state(db)
    with pytest.raises(error) as caught:
        call()
    assert state(db) == before
    if message is not None:
        found = caught.value.fields.get(field, "") if field else str(caught.value)
        assert found == message, found
    return caught.value


# --- who may publish -------------------------------------------------------------------

@pytest.mark.parametrize("who, message", [
    ("guest", "请先登录。"), ("none", "请先登录。"), ("x1", "此操作需要社区工作人员权限。"),
    ("wu", "此操作需要社区工作人员权限。")])
def test_below_staff_may_not_publish_and_nothing_changes(db, world, who, message):
    actor = {"guest": GUEST_USER, "none": None}[who] if who in ("guest", "none") else world[who]
    refused(db, PermissionDenied, lambda: publish(db, actor), message)
    assert not get_month(db, MONTH).is_published


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_and_admins_publish_a_finished_month(db, world, who):
    month = publish(db, world[who])
    assert month.is_published and month.published_by == world[who].id
    assert month.published_at == clock.now_iso()
    assert month.missing == "无人评分：2-1\n3-2：老林未评\n10-1：邻里和睦无人打分"
    assert month.weights == standings.active_weights(db)
    assert [c["name"] for c in month.weights] == ["环境卫生", "楼道整洁", "车辆停放", "邻里和睦", "参与度"]
    published = standings.published(db, MONTH)
    assert [(s.code, s.rank, s.score_tenths, s.stars) for s in published] == [
        ("3-2", 1, 957, 5), ("3-1", 2, 880, 4), ("10-1", 3, 360, 1), ("2-1", 4, 0, 1)]
    assert published[1].detail == {"环境卫生": 45, "楼道整洁": 40, "车辆停放": 35, "邻里和睦": 45}
    assert [s.name for s in published] == ["3栋2单元", "3栋1单元", "10栋1单元", "2栋1单元"]
    assert not any(s.corrected for s in published) and published[0].holds_red_flag
    assert (published[1].households, published[1].volunteer_half_hours, published[1].labour_half_hours,
            published[1].reports, published[1].raters) == (4, 3, 2, 1, 2)
    assert month.reward_kind == "none" and month.reward_fen is None and month.reward_points == 0
    actor_id, _, target_id, detail = audit_entry(db, "ranking.publish")
    assert (actor_id, target_id, detail["flag"]) == (world[who].id, MONTH, "3-2")


def test_the_publication_is_audited_with_its_flag_reward_and_what_was_missing(db, world):
    publish(db, world["staff"], reward_kind="points", reward_points=20)
    assert audit_entry(db, "ranking.publish") == (world["staff"].id, "ranking_month", MONTH, {
        "flag": "3-2", "score": "95.7", "missing": "无人评分：2-1\n3-2：老林未评\n10-1：邻里和睦无人打分",
        "reward": "红旗楼栋住户每人奖励积分", "yuan": "", "points": 20, "residents": 1})


def test_a_month_without_a_reward_is_audited_as_such(db, world):
    publish(db, world["staff"])
    _, _, _, detail = audit_entry(db, "ranking.publish")
    assert (detail["reward"], detail["yuan"], detail["points"], detail["residents"]) == (
        "不发奖励", "", 0, 0)


def test_a_grant_reward_is_audited_in_yuan_with_no_resident_paid(db, world):
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"])
    publish(db, world["admin"], reward_kind="project", reward_yuan="500.50",
            reward_project_id=project["id"])
    actor_id, _, _, detail = audit_entry(db, "ranking.publish")
    assert (actor_id, detail["reward"], detail["yuan"], detail["points"], detail["residents"]) == (
        world["admin"].id, "奖励金投入众筹项目", "500.50", 0, 0)


def test_the_snapshot_and_results_are_stored_as_readable_chinese(db, world):
    publish(db, world["staff"])
    weights, = db.execute("SELECT weights FROM ranking_months WHERE month = ?", (MONTH,)).fetchone()
    details = [row[0] for row in db.execute("SELECT detail FROM ranking_results")]
    assert '"环境卫生"' in weights and all('"环境卫生"' in detail for detail in details)


def test_without_a_word_about_missing_ratings_publishing_is_refused(db, world):
    refused(db, ValidationError, lambda: pub.publish(db, world["staff"], month=MONTH),
            field="confirm_missing",
            message="还有评分没有完成：无人评分：2-1；3-2：老林未评；10-1：邻里和睦无人打分。"
                    "缺少的评分按 0 计算；如仍要公布，请勾选确认后再公布。")


@pytest.mark.parametrize("kwargs, expected", [
    ({"reward_kind": "points", "reward_points": 1}, ("points", None, 1, "")),
    ({"reward_kind": "points", "reward_points": 1000}, ("points", None, 1000, "")),
    ({"reward_kind": "none", "reward_note": "奖" * 200}, ("none", None, 0, "奖" * 200)),
])
def test_the_reward_limits_themselves_are_allowed(db, world, kwargs, expected):
    month = publish(db, world["staff"], **kwargs)
    assert (month.reward_kind, month.reward_fen, month.reward_points, month.reward_note) == expected


def test_a_grant_reward_above_the_largest_pledge_is_refused(db, world):
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"])
    too_much = pub.MAX_REWARD_FEN // 100 + 1
    error = refused(db, ValidationError, lambda: publish(
        db, world["staff"], reward_kind="project", reward_yuan=str(too_much),
        reward_project_id=project["id"]))
    assert set(error.fields) == {"reward_yuan"}


def test_a_published_month_is_frozen_for_the_leaders_ratings(db, world):
    publish(db, world["staff"])
    with pytest.raises(Exception, match="frozen"):
        rate(db, MONTH, world["w"], world["sun"].id, {1: 5})


# --- bad input ---------------------------------------------------------------------------

def test_a_future_month_is_refused(db, world):
    refused(db, ValidationError, lambda: publish(db, world["staff"], month="2026-12"),
            "不能评比未来的月份。", "month")


def test_the_running_month_is_refused_until_it_is_over(db, world):
    refused(db, ValidationError, lambda: publish(db, world["staff"], month="2026-11"),
            "本月尚未结束，月底后才能公布。", "month")
    with clock.pretend(NOW.replace(month=12, day=1)):
        assert publish(db, world["staff"], month="2026-11").is_published


@pytest.mark.parametrize("month", ["2026-13", "", None, "十月"])
def test_a_malformed_month_is_refused(db, world, month):
    refused(db, ValidationError, lambda: publish(db, world["staff"], month=month),
            "月份格式应为 2026-10 这样的年-月。", "month")


@pytest.mark.parametrize("confirm", [False, None, "yes", 1])
def test_missing_ratings_need_an_explicit_confirmation(db, world, confirm):
    error = refused(db, ValidationError,
                    lambda: publish(db, world["staff"], confirm_missing=confirm),
                    "还有评分没有完成：无人评分：2-1；3-2：老林未评；10-1：邻里和睦无人打分。"
                    "缺少的评分按 0 计算；如仍要公布，请勾选确认后再公布。", "confirm_missing")
    assert set(error.fields) == {"confirm_missing"}
    assert not get_month(db, MONTH).is_published


def test_a_complete_month_publishes_without_confirmation_and_misses_nothing(db, world):
    rate(db, MONTH, world["y"], world["lin"].id, {1: 5, 2: 5, 3: 5, 4: 5})
    rate(db, MONTH, world["w"], world["sun"].id, {1: 2, 2: 2, 3: 2, 4: 2})
    rate(db, MONTH, world["z"], world["wu"].id, {4: 3})
    month = publish(db, world["staff"], confirm_missing=False)
    assert month.is_published and month.missing == ""


def test_publishing_twice_is_refused_and_changes_nothing(db, world):
    publish(db, world["staff"], reward_kind="points", reward_points=10)
    refused(db, ValidationError, lambda: publish(db, world["admin"], reward_kind="points",
                                                 reward_points=10),
            "2026年10月的评比已公布，不能再修改。", "month")
    assert get_month(db, MONTH).published_by == world["staff"].id
    assert ledger.balance(db, world["y1"].id) == 10


def test_a_month_without_buildings_cannot_be_published(db, make_user):
    staff = make_user("staff")
    with clock.pretend(NOW):
        refused(db, ValidationError, lambda: pub.publish(db, staff, month=MONTH, confirm_missing=True),
                "还没有楼栋，无法公布评比。", "month")


@pytest.mark.parametrize("kwargs, field, message", [
    ({"reward_kind": "cash"}, "reward_kind", "请选择奖励方式。"),
    ({"reward_kind": "points", "reward_points": 0}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "points", "reward_points": 1001}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "points", "reward_points": "十"}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "points", "reward_points": True}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "points", "reward_points": None}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "points", "reward_points": 2.5}, "reward_points", "奖励积分应为 1 至 1000 的整数。"),
    ({"reward_kind": "project", "reward_yuan": "0", "reward_project_id": 1}, "reward_yuan", "金额必须大于 0。"),
    ({"reward_kind": "project", "reward_yuan": "1e3", "reward_project_id": 1}, "reward_yuan",
     "请输入金额，例如 100 或 100.50。"),
    ({"reward_kind": "project", "reward_yuan": "500", "reward_project_id": None}, "reward_project_id",
     "请选择接收奖励金的众筹项目。"),
    ({"reward_kind": "project", "reward_yuan": "500", "reward_project_id": 999}, "reward_project_id",
     "找不到该众筹项目。"),
    ({"reward_kind": "none", "reward_note": "奖" * 201}, "reward_note", "奖励说明不能超过 200 字。"),
])
def test_a_bad_reward_is_refused_and_nothing_is_published(db, world, kwargs, field, message):
    refused(db, ValidationError, lambda: publish(db, world["staff"], **kwargs), message, field)


@pytest.mark.parametrize("status, label", [("draft", "草稿"), ("done", "已完成"), ("cancelled", "已取消")])
def test_a_reward_goes_only_into_a_project_still_raising_or_building(db, world, status, label):
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"], status=status)
    refused(db, ValidationError, lambda: publish(
        db, world["staff"], reward_kind="project", reward_yuan="500", reward_project_id=project["id"]),
        f"该项目{label}，只有众筹中或实施中的项目能接收奖励金。", "reward_project_id")


# --- the reward ---------------------------------------------------------------------------

def test_points_go_once_to_every_enabled_verified_resident_of_the_red_flag_building(db, world):
    y = world["y"]
    second = person(db, "钱七", household_id=household(db, y, 1))
    gone = person(db, "孙八", household_id=household(db, y, 1), disabled=1)
    waiting = person(db, "周九")
    db.execute("UPDATE users SET household_status = 'pending', requested_place_id = ? WHERE id = ?",
               (y, waiting.id))
    month = publish(db, world["staff"], reward_kind="points", reward_points="20", reward_note="春节前发放")
    assert (month.reward_kind, month.reward_points, month.reward_note) == ("points", 20, "春节前发放")
    given = db.execute("SELECT user_id, amount, kind, idempotency_key, actor_id FROM points_ledger"
                       " ORDER BY user_id").fetchall()
    assert given == [(world["y1"].id, 20, "ranking", f"ranking:{MONTH}:flag:{world['y1'].id}", None),
                     (second.id, 20, "ranking", f"ranking:{MONTH}:flag:{second.id}", None)]
    assert ledger.balance(db, gone.id) == ledger.balance(db, world["x1"].id) == 0
    assert ledger.history(db, second.id)[0].kind_label == "星级楼栋奖励"
    assert "2026年10月星级楼栋流动红旗（3-2）奖励" == ledger.history(db, second.id)[0].reason


def test_a_reward_into_a_project_is_a_grant_paid_once(db, world):
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"], status="building")
    month = publish(db, world["staff"], reward_kind="project", reward_yuan="500.50",
                    reward_project_id=project["id"])
    assert (month.reward_kind, month.reward_fen, month.reward_project_id) == (
        "project", 50_050, project["id"])
    grants = db.execute("SELECT project_id, amount_fen, source, status, granted_by, submission_key"
                        " FROM crowdfund_grants").fetchall()
    assert grants == [(project["id"], 50_050, "2026年10月星级楼栋评比奖励（流动红旗：3-2）",
                       "received", world["staff"].id, f"ranking:{MONTH}:reward")]
    assert db.execute("SELECT COUNT(*) FROM points_ledger").fetchone() == (0,)
    refused(db, ValidationError, lambda: publish(db, world["staff"], reward_kind="project",
                                                 reward_yuan="500.50", reward_project_id=project["id"]),
            "2026年10月的评比已公布，不能再修改。", "month")
    assert db.execute("SELECT COUNT(*) FROM crowdfund_grants").fetchone() == (1,)


def test_a_grant_already_under_the_key_is_not_paid_again(db, world):
    """A publication retried after its grant landed (the key) pays nothing twice."""
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"])
    db.execute("INSERT INTO crowdfund_grants (project_id, amount_fen, source, granted_by,"
               " submission_key, created_at) VALUES (?, 50000, '奖励', ?, ?, 'now')",
               (project["id"], world["staff"].id, f"ranking:{MONTH}:reward"))
    publish(db, world["staff"], reward_kind="project", reward_yuan="500", reward_project_id=project["id"])
    assert db.execute("SELECT COUNT(*), SUM(amount_fen) FROM crowdfund_grants").fetchone() == (1, 50_000)


# --- correction ---------------------------------------------------------------------------

def test_an_admin_corrects_a_published_month_with_a_reason(db, world):
    publish(db, world["staff"])
    before = state(db)
    after = pub.correct(db, world["admin"], month=MONTH, place_id=world["y"], rater_id=world["wu"].id,
                        stars={1: 1, 2: 1, 3: 1, 4: 1}, reason="老吴说填反了")
    # 3-2: rated 20.0, score 140 + 30 × 857.14… / 100 = 397.14… → 39.7; 3-1 takes the flag
    assert [(s.code, s.rank, s.score_tenths, s.stars, s.corrected) for s in after] == [
        ("3-1", 1, 880, 4, True), ("3-2", 2, 397, 1, True), ("10-1", 3, 360, 1, False),
        ("2-1", 4, 0, 1, False)]
    assert state(db) != before
    month = get_month(db, MONTH)
    assert month.corrected_at == clock.now_iso() and month.is_published
    assert db.execute("SELECT correcting FROM ranking_months").fetchone() == (0,)
    row = db.execute("SELECT place_id, reason, before, after, corrected_by FROM ranking_corrections"
                     ).fetchone()
    assert row[0] == world["y"] and row[1] == "老吴说填反了" and row[4] == world["admin"].id
    assert json.loads(row[2])["stars"] == {"环境卫生": 5, "楼道整洁": 5, "车辆停放": 5, "邻里和睦": 5}
    assert json.loads(row[3])["stars"] == {"环境卫生": 1, "楼道整洁": 1, "车辆停放": 1, "邻里和睦": 1}
    assert json.loads(row[2])["results"]["3-2"] == {
        "rank": 1, "score_tenths": 957, "stars": 5, "rated_tenths": 1000, "participation_tenths": 857,
        "raters": 1, "detail": {"环境卫生": 50, "楼道整洁": 50, "车辆停放": 50, "邻里和睦": 50}}
    assert json.loads(row[3])["results"]["3-2"] == {
        "rank": 2, "score_tenths": 397, "stars": 1, "rated_tenths": 200, "participation_tenths": 857,
        "raters": 1, "detail": {"环境卫生": 10, "楼道整洁": 10, "车辆停放": 10, "邻里和睦": 10}}
    assert json.loads(row[2])["rater_id"] == json.loads(row[3])["rater_id"] == world["wu"].id
    assert [s.name for s in after] == ["3栋1单元", "3栋2单元", "10栋1单元", "2栋1单元"]
    assert audit_entry(db, "ranking.correct") == (world["admin"].id, "ranking_month", MONTH, {
        "building": "3-2", "rater": world["wu"].id, "reason": "老吴说填反了", "changed": 2})
    raw_before, raw_after = db.execute("SELECT before, after FROM ranking_corrections").fetchone()
    assert '"环境卫生"' in raw_before and '"环境卫生"' in raw_after
    with pytest.raises(Exception, match="frozen"):
        db.execute("UPDATE ranking_stars SET stars = 2")


def test_a_correction_marks_only_what_moved_and_keeps_the_published_participation(db, world):
    publish(db, world["staff"])
    # after publication: new weights and a late volunteer hour in October change nothing here
    db.execute("UPDATE ranking_criteria SET weight = 0 WHERE name = '参与度'")
    db.execute("UPDATE ranking_criteria SET weight = 55 WHERE name = '环境卫生'")
    volunteer(db, world["w1"].id, "2026-10-30", 24)
    after = pub.correct(db, world["admin"], month=MONTH, place_id=world["x"], rater_id=world["lin"].id,
                        stars={1: 5, 2: 5, 3: 5, 4: 5}, reason="补正")
    # 3-1: averages 5, 4.5, 4, 4.5 → 320 × 200 / 70 = 914.29 → 91.4; score 640 + 300 = 94.0
    assert [(s.code, s.score_tenths, s.rated_tenths, s.participation_tenths, s.corrected)
            for s in after] == [("3-2", 957, 1000, 857, False), ("3-1", 940, 914, 1000, True),
                                ("10-1", 360, 514, 0, False), ("2-1", 0, 0, 0, False)]
    assert after[3].volunteer_half_hours == 0


def test_a_tie_made_by_a_correction_still_goes_against_last_years_flags(db, world):
    for table in ("ranking_stars", "ranking_ratings", "volunteer_hours", "reports", "crowdfund_signups"):
        db.execute(f"DELETE FROM {table}")
    publish_raw(db, "2026-09", {world["w"]: 900, world["x"]: 800})  # 2-1 held the flag
    rate(db, MONTH, world["x"], world["wu"].id, {1: 3, 2: 3, 3: 3, 4: 3})
    publish(db, world["staff"])
    after = pub.correct(db, world["admin"], month=MONTH, place_id=world["w"],
                        rater_id=world["sun"].id, stars={1: 3, 2: 3, 3: 3, 4: 3}, reason="补录")
    assert [(s.code, s.score_tenths) for s in after[:2]] == [("3-1", 420), ("2-1", 420)]


def test_a_reason_of_200_characters_is_enough(db, world):
    publish(db, world["staff"])
    pub.correct(db, world["admin"], month=MONTH, place_id=world["y"], rater_id=world["wu"].id,
                stars={1: 4}, reason="理" * 200)
    assert db.execute("SELECT reason FROM ranking_corrections").fetchone() == ("理" * 200,)


def test_a_correction_may_add_a_missing_leaders_rating(db, world):
    publish(db, world["staff"])
    after = pub.correct(db, world["admin"], month=MONTH, place_id=world["w"], rater_id=world["sun"].id,
                        stars={1: 5, 2: 5, 3: 5, 4: 5}, reason="老孙的评分表漏录")
    assert {s.code: (s.score_tenths, s.raters, s.corrected) for s in after}["2-1"] == (700, 1, True)


@pytest.mark.parametrize("who, message", [
    ("staff", "此操作需要社区管理员权限。"), ("wu", "此操作需要社区管理员权限。"),
    ("x1", "此操作需要社区管理员权限。"), ("guest", "请先登录。")])
def test_only_an_admin_may_correct(db, world, who, message):
    publish(db, world["staff"])
    actor = GUEST_USER if who == "guest" else world[who]
    refused(db, PermissionDenied, lambda: pub.correct(
        db, actor, month=MONTH, place_id=world["y"], rater_id=world["wu"].id, stars={1: 1},
        reason="改"), message)


@pytest.mark.parametrize("kwargs, error, field, message", [
    ({"reason": "  "}, ValidationError, "reason", "更正已公布的评比必须填写理由。"),
    ({"reason": None}, ValidationError, "reason", "更正已公布的评比必须填写理由。"),
    ({"reason": "理" * 201}, ValidationError, "reason", "更正理由不能超过 200 字。"),
    ({"stars": {}}, ValidationError, "stars", "请填写更正后的星级。"),
    ({"stars": {1: 6}}, ValidationError, "stars", "环境卫生的星级应为 1 至 5 星。"),
    ({"stars": {2: 0}}, ValidationError, "stars", "楼道整洁的星级应为 1 至 5 星。"),
    ({"stars": {1: "5"}}, ValidationError, "stars", "环境卫生的星级应为 1 至 5 星。"),
    ({"stars": {1: True}}, ValidationError, "stars", "环境卫生的星级应为 1 至 5 星。"),
    ({"stars": [1, 2]}, ValidationError, "stars", "请填写更正后的星级。"),
    ({"stars": {99: 3}}, ValidationError, "stars", "该月评比没有这一项标准。"),
    ({"stars": {1: 5, 2: 5, 3: 5, 4: 5}}, ValidationError, "stars",
     "更正后的星级与原来相同，没有需要更正的内容。"),
    ({"month": "2026-09"}, ValidationError, "month", "2026年9月的评比尚未公布，请在楼栋评分中直接修改。"),
    ({"month": "2026-12"}, ValidationError, "month", "不能评比未来的月份。"),
    ({"place_id": 999}, NotFound, None, "该楼栋不在这个月的评比中。"),
    ({"rater_id": 999}, NotFound, None, "找不到该评分人。"),
    ({"rater_id": "x1"}, ValidationError, "rater_id", "评分人应为微网格长或社区工作人员。"),
])
def test_a_bad_correction_is_refused_in_chinese_and_nothing_changes(db, world, kwargs, error, field, message):
    publish(db, world["staff"])
    args = {"month": MONTH, "place_id": world["y"], "rater_id": world["wu"].id,
            "stars": {1: 1}, "reason": "填错了"} | kwargs
    if args["rater_id"] == "x1":
        args["rater_id"] = world["x1"].id
    refused(db, error, lambda: pub.correct(db, world["admin"], **args), message, field)


def test_a_draft_month_is_corrected_by_scoring_not_by_correction(db, world):
    refused(db, ValidationError, lambda: pub.correct(
        db, world["admin"], month=MONTH, place_id=world["y"], rater_id=world["wu"].id,
        stars={1: 1}, reason="改"), "2026年10月的评比尚未公布，请在楼栋评分中直接修改。", "month")


# --- what the page shows ------------------------------------------------------------------

def test_the_reward_is_worded_for_staff_and_residents(db, world):
    assert pub.reward_text(db, get_month(db, MONTH)) == ""
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"])
    month = publish(db, world["staff"], reward_kind="project", reward_yuan="500.50",
                    reward_project_id=project["id"])
    assert pub.reward_text(db, month) == "奖励金 500.50 元已投入众筹项目“车棚地面硬化”。"
    with clock.pretend(NOW.replace(month=12, day=1)):
        november = publish(db, world["staff"], month="2026-11", reward_kind="points", reward_points=20)
    flag = standings.published(db, "2026-11")[0].code
    assert pub.reward_text(db, november) == f"流动红旗楼栋 {flag} 的住户每人获得 20 积分。"
    none = publish(db, world["staff"], month="2026-09")
    assert pub.reward_text(db, none) == ""


def test_an_admin_may_correct_those_who_rated_and_the_leaders_who_did_not(db, world):
    publish(db, world["staff"])
    assert pub.raters_of(db, world["admin"], month=MONTH, place_id=world["y"]) == [
        (world["wu"].id, "老吴", {1: 5, 2: 5, 3: 5, 4: 5}), (world["lin"].id, "老林", {})]
    assert pub.raters_of(db, world["admin"], month=MONTH, place_id=world["w"]) == [
        (world["sun"].id, "老孙", {})]
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (world["lin"].id,))
    assert [r[0] for r in pub.raters_of(db, world["admin"], month=MONTH, place_id=world["y"])] == [
        world["wu"].id]
    with pytest.raises(PermissionDenied):
        pub.raters_of(db, world["staff"], month=MONTH, place_id=world["y"])


def test_a_reward_goes_into_a_project_raising_or_building_only(db, world):
    made = {status: make_project(db, created_by=world["staff"].id, place_id=world["x"],
                                 status=status, title=f"项目{status}")["id"]
            for status in ("draft", "raising", "building", "done", "cancelled")}
    listed = [item for item in pub.open_projects(db) if item[0] in made.values()]
    assert sorted(listed) == sorted([(made["raising"], "项目raising"), (made["building"], "项目building")])
