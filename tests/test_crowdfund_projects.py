"""众筹 projects: who may set one up, its states, the terms fixed at launch, its progress in fen."""
from __future__ import annotations

import io
import itertools
import json
import re
from datetime import timedelta

import pytest
from PIL import Image

from lib.core import photos
from lib.core.clock import local_today, now_iso
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.crowdfund import labour, projects
from lib.crowdfund.money import match_unlocked
from tests.crowdfund_helpers import make_project
from tests.volunteer_helpers import make_cast


_keys = itertools.count(1)
ROLES = ["guest", RESIDENT, LEADER, STAFF, ADMIN]
REFUSAL = {"guest": "请先登录。", RESIDENT: "此操作需要社区工作人员权限。",
           LEADER: "此操作需要社区工作人员权限。"}


@pytest.fixture
def cast(db):
    cast = make_cast(db)
    cast[RESIDENT] = cast["in"]
    return cast


def jpeg(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def project(db, cast, *, status="raising", **terms):
    return make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                        status=status, **terms)


def day(days: int) -> str:
    return (local_today() + timedelta(days=days)).isoformat()


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return tuple(db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in (
        "crowdfund_projects", "crowdfund_tasks", "crowdfund_signups", "crowdfund_pledges",
        "crowdfund_photos", "crowdfund_spending", "audit_log", "points_ledger"))


def audits(db, action: str) -> list[tuple]:
    return [(r["actor_id"], r["target_type"], r["target_id"], json.loads(r["detail"] or "{}"))
            for r in db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def pledge(db, project_id: int, user, amount_fen: int, *, status="received", match_fen=0):
    db.execute("INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method, status,"
               " match_fen, submission_key, created_at) VALUES (?, ?, ?, 'cash', ?, ?, ?, ?)",
               (project_id, user.id, amount_fen, status, match_fen, f"k{next(_keys)}", now_iso()))
    db.conn.commit()


def confirmed(db, project_id: int, user, amount_fen: int, percent: int, cap: int | None):
    """A received pledge storing the match it unlocked, as the confirmation does."""
    before = db.execute("SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_pledges"
                        " WHERE project_id = ? AND status = 'received'", (project_id,)).fetchone()[0]
    pledge(db, project_id, user, amount_fen,
           match_fen=match_unlocked(before, amount_fen, percent, cap))


def signup(db, task_id: int, user, status="signed"):
    db.execute("INSERT INTO crowdfund_signups (task_id, user_id, status, created_at)"
               " VALUES (?, ?, ?, ?)", (task_id, user.id, status, now_iso()))
    db.conn.commit()


def spend(db, project_id: int, staff, amount_fen: int):
    db.execute("INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on,"
               " recorded_by, submission_key, created_at) VALUES (?, ?, '水泥', ?, ?, ?, ?)",
               (project_id, amount_fen, day(0), staff.id, f"s{next(_keys)}", now_iso()))
    db.conn.commit()


def new_fields(cast, **changes) -> dict:
    fields = dict(title="车棚地面硬化", place_id=cast["grid"]["place_a"], goal="40000",
                  deadline=day(30), description="把车棚坑洼的地面铺平。", match_ratio="5",
                  match_cap="", match_sponsor="街道办事处", labour_hour_value="30")
    fields.update(changes)
    return fields


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


# --- who may do what -----------------------------------------------------------------------

def _create(db, cast, actor, tmp_path):
    return projects.create_project(db, actor, **new_fields(cast))


def _update(db, cast, actor, tmp_path):
    p = project(db, cast, status="draft")
    return projects.update_project(db, actor, project_id=p["id"], title="新名称")


def _add_task(db, cast, actor, tmp_path):
    p = project(db, cast, status="draft")
    return projects.add_task(db, actor, project_id=p["id"], name="平整地面", work_on=day(5),
                             starts_at="09:00", hours="2", headcount=4)


def _update_task(db, cast, actor, tmp_path):
    p = project(db, cast, status="draft", tasks=(dict(),))
    return projects.update_task(db, actor, task_id=p["tasks"][0], headcount=9)


def _remove_task(db, cast, actor, tmp_path):
    p = project(db, cast, status="draft", tasks=(dict(),))
    return projects.remove_task(db, actor, task_id=p["tasks"][0])


def _launch(db, cast, actor, tmp_path):
    return projects.launch(db, actor, project_id=project(db, cast, status="draft")["id"])


def _build(db, cast, actor, tmp_path):
    return projects.start_building(db, actor, project_id=project(db, cast)["id"])


def _complete(db, cast, actor, tmp_path):
    return projects.complete(db, actor, project_id=project(db, cast, status="building")["id"],
                             summary="地面已铺平。", report_photos=[jpeg()], data_dir=tmp_path)


def _cancel(db, cast, actor, tmp_path):
    return projects.cancel(db, actor, project_id=project(db, cast, status="draft")["id"],
                           reason="场地另有安排")


ACTIONS = {"create": _create, "update": _update, "add_task": _add_task,
           "update_task": _update_task, "remove_task": _remove_task, "launch": _launch,
           "start_building": _build, "complete": _complete, "cancel": _cancel}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_only_staff_and_admins_set_up_and_move_projects(db, cast, tmp_path, action, role):
    if role in REFUSAL:
        setup_state = None
        with pytest.raises(PermissionDenied, match=exactly(REFUSAL[role])):
            try:
                ACTIONS[action](db, cast, cast[role], tmp_path)
            finally:
                setup_state = state(db)
        audit_rows = db.execute("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'crowdfund.%'"
                                ).fetchone()[0]
        assert audit_rows == 0 and setup_state == state(db)
        if action == "create":
            assert db.execute("SELECT COUNT(*) FROM crowdfund_projects").fetchone()[0] == 0
    else:
        ACTIONS[action](db, cast, cast[role], tmp_path)
        actors = {row[0] for row in db.execute(
            "SELECT actor_id FROM audit_log WHERE action LIKE 'crowdfund.%'")}
        assert actors == {cast[role].id}


@pytest.mark.parametrize("action", ["update", "add_task", "update_task", "remove_task",
                                    "launch", "start_building", "cancel"])
def test_a_refused_role_changes_nothing_that_was_there(db, cast, tmp_path, action):
    """The project the action would touch is set up first, then the resident is refused."""
    p = project(db, cast, status="draft", tasks=(dict(headcount=3),))
    before = state(db)
    calls = {
        "update": lambda: projects.update_project(db, cast["in"], project_id=p["id"], title="x"),
        "add_task": lambda: projects.add_task(db, cast["in"], project_id=p["id"], name="a",
                                              work_on=day(3), starts_at="09:00", hours="1",
                                              headcount=1),
        "update_task": lambda: projects.update_task(db, cast["in"], task_id=p["tasks"][0],
                                                    headcount=9),
        "remove_task": lambda: projects.remove_task(db, cast["in"], task_id=p["tasks"][0]),
        "launch": lambda: projects.launch(db, cast["in"], project_id=p["id"]),
        "start_building": lambda: projects.start_building(db, cast[LEADER], project_id=p["id"]),
        "cancel": lambda: projects.cancel(db, cast[LEADER], project_id=p["id"], reason="x"),
    }
    with pytest.raises(PermissionDenied):
        calls[action]()
    assert state(db) == before


# --- creating and editing -------------------------------------------------------------------

def test_a_new_project_is_a_draft_with_its_terms_in_fen_and_percent(db, cast):
    made = projects.create_project(db, cast[STAFF], **new_fields(
        cast, match_ratio="1.5", match_cap="100,000", labour_hour_value="30.50",
        title="  车棚地面硬化  "))
    assert (made.title, made.status, made.status_label) == ("车棚地面硬化", "draft", "草稿")
    assert (made.goal_fen, made.match_percent, made.match_cap_fen, made.labour_hour_fen) == (
        4_000_000, 150, 10_000_000, 3_050)
    assert (made.match_sponsor, made.deadline, made.place_code, made.place_name) == (
        "街道办事处", day(30), "1-1", "1栋")
    assert (made.created_by, made.launched_at, made.photo, made.ratio_text) == (
        cast[STAFF].id, None, None, "1.5")
    assert made.place_label == "1栋（1-1）"
    assert not made.is_public and not made.is_open
    assert audits(db, "crowdfund.create") == [(cast[STAFF].id, "crowdfund_project", str(made.id),
                                               {"title": "车棚地面硬化", "goal": "40,000.00",
                                                "match_percent": 150})]


def test_the_audit_log_names_the_project_in_words(db, cast):
    from lib.core import audit
    from lib.site import audit_log

    made = projects.create_project(db, cast[STAFF], **new_fields(cast))
    projects.launch(db, cast[STAFF], project_id=made.id)
    rows = audit_log.readable(db, audit.recent(db))
    assert [(row["action"], row["target"]) for row in rows] == [
        ("发起众筹", "众筹项目 车棚地面硬化"), ("新建众筹项目", "众筹项目 车棚地面硬化")]
    assert "筹资目标（元）：40,000.00" in rows[1]["detail"]


def test_a_labour_only_project_has_a_goal_of_zero_and_no_match(db, cast):
    made = projects.create_project(db, cast[STAFF], **new_fields(
        cast, goal="0", match_ratio="0", match_sponsor="", labour_hour_value="0"))
    assert (made.goal_fen, made.match_percent, made.match_cap_fen, made.labour_hour_fen) == (
        0, 0, None, 0)
    assert made.ratio_text == "0"


def test_a_project_photo_is_stored_through_the_photo_pipeline(db, cast, tmp_path):
    made = projects.create_project(db, cast[STAFF], photo=jpeg(), data_dir=tmp_path,
                                   **new_fields(cast))
    assert photos.path_for(tmp_path, made.photo).exists()
    assert projects.photos_in_use(db) == {made.photo}


def test_a_photo_that_is_not_a_picture_stores_nothing(db, cast, tmp_path):
    before = state(db)
    with pytest.raises(PhotoRejected):
        projects.create_project(db, cast[STAFF], photo=b"not a photo", data_dir=tmp_path,
                                **new_fields(cast))
    assert state(db) == before
    assert not (tmp_path / photos.UPLOADS).exists() or not any((tmp_path / photos.UPLOADS).iterdir())


BAD_PROJECT = [
    ("title", "", "title", "请填写项目名称。"),
    ("title", "   ", "title", "请填写项目名称。"),
    ("title", "长" * 41, "title", "项目名称不能超过 40 个字。"),
    ("description", "字" * 2001, "description", "项目介绍不能超过 2000 个字。"),
    ("place_id", 999, "place_id", "请选择项目所在的楼栋或地点。"),
    ("place_id", None, "place_id", "请选择项目所在的楼栋或地点。"),
    ("place_id", True, "place_id", "请选择项目所在的楼栋或地点。"),
    ("goal", "", "goal", "请填写筹资目标（没有填 0）。"),
    ("goal", "-5", "goal", "筹资目标：金额必须大于 0。"),
    ("goal", "0.001", "goal", "筹资目标：金额最多精确到分（小数点后两位）。"),
    ("goal", "1e3", "goal", "筹资目标：请输入金额，例如 100 或 100.50。"),
    ("goal", "100000000", "goal",
     "筹资目标：金额不能超过 10,000,000.00 元，请检查是否多输了位数。"),
    ("match_ratio", "", "match_ratio", "请填写配套比例（没有配套填 0）。"),
    ("match_ratio", "五", "match_ratio", "配套比例请填数字，例如 5 或 1.5（最多两位小数）。"),
    ("match_ratio", "-1", "match_ratio", "配套比例请填数字，例如 5 或 1.5（最多两位小数）。"),
    ("match_ratio", "1.255", "match_ratio", "配套比例请填数字，例如 5 或 1.5（最多两位小数）。"),
    ("match_ratio", "10.01", "match_ratio", "配套比例不能超过 10 倍。"),
    ("match_ratio", None, "match_ratio", "请填写配套比例（没有配套填 0）。"),
    ("match_cap", "0", "match_cap", "配套上限：金额必须大于 0。（不设上限请留空）"),
    ("match_cap", "abc", "match_cap", "配套上限：请输入金额，例如 100 或 100.50。（不设上限请留空）"),
    ("match_sponsor", "", "match_sponsor", "有配套比例时请填写配套出资方，例如 街道办事处。"),
    ("match_sponsor", "办" * 31, "match_sponsor", "配套出资方不能超过 30 个字。"),
    ("labour_hour_value", "", "labour_hour_value", "请填写每小时出工折算金额（没有填 0）。"),
    ("labour_hour_value", "1000.01", "labour_hour_value",
     "每小时出工折算金额：金额不能超过 1,000.00 元，请检查是否多输了位数。"),
    ("deadline", day(-1), "deadline", "截止日期不能早于今天。"),
    ("deadline", day(731), "deadline", "截止日期不能晚于两年之后。"),
    ("deadline", "明天", "deadline", "请选择截止日期。"),
    ("deadline", None, "deadline", "请选择截止日期。"),
]


@pytest.mark.parametrize("field, value, key, message", BAD_PROJECT)
def test_bad_project_input_is_refused_in_chinese_and_nothing_is_stored(db, cast, field, value,
                                                                       key, message):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.create_project(db, cast[STAFF], **new_fields(cast, **{field: value}))
    assert refused.value.fields == {key: message}
    assert state(db) == before


def test_a_cap_without_a_match_is_refused(db, cast):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.create_project(db, cast[STAFF], **new_fields(
            cast, match_ratio="0", match_cap="1000"))
    assert refused.value.fields == {"match_cap": "没有配套比例时不设配套上限，请留空。"}
    assert state(db) == before


def test_every_bad_field_is_named_at_once(db, cast):
    with pytest.raises(ValidationError) as refused:
        projects.create_project(db, cast[STAFF], **new_fields(
            cast, title="", goal="-1", match_ratio="x", deadline=day(-3)))
    assert set(refused.value.fields) == {"title", "goal", "match_ratio", "deadline"}


def test_today_and_two_years_ahead_are_fine_deadlines(db, cast):
    assert projects.create_project(db, cast[STAFF], **new_fields(cast, deadline=day(0))).deadline \
        == day(0)
    assert projects.create_project(db, cast[STAFF], **new_fields(
        cast, deadline=local_today() + timedelta(days=730))).deadline == day(730)


@pytest.mark.parametrize("typed, percent", [
    ("5", 500), ("1.5", 150), ("1.25", 125), ("10", 1000), ("0", 0), ("３", 300), ("5倍", 500),
    (" 4 ", 400), (2, 200), (2.5, 250), ("0.01", 1)])
def test_a_ratio_is_read_as_staff_type_it(typed, percent):
    assert projects.parse_ratio(typed) == percent
    assert projects.ratio_text(percent) == ("0" if percent == 0 else
                                           format(percent / 100, "g"))


@pytest.mark.parametrize("typed", [True, float("nan"), "1e1", "1/2", "11", "100", ".5", "5."])
def test_a_ratio_that_is_not_a_plain_number_up_to_ten_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        projects.parse_ratio(typed)
    assert set(refused.value.fields) == {"match_ratio"}


def test_a_draft_may_change_everything_and_the_change_is_audited(db, cast):
    p = project(db, cast, status="draft")
    changed = projects.update_project(
        db, cast[STAFF], project_id=p["id"], title="楼道粉刷", goal="1000.5", match_ratio="3",
        match_cap="5000", match_sponsor="物业公司", labour_hour_value="25",
        place_id=cast["grid"]["place_b"], deadline=day(10), description="刷白楼道。")
    assert (changed.title, changed.goal_fen, changed.match_percent, changed.match_cap_fen,
            changed.match_sponsor, changed.labour_hour_fen, changed.place_code,
            changed.deadline, changed.description) == (
        "楼道粉刷", 100_050, 300, 500_000, "物业公司", 2_500, "2-1", day(10), "刷白楼道。")
    [(actor, kind, target, detail)] = audits(db, "crowdfund.edit")
    assert (actor, kind, target) == (cast[STAFF].id, "crowdfund_project", str(p["id"]))
    assert detail["title"] == "楼道粉刷"
    assert detail["old"] == {"title": "车棚地面硬化", "goal_fen": 24_000_000, "match_percent": 500,
                             "match_cap_fen": None, "match_sponsor": "街道办事处",
                             "labour_hour_fen": 3_000, "place_id": cast["grid"]["place_a"],
                             "deadline": day(30), "description": "把车棚坑洼的地面铺平。"}


def test_a_draft_edit_is_checked_against_the_terms_it_keeps(db, cast):
    p = project(db, cast, status="draft", match_percent=500, match_sponsor="街道办事处")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.update_project(db, cast[STAFF], project_id=p["id"], match_sponsor="")
    assert refused.value.fields == {"match_sponsor": "有配套比例时请填写配套出资方，例如 街道办事处。"}
    no_match = project(db, cast, status="draft", match_percent=0, match_sponsor="")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.update_project(db, cast[STAFF], project_id=no_match["id"], match_cap="1000")
    assert refused.value.fields == {"match_cap": "没有配套比例时不设配套上限，请留空。"}
    assert state(db) == before
    assert projects.update_project(db, cast[STAFF], project_id=no_match["id"], match_ratio="2",
                                   match_sponsor="物业公司", match_cap="1000").match_cap_fen == 100_000


def test_saving_without_a_change_writes_nothing(db, cast):
    p = project(db, cast, status="raising")
    before = state(db)
    same = projects.update_project(db, cast[STAFF], project_id=p["id"], title="车棚地面硬化",
                                   match_ratio="5", match_cap="", labour_hour_value="30",
                                   match_sponsor="街道办事处", goal="240000")
    assert same.title == "车棚地面硬化" and state(db) == before


@pytest.mark.parametrize("status", ["raising", "building"])
@pytest.mark.parametrize("field, value, key", [
    ("match_ratio", "4", "match_ratio"), ("match_cap", "1000", "match_cap"),
    ("labour_hour_value", "31", "labour_hour_value"), ("match_sponsor", "区政府", "match_sponsor")])
def test_the_match_and_the_hour_value_cannot_change_after_launch(db, cast, status, field, value,
                                                                 key):
    p = project(db, cast, status=status)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.update_project(db, cast[STAFF], project_id=p["id"], title="新名称",
                                **{field: value})
    assert refused.value.fields == {key: projects.TERMS_FIXED}
    assert str(refused.value) == "配套比例、上限和工时价值在发起时已确定，不能修改。"
    assert state(db) == before


def test_the_database_trigger_is_the_last_line_and_says_the_same(db, cast, monkeypatch):
    p = project(db, cast, status="raising")
    monkeypatch.setattr(projects, "_FIXED_AT_LAUNCH", ())  # as if lib forgot to check
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.update_project(db, cast[STAFF], project_id=p["id"], match_ratio="4")
    assert refused.value.fields == {"match_ratio": projects.TERMS_FIXED}
    assert state(db) == before


def test_after_launch_the_words_the_goal_and_the_deadline_may_still_change(db, cast):
    p = project(db, cast, status="raising")
    changed = projects.update_project(db, cast[STAFF], project_id=p["id"], title="车棚地面",
                                      description="新的说明", goal="50000", deadline=day(60))
    assert (changed.title, changed.description, changed.goal_fen, changed.deadline) == (
        "车棚地面", "新的说明", 5_000_000, day(60))
    assert (changed.match_percent, changed.labour_hour_fen) == (500, 3_000)


def test_a_passed_deadline_left_as_it_is_does_not_block_another_edit(db, cast):
    p = project(db, cast, status="raising", deadline_days=-5)
    changed = projects.update_project(db, cast[STAFF], project_id=p["id"], title="改个名字",
                                      deadline=day(-5))
    assert (changed.title, changed.deadline) == ("改个名字", day(-5))
    same_day = local_today() - timedelta(days=5)  # as the page's date widget gives it
    assert projects.update_project(db, cast[STAFF], project_id=p["id"], title="再改",
                                   deadline=same_day).deadline == day(-5)
    with pytest.raises(ValidationError, match="截止日期不能早于今天"):
        projects.update_project(db, cast[STAFF], project_id=p["id"], deadline=day(-4))


@pytest.mark.parametrize("status, label", [("done", "已完成"), ("cancelled", "已取消")])
def test_a_finished_or_cancelled_project_does_not_change(db, cast, status, label):
    p = project(db, cast, status=status)
    before = state(db)
    with pytest.raises(ValidationError, match=exactly(f"{label}的项目不能修改。")):
        projects.update_project(db, cast[STAFF], project_id=p["id"], title="新名称")
    assert state(db) == before


def test_an_unknown_field_is_a_programming_error(db, cast):
    p = project(db, cast, status="draft")
    with pytest.raises(TypeError, match=re.escape("unexpected fields ['status']")):
        projects.update_project(db, cast[STAFF], project_id=p["id"], status="done")
    with pytest.raises(TypeError, match=re.escape("unexpected fields ['project_id']")):
        projects.update_task(db, cast[STAFF], task_id=1, project_id=p["id"])


def test_a_new_photo_replaces_the_old_one_and_its_file(db, cast, tmp_path):
    made = projects.create_project(db, cast[STAFF], photo=jpeg("red"), data_dir=tmp_path,
                                   **new_fields(cast))
    changed = projects.update_project(db, cast[STAFF], project_id=made.id, photo=jpeg("blue"),
                                      data_dir=tmp_path)
    assert changed.photo != made.photo
    assert photos.path_for(tmp_path, changed.photo).exists()
    assert not photos.path_for(tmp_path, made.photo).exists()
    assert audits(db, "crowdfund.edit")[0][3]["photo"] == "新照片"


def test_a_refused_edit_keeps_no_new_photo(db, cast, tmp_path):
    p = project(db, cast, status="raising")
    with pytest.raises(ValidationError):
        projects.update_project(db, cast[STAFF], project_id=p["id"], match_ratio="2",
                                photo=jpeg(), data_dir=tmp_path)
    assert not any((tmp_path / photos.UPLOADS).iterdir())
    assert projects.get_project(db, p["id"]).photo is None


def test_unknown_projects_and_tasks_are_not_found(db, cast):
    for missing in (999, None, True, "1", 0, -1, 2 ** 63, 10 ** 30):
        with pytest.raises(NotFound, match=exactly("找不到该众筹项目。")):
            projects.get_project(db, missing)
        with pytest.raises(NotFound, match=exactly("找不到该出工时段。")):
            projects.get_task(db, missing)
    with pytest.raises(NotFound):
        projects.update_project(db, cast[STAFF], project_id=999, title="x")
    with pytest.raises(NotFound):
        projects.launch(db, cast[STAFF], project_id=999)


# --- states --------------------------------------------------------------------------------

def test_launching_fixes_the_terms_and_opens_the_project(db, cast):
    p = project(db, cast, status="draft")
    launched = projects.launch(db, cast[STAFF], project_id=p["id"])
    assert (launched.status, launched.status_label, launched.is_public, launched.is_open) == (
        "raising", "众筹中", True, True)
    assert launched.launched_at is not None
    assert audits(db, "crowdfund.launch") == [(cast[STAFF].id, "crowdfund_project", str(p["id"]),
                                               {"title": "车棚地面硬化"})]


def test_a_project_with_neither_a_goal_nor_a_task_cannot_launch(db, cast):
    p = project(db, cast, status="draft", goal_fen=0)
    before = state(db)
    with pytest.raises(ValidationError, match=exactly("发起前请设置筹资目标，或至少添加一个出工时段。")):
        projects.launch(db, cast[STAFF], project_id=p["id"])
    assert state(db) == before


def test_a_labour_only_project_launches_with_a_task(db, cast):
    p = project(db, cast, status="draft", goal_fen=0, tasks=(dict(),))
    assert projects.launch(db, cast[STAFF], project_id=p["id"]).status == "raising"


def test_a_draft_whose_deadline_passed_cannot_launch(db, cast):
    p = project(db, cast, status="draft", deadline_days=-1)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.launch(db, cast[STAFF], project_id=p["id"])
    assert refused.value.fields == {"deadline": "截止日期已过，请先修改截止日期再发起。"}
    assert state(db) == before
    p = project(db, cast, status="draft", deadline_days=0)
    assert projects.launch(db, cast[STAFF], project_id=p["id"]).status == "raising"


def test_building_starts_from_raising(db, cast):
    p = project(db, cast)
    built = projects.start_building(db, cast[STAFF], project_id=p["id"])
    assert (built.status, built.status_label, built.is_open) == ("building", "实施中", True)
    assert built.building_at is not None
    assert audits(db, "crowdfund.build")[0][:3] == (cast[STAFF].id, "crowdfund_project",
                                                    str(p["id"]))


ILLEGAL = [
    ("launch", "raising", "众筹中的项目不能发起众筹。"),
    ("launch", "building", "实施中的项目不能发起众筹。"),
    ("launch", "done", "已完成的项目不能发起众筹。"),
    ("launch", "cancelled", "已取消的项目不能发起众筹。"),
    ("start_building", "draft", "草稿的项目不能开始实施。"),
    ("start_building", "building", "实施中的项目不能开始实施。"),
    ("start_building", "done", "已完成的项目不能开始实施。"),
    ("start_building", "cancelled", "已取消的项目不能开始实施。"),
    ("complete", "draft", "草稿的项目不能完工。"),
    ("complete", "raising", "众筹中的项目不能完工。"),
    ("complete", "done", "已完成的项目不能完工。"),
    ("complete", "cancelled", "已取消的项目不能完工。"),
    ("cancel", "done", "已完成的项目不能取消。"),
    ("cancel", "cancelled", "已取消的项目不能取消。"),
]


@pytest.mark.parametrize("action, status, message", ILLEGAL)
def test_an_illegal_transition_is_refused_and_nothing_changes(db, cast, tmp_path, action, status,
                                                             message):
    p = project(db, cast, status=status)
    before = state(db)
    calls = {
        "launch": lambda: projects.launch(db, cast[STAFF], project_id=p["id"]),
        "start_building": lambda: projects.start_building(db, cast[STAFF], project_id=p["id"]),
        "complete": lambda: projects.complete(db, cast[STAFF], project_id=p["id"],
                                              summary="完工", report_photos=[jpeg()],
                                              data_dir=tmp_path),
        "cancel": lambda: projects.cancel(db, cast[STAFF], project_id=p["id"], reason="原因"),
    }
    with pytest.raises(ValidationError, match=exactly(message)):
        calls[action]()
    assert state(db) == before
    assert not (tmp_path / photos.UPLOADS).exists() or not any((tmp_path / photos.UPLOADS).iterdir())


def test_the_transition_table_is_the_one_the_issue_draws():
    assert projects.TRANSITIONS == {
        "draft": ("raising", "cancelled"), "raising": ("building", "cancelled"),
        "building": ("done", "cancelled"), "done": (), "cancelled": ()}
    assert projects.STATUS_LABELS == {"draft": "草稿", "raising": "众筹中", "building": "实施中",
                                      "done": "已完成", "cancelled": "已取消"}


# --- completing ----------------------------------------------------------------------------

def test_completing_publishes_the_final_report_with_its_photos(db, cast, tmp_path):
    p = project(db, cast, status="building", tasks=(dict(days=-2),))
    signup(db, p["tasks"][0], cast["in"], "attended")
    signup(db, p["tasks"][0], cast["in2"], "absent")
    pledge(db, p["id"], cast["out"], 10_000, status="not_received")
    done = projects.complete(db, cast[STAFF], project_id=p["id"], summary="  地面已铺平，车棚不再积水。 ",
                             report_photos=[jpeg("red"), jpeg("green")], data_dir=tmp_path)
    assert (done.status, done.status_label, done.final_report) == (
        "done", "已完成", "地面已铺平，车棚不再积水。")
    assert done.done_at is not None and done.is_public and not done.is_open
    names = projects.report_photos(db, p["id"])
    assert len(names) == 2 and all(photos.path_for(tmp_path, n).exists() for n in names)
    assert projects.photos_in_use(db) == set(names)
    assert audits(db, "crowdfund.complete") == [(cast[STAFF].id, "crowdfund_project",
                                                 str(p["id"]), {"title": "车棚地面硬化",
                                                                "photos": 2, "released": 0})]


def test_completing_waits_for_every_pledge_to_be_decided(db, cast, tmp_path):
    p = project(db, cast, status="building")
    pledge(db, p["id"], cast["in"], 10_000, status="pledged")
    pledge(db, p["id"], cast["in2"], 5_050, status="pledged")
    pledge(db, p["id"], cast["out"], 7_000, status="received")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                          report_photos=[jpeg()], data_dir=tmp_path)
    assert refused.value.fields == {"project": "还有 2 笔认捐（共 150.50 元）未确认，请先在 众筹账目 › "
                                               "到账确认 中确认到账或标记未到账。"}
    assert state(db) == before
    assert not (tmp_path / photos.UPLOADS).exists()


def test_completing_waits_for_attendance_and_names_the_slots(db, cast, tmp_path):
    p = project(db, cast, status="building", tasks=(
        dict(name="搬运材料", days=-3, starts_at="14:00"), dict(name="平整地面", days=-3),
        dict(name="清扫", days=-1)))
    signup(db, p["tasks"][0], cast["in"])
    signup(db, p["tasks"][0], cast["in2"])
    signup(db, p["tasks"][1], cast["in"])
    signup(db, p["tasks"][2], cast["in"], "attended")
    signup(db, p["tasks"][2], cast["in2"], "withdrawn")
    pledge(db, p["id"], cast["out"], 100, status="pledged")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                          report_photos=[jpeg()], data_dir=tmp_path)
    assert str(refused.value) == (
        f"还有 1 笔认捐（共 1.00 元）未确认，请先在 众筹账目 › 到账确认 中确认到账或标记未到账；"
        f"这些出工时段还有报名未登记出勤：平整地面（{day(-3)} 09:00，1 人）、"
        f"搬运材料（{day(-3)} 14:00，2 人），请先在 众筹账目 › 出勤登记 中登记。")
    assert state(db) == before


def test_a_slot_begun_today_blocks_but_slots_still_to_come_are_released(db, cast, tmp_path):
    p = project(db, cast, status="building", tasks=(
        dict(name="今天一早", days=0, starts_at="00:00"), dict(name="明天", days=1)))
    signup(db, p["tasks"][0], cast["in"])
    signup(db, p["tasks"][1], cast["in2"])
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                          report_photos=[jpeg()], data_dir=tmp_path)
    assert str(refused.value) == (f"这些出工时段还有报名未登记出勤：今天一早（{day(0)} 00:00，1 人），"
                                  "请先在 众筹账目 › 出勤登记 中登记。")
    assert state(db) == before
    db.execute("UPDATE crowdfund_signups SET status = 'attended' WHERE task_id = ?",
               (p["tasks"][0],))
    db.conn.commit()
    projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                      report_photos=[jpeg()], data_dir=tmp_path)
    assert [r[0] for r in db.execute("SELECT status FROM crowdfund_signups ORDER BY id")] == [
        "attended", "withdrawn"]
    assert audits(db, "crowdfund.complete")[0][3]["released"] == 1


@pytest.mark.parametrize("summary, shots, fields", [
    ("", [b"x"], {"summary": "请填写完工报告：做了什么、花了多少、效果如何。"}),
    ("  ", [b"x"], {"summary": "请填写完工报告：做了什么、花了多少、效果如何。"}),
    ("字" * 2001, [b"x"], {"summary": "完工报告不能超过 2000 个字。"}),
    ("完工", [], {"photos": "请上传至少一张完工照片。"}),
    ("完工", [b""], {"photos": "请上传至少一张完工照片。"}),
    ("完工", [b"x"] * 10, {"photos": "完工照片最多 9 张。"}),
])
def test_a_final_report_needs_words_and_one_to_nine_photos(db, cast, tmp_path, summary, shots,
                                                           fields):
    p = project(db, cast, status="building")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.complete(db, cast[STAFF], project_id=p["id"], summary=summary,
                          report_photos=shots, data_dir=tmp_path)
    assert refused.value.fields == fields
    assert state(db) == before


def test_nine_photos_are_fine_and_a_bad_one_stores_none(db, cast, tmp_path):
    p = project(db, cast, status="building")
    before = state(db)
    with pytest.raises(PhotoRejected):
        projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                          report_photos=[jpeg()] * 8 + [b"broken"], data_dir=tmp_path)
    assert state(db) == before
    assert not any((tmp_path / photos.UPLOADS).iterdir())
    projects.complete(db, cast[STAFF], project_id=p["id"], summary="完工",
                      report_photos=[jpeg()] * 9, data_dir=tmp_path)
    assert len(projects.report_photos(db, p["id"])) == 9


# --- cancelling ----------------------------------------------------------------------------

def test_cancelling_refunds_received_cash_and_releases_pledges_and_slots(db, cast):
    p = project(db, cast, status="raising", tasks=(dict(days=3),))
    confirmed(db, p["id"], cast["in"], 10_000, 500, None)
    pledge(db, p["id"], cast["in2"], 5_000, status="pledged")
    signup(db, p["tasks"][0], cast["in"])
    cancelled = projects.cancel(db, cast[STAFF], project_id=p["id"], reason=" 场地另有安排 ")
    assert (cancelled.status, cancelled.status_label, cancelled.cancel_reason) == (
        "cancelled", "已取消", "场地另有安排")
    assert cancelled.cancelled_at is not None and cancelled.is_public
    assert [r[0] for r in db.execute("SELECT status FROM crowdfund_pledges ORDER BY id")] == [
        "refunded", "not_received"]
    assert [r[0] for r in db.execute("SELECT status FROM crowdfund_signups")] == ["withdrawn"]
    assert audits(db, "crowdfund.cancel") == [(cast[STAFF].id, "crowdfund_project", str(p["id"]),
                                               {"title": "车棚地面硬化", "reason": "场地另有安排"})]
    money = projects.progress(db, p["id"])
    assert (money.cash_fen, money.match_fen, money.pledged_fen, money.slots_taken) == (0, 0, 0, 0)


def test_a_draft_can_be_cancelled_too(db, cast):
    p = project(db, cast, status="draft")
    assert projects.cancel(db, cast[STAFF], project_id=p["id"], reason="不做了").status == "cancelled"


def test_a_project_that_has_spent_money_cannot_be_cancelled(db, cast):
    p = project(db, cast, status="building")
    confirmed(db, p["id"], cast["in"], 10_000, 500, None)
    spend(db, p["id"], cast[STAFF], 100)
    before = state(db)
    with pytest.raises(ValidationError,
                       match=exactly("项目已有支出，不能取消；请把项目做完并在完工报告中说明。")):
        projects.cancel(db, cast[STAFF], project_id=p["id"], reason="资金不够")
    assert state(db) == before


@pytest.mark.parametrize("reason, message", [
    ("", "请填写取消原因，居民会在项目页看到。"), ("   ", "请填写取消原因，居民会在项目页看到。"),
    (None, "请填写取消原因，居民会在项目页看到。"), ("因" * 201, "取消原因不能超过 200 个字。"),
    ("因" * 200, None)])
def test_cancelling_needs_a_reason(db, cast, reason, message):
    p = project(db, cast, status="raising")
    if message is None:  # the longest reason allowed
        assert projects.cancel(db, cast[STAFF], project_id=p["id"], reason=reason).status == \
            "cancelled"
        return
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.cancel(db, cast[STAFF], project_id=p["id"], reason=reason)
    assert refused.value.fields == {"reason": message}
    assert state(db) == before


# --- labour tasks --------------------------------------------------------------------------

def test_a_task_is_added_in_half_hours_with_a_clean_start_time(db, cast):
    p = project(db, cast, status="draft")
    task = projects.add_task(db, cast[STAFF], project_id=p["id"], name=" 平整地面 ",
                             work_on=day(5), starts_at="9:00", hours="1.5", headcount=4)
    assert (task.name, task.work_on, task.starts_at, task.half_hours, task.headcount,
            task.taken, task.hours_text) == ("平整地面", day(5), "09:00", 3, 4, 0, "1.5")
    assert audits(db, "crowdfund.task_add") == [(cast[STAFF].id, "crowdfund_project",
                                                 str(p["id"]), {"task": "平整地面",
                                                                "work_on": day(5),
                                                                "headcount": 4})]


@pytest.mark.parametrize("hours, half", [("0.5", 1), ("12", 24), (2, 4), (2.5, 5), ("３小时", 6)])
def test_hours_from_half_an_hour_to_twelve(db, cast, hours, half):
    from datetime import time
    p = project(db, cast, status="raising")
    task = projects.add_task(db, cast[STAFF], project_id=p["id"], name="清扫", work_on=day(0),
                             starts_at=time(14, 30), hours=hours, headcount=500)
    assert (task.half_hours, task.starts_at, task.headcount) == (half, "14:30", 500)


BAD_TASK = [
    ("name", "", "name", "请填写出工内容，例如 平整地面。"),
    ("name", "字" * 31, "name", "出工内容不能超过 30 个字。"),
    ("work_on", day(-1), "work_on", "出工日期不能早于今天。"),
    ("work_on", "", "work_on", "请选择出工日期。"),
    ("starts_at", "25:00", "starts_at", "开始时间请写成 时:分，例如 09:00。"),
    ("starts_at", "9点", "starts_at", "开始时间请写成 时:分，例如 09:00。"),
    ("hours", "0", "hours", "时长应是 0.5 到 12 小时，以半小时为单位。"),
    ("hours", "0.3", "hours", "时长应是 0.5 到 12 小时，以半小时为单位。"),
    ("hours", "12.5", "hours", "时长应是 0.5 到 12 小时，以半小时为单位。"),
    ("hours", "-1", "hours", "时长应是 0.5 到 12 小时，以半小时为单位。"),
    ("hours", True, "hours", "时长应是 0.5 到 12 小时，以半小时为单位。"),
    ("headcount", 0, "headcount", "需要人数应是 1 到 500 的整数。"),
    ("headcount", 501, "headcount", "需要人数应是 1 到 500 的整数。"),
    ("headcount", True, "headcount", "需要人数应是 1 到 500 的整数。"),
    ("headcount", "5", "headcount", "需要人数应是 1 到 500 的整数。"),
]


@pytest.mark.parametrize("field, value, key, message", BAD_TASK)
def test_bad_task_input_is_refused_and_nothing_is_stored(db, cast, field, value, key, message):
    p = project(db, cast, status="draft")
    fields = dict(name="平整地面", work_on=day(5), starts_at="09:00", hours="2", headcount=4)
    fields[field] = value
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.add_task(db, cast[STAFF], project_id=p["id"], **fields)
    assert refused.value.fields == {key: message}
    assert state(db) == before


@pytest.mark.parametrize("status, label", [("done", "已完成"), ("cancelled", "已取消")])
def test_a_closed_project_gets_no_new_or_changed_slots(db, cast, status, label):
    p = project(db, cast, status=status, tasks=(dict(),))
    before = state(db)
    message = exactly(f"{label}的项目不能再修改出工时段。")
    with pytest.raises(ValidationError, match=message):
        projects.add_task(db, cast[STAFF], project_id=p["id"], name="清扫", work_on=day(2),
                          starts_at="09:00", hours="1", headcount=2)
    with pytest.raises(ValidationError, match=message):
        projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], name="清扫")
    with pytest.raises(ValidationError, match=message):
        projects.remove_task(db, cast[STAFF], task_id=p["tasks"][0])
    assert state(db) == before


def test_a_slot_is_changed_field_by_field_and_audited(db, cast):
    p = project(db, cast, status="raising", tasks=(dict(headcount=5, days=7),))
    task = projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], name="铺砖",
                                work_on=day(8), starts_at="08:30", hours="3", headcount=6)
    assert (task.name, task.work_on, task.starts_at, task.half_hours, task.headcount) == (
        "铺砖", day(8), "08:30", 6, 6)
    [(actor, kind, target, detail)] = audits(db, "crowdfund.task_edit")
    assert (actor, kind, target, detail) == (cast[STAFF].id, "crowdfund_project", str(p["id"]), {
        "task": "铺砖", "old": {"name": "平整地面", "work_on": day(7), "starts_at": "09:00",
                               "half_hours": 8, "headcount": 5}})
    projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], headcount=7)
    assert audits(db, "crowdfund.task_edit")[1][3] == {"task": "铺砖", "old": {"headcount": 6}}


def test_a_slot_left_as_it_was_writes_nothing_even_when_its_day_has_passed(db, cast):
    p = project(db, cast, status="building", tasks=(dict(days=-2),))
    before = state(db)
    task = projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], work_on=day(-2),
                                name="平整地面")
    assert task.work_on == day(-2) and state(db) == before


def test_the_headcount_never_drops_below_the_people_signed_up(db, cast):
    p = project(db, cast, status="raising", tasks=(dict(headcount=5),))
    signup(db, p["tasks"][0], cast["in"])
    signup(db, p["tasks"][0], cast["in2"], "attended")
    signup(db, p["tasks"][0], cast["out"], "withdrawn")
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], headcount=1)
    assert refused.value.fields == {"headcount": "已有 2 人报名，需要人数不能少于 2。"}
    assert state(db) == before
    assert projects.update_task(db, cast[STAFF], task_id=p["tasks"][0], headcount=2).headcount == 2


def test_a_slot_someone_holds_cannot_be_removed(db, cast):
    p = project(db, cast, status="raising", tasks=(dict(),))
    signup(db, p["tasks"][0], cast["in"])
    before = state(db)
    with pytest.raises(ValidationError, match=exactly(
            "“平整地面”已有 1 人报名，不能删除；可以修改时间，或取消整个项目。")):
        projects.remove_task(db, cast[STAFF], task_id=p["tasks"][0])
    assert state(db) == before


def test_a_slot_only_withdrawn_from_is_removed_with_its_withdrawals(db, cast):
    p = project(db, cast, status="raising", tasks=(dict(), dict(name="清扫")))
    signup(db, p["tasks"][0], cast["in"], "withdrawn")
    signup(db, p["tasks"][1], cast["in"], "signed")
    projects.remove_task(db, cast[STAFF], task_id=p["tasks"][0])
    assert [t.name for t in labour.tasks_of(db, p["id"])] == ["清扫"]
    assert db.execute("SELECT COUNT(*) FROM crowdfund_signups").fetchone()[0] == 1
    assert audits(db, "crowdfund.task_remove") == [(cast[STAFF].id, "crowdfund_project",
                                                    str(p["id"]), {"task": "平整地面",
                                                                   "work_on": day(7)})]


def test_tasks_come_by_day_and_time_with_live_sign_ups_counted(db, cast):
    p = project(db, cast, tasks=(dict(name="晚", days=3, starts_at="14:00"),
                                 dict(name="早", days=3, starts_at="08:00"),
                                 dict(name="先", days=2, starts_at="18:00")))
    signup(db, p["tasks"][0], cast["in"])
    signup(db, p["tasks"][0], cast["in2"], "withdrawn")
    signup(db, p["tasks"][0], cast["out"], "absent")
    assert [(t.name, t.taken) for t in labour.tasks_of(db, p["id"])] == [
        ("先", 0), ("早", 0), ("晚", 2)]
    assert projects.get_task(db, p["tasks"][0]).taken == 2


# --- reading -------------------------------------------------------------------------------

def test_the_public_list_holds_open_projects_raising_first_and_never_a_draft(db, cast):
    draft = project(db, cast, status="draft", title="草稿项目")
    building = project(db, cast, status="building", title="实施项目")
    raising = project(db, cast, status="raising", title="众筹项目")
    done = project(db, cast, status="done", title="完成项目")
    elsewhere = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_b"],
                             title="二栋项目")
    assert [p.title for p in projects.list_projects(db)] == ["二栋项目", "众筹项目", "实施项目"]
    assert [p.title for p in projects.list_projects(db, place_id=cast["grid"]["place_a"])] == [
        "众筹项目", "实施项目"]
    assert [p.title for p in projects.list_projects(db, statuses=(projects.DONE,))] == ["完成项目"]
    assert projects.list_projects(db, statuses=()) == []
    every = projects.list_projects(db, statuses=tuple(projects.STATUS_LABELS))
    assert [p.id for p in every] == [elsewhere["id"], raising["id"], building["id"], draft["id"],
                                     done["id"]]


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_seen_only_by_staff(db, cast, role):
    draft = project(db, cast, status="draft")
    cancelled = project(db, cast, status="cancelled")
    assert projects.get_visible(db, cast[role], cancelled["id"]).status == "cancelled"
    if role in (STAFF, ADMIN):
        assert projects.get_visible(db, cast[role], draft["id"]).status == "draft"
    else:
        with pytest.raises(NotFound, match=exactly("找不到该众筹项目。")):
            projects.get_visible(db, cast[role], draft["id"])


def test_the_seed_example_40000_at_5x_without_a_cap_is_240000(db, cast):
    p = project(db, cast, goal_fen=4_000_000, match_percent=500, match_cap_fen=None)
    for user, amount in ((cast["in"], 1_000_000), (cast["in2"], 2_000_033),
                         (cast["out"], 999_967)):
        confirmed(db, p["id"], user, amount, 500, None)
    money = projects.progress(db, p["id"])
    assert (money.cash_fen, money.match_fen, money.total_fen) == (4_000_000, 20_000_000,
                                                                  24_000_000)
    assert (money.match_left_fen, money.balance_fen, money.spent_fen) == (None, 24_000_000, 0)
    assert money.cash_share == 1.0
    assert projects.expected_match(projects.get_project(db, p["id"]), money.cash_fen) == 20_000_000


def test_with_a_cap_the_match_stops_at_the_cap(db, cast):
    p = project(db, cast, goal_fen=4_000_000, match_percent=500, match_cap_fen=10_000_000)
    confirmed(db, p["id"], cast["in"], 1_500_000, 500, 10_000_000)
    money = projects.progress(db, p["id"])
    assert (money.match_fen, money.match_left_fen, money.total_fen) == (7_500_000, 2_500_000,
                                                                        9_000_000)
    confirmed(db, p["id"], cast["in2"], 2_500_000, 500, 10_000_000)
    money = projects.progress(db, p["id"])
    assert (money.cash_fen, money.match_fen, money.match_left_fen, money.total_fen) == (
        4_000_000, 10_000_000, 0, 14_000_000)
    assert projects.expected_match(projects.get_project(db, p["id"]), 4_000_000) == 10_000_000


def test_progress_counts_only_received_cash_and_keeps_pledges_apart(db, cast):
    p = project(db, cast, goal_fen=1_000_000, match_percent=150, match_cap_fen=None)
    confirmed(db, p["id"], cast["in"], 33_333, 150, None)
    pledge(db, p["id"], cast["in2"], 20_000, status="pledged")
    pledge(db, p["id"], cast["out"], 40_000, status="not_received")
    pledge(db, p["id"], cast["out"], 50_000, status="refunded", match_fen=75_000)
    money = projects.progress(db, p["id"])
    assert (money.goal_fen, money.cash_fen, money.pledged_fen, money.match_fen) == (
        1_000_000, 33_333, 20_000, 49_999)
    assert money.cash_share == pytest.approx(0.033333)


def test_progress_values_attended_labour_and_counts_live_slots(db, cast):
    p = project(db, cast, labour_hour_fen=3_001, tasks=(
        dict(half_hours=3, headcount=4), dict(half_hours=8, headcount=6)))
    signup(db, p["tasks"][0], cast["in"], "attended")
    signup(db, p["tasks"][0], cast["in2"], "absent")
    signup(db, p["tasks"][0], cast["out"], "withdrawn")
    signup(db, p["tasks"][1], cast["in"], "attended")
    signup(db, p["tasks"][1], cast["in2"], "signed")
    money = projects.progress(db, p["id"])
    assert (money.labour_half_hours, money.labour_value_fen) == (11, 16_505)  # 5.5 h x 30.01
    assert (money.slots_taken, money.slots_total, money.slots_share) == (4, 10, 0.4)


def test_spending_comes_off_the_balance(db, cast):
    p = project(db, cast, match_percent=500)
    confirmed(db, p["id"], cast["in"], 10_000, 500, None)
    spend(db, p["id"], cast[STAFF], 12_345)
    spend(db, p["id"], cast[STAFF], 100)
    money = projects.progress(db, p["id"])
    assert (money.spent_fen, money.balance_fen) == (12_445, 60_000 - 12_445)


def test_an_empty_project_has_zero_everywhere(db, cast):
    p = project(db, cast, goal_fen=0, match_percent=0)
    money = projects.progress(db, p["id"])
    assert money == projects.Progress(0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0)
    assert (money.cash_share, money.slots_share, money.total_fen) == (0.0, 0.0, 0)


def test_the_start_up_sweep_keeps_project_report_and_receipt_photos(db, cast, tmp_path,
                                                                    monkeypatch):
    import os
    import time

    from lib.core.config import load_settings
    from lib.site import bootstrap

    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    settings = load_settings()
    made = projects.create_project(db, cast[STAFF], photo=jpeg(), data_dir=tmp_path,
                                   **new_fields(cast))
    projects.launch(db, cast[STAFF], project_id=made.id)
    projects.start_building(db, cast[STAFF], project_id=made.id)
    projects.complete(db, cast[STAFF], project_id=made.id, summary="完工",
                      report_photos=[jpeg()], data_dir=tmp_path)
    receipt = photos.store(tmp_path, photos.process_photo(jpeg("blue")))
    orphan = photos.store(tmp_path, photos.process_photo(jpeg("green")))
    confirmed(db, made.id, cast["in"], 10_000, 500, None)
    spend(db, made.id, cast[STAFF], 100)
    db.execute("UPDATE crowdfund_spending SET receipt = ?", (receipt,))
    db.conn.commit()
    kept = {made.photo, receipt, *projects.report_photos(db, made.id)}
    assert projects.photos_in_use(db) == kept
    old = time.time() - 7200
    for name in (*kept, orphan):
        for thumb in (False, True):
            os.utime(photos.path_for(tmp_path, name, thumb=thumb), (old, old))
    assert bootstrap.sweep_orphan_photos(db, settings) == [orphan]
    assert all(photos.path_for(tmp_path, name).exists() for name in kept)


def test_the_longest_words_and_a_large_cap_are_fine_and_the_defaults_are_plain(db, cast):
    made = projects.create_project(db, cast[STAFF], **new_fields(
        cast, description="字" * 2000, match_sponsor="办" * 30, match_cap="200000"))
    assert (len(made.description), len(made.match_sponsor), made.match_cap_fen) == (
        2000, 30, 20_000_000)
    plain = projects.create_project(db, cast[STAFF], title="清扫", place_id=cast["grid"]["place_a"],
                                    goal="0", deadline=day(3))
    assert (plain.description, plain.match_percent, plain.match_cap_fen, plain.match_sponsor,
            plain.labour_hour_fen) == ("", 0, None, "", 0)
    assert projects.parse_ratio(10.0) == 1000


def test_an_edit_keeps_the_old_photo_unless_a_new_one_comes(db, cast, tmp_path):
    made = projects.create_project(db, cast[STAFF], photo=jpeg(), data_dir=tmp_path,
                                   **new_fields(cast))
    projects.update_project(db, cast[STAFF], project_id=made.id, goal="50000",
                            data_dir=tmp_path)
    assert photos.path_for(tmp_path, made.photo).exists()
    [(_, _, _, detail)] = audits(db, "crowdfund.edit")
    assert detail == {"title": "车棚地面硬化", "old": {"goal_fen": 4_000_000}, "photo": ""}
    projects.update_project(db, cast[STAFF], project_id=made.id, title="新名", photo=jpeg("blue"),
                            data_dir=tmp_path)
    assert audits(db, "crowdfund.edit")[1][3] == {"title": "新名", "old": {"title": "车棚地面硬化"},
                                                  "photo": "新照片"}


def test_a_failed_save_removes_the_photo_it_stored(db, cast, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(projects.audit, "record", broken)
    with pytest.raises(RuntimeError):
        projects.create_project(db, cast[STAFF], photo=jpeg(), data_dir=tmp_path,
                                **new_fields(cast))
    assert not any((tmp_path / photos.UPLOADS).iterdir())
    assert db.execute("SELECT COUNT(*) FROM crowdfund_projects").fetchone()[0] == 0
