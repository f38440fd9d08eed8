"""AppTest of 管理 › 楼栋评分 (/admin-ranking-scores): who may open it, filling the table, refusals."""
from __future__ import annotations

import re

import pytest

from lib.core.db import scalar
from lib.people.users import load_user
from lib.ranking import criteria, scoring, ui_scores
from lib.ranking.months import month_label
from tests.app.conftest import open_as, texts
from tests.ranking_helpers import publish_raw


PAGE = "app_pages/admin/ranking_scores.py"


def open_page(app, username: str | None, month: str | None = None):
    at = open_as(app, PAGE, username)
    if month is not None:
        at.selectbox(key=ui_scores.MONTH_KEY).set_value(month).run()
    assert not at.exception
    return at


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def star_ids(db):
    return [c.id for c in criteria.star_criteria(db)]


def edit(at, rows: dict[int, dict]):
    """Type into the table as a person would: {row position: {column: value}}; then 保存草稿."""
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.button[0].click()  # the form's only button: 保存草稿
    at.run()
    assert not at.exception
    return at


def my_ratings(db, username: str, month: str):
    return [tuple(row) for row in db.execute(
        "SELECT p.code, r.note, s.criterion_id, s.stars FROM ranking_ratings r"
        " JOIN places p ON p.id = r.place_id JOIN ranking_stars s ON s.rating_id = r.id"
        " JOIN users u ON u.id = r.rater_id WHERE u.username = ? AND r.month = ?"
        " ORDER BY p.code, s.criterion_id", (username, month))]


def test_a_guest_is_offered_login(app):
    at = open_page(app, None)
    assert "此页面需要登录后使用。" in texts(at.info)
    assert not at.data_editor


def test_a_resident_cannot_open_the_scores(app):
    at = open_page(app, "resident")
    assert "此页面仅限微网格长及以上使用，您当前的身份是居民。" in texts(at.error)
    assert not at.data_editor and not at.selectbox


def test_the_leader_sees_their_micro_grid_and_the_default_month(app, portal_db):
    at = open_page(app, "leader")
    month = scoring.default_month(portal_db)
    assert at.selectbox(key=ui_scores.MONTH_KEY).value == month
    table = at.data_editor[0].value
    assert list(table["code"]) == ["1-1", "1-2", "2-1", "2-2"]
    assert list(table.columns) == ["code", *[f"c{cid}" for cid in star_ids(portal_db)], "note"]
    assert any(re.match(r"本微网格共 4 栋，您已评 \d 栋。请给环境卫生、楼道整洁、车辆停放、邻里和睦各填 1-5 星",
                        caption) for caption in texts(at.caption))


def test_staff_see_every_building(app, portal_db):
    at = open_page(app, "staff")
    codes = list(at.data_editor[0].value["code"])
    assert len(codes) == scalar(portal_db, "SELECT COUNT(*) FROM places WHERE kind = 'building'")
    assert codes[:3] == ["1-1", "1-2", "2-1"]


def test_the_leader_saves_a_draft_and_finds_it_kept(app, portal_db):
    at = open_page(app, "leader")
    month = at.selectbox(key=ui_scores.MONTH_KEY).value
    before = my_ratings(portal_db, "leader", month)
    c = [f"c{cid}" for cid in star_ids(portal_db)]
    edit(at, {0: dict(zip(c, (4, 5, 3, 4)), note="楼道干净"), 1: dict(zip(c, (3, 3, 3, 3)))})
    assert texts(at.success)[0].startswith(f"已保存{month_label(month)}的评分草稿：")
    assert not at.error
    saved = my_ratings(portal_db, "leader", month)
    assert saved != before
    assert [(code, note, stars) for code, note, _, stars in saved if code in ("1-1", "1-2")] == [
        ("1-1", "楼道干净", 4), ("1-1", "楼道干净", 5), ("1-1", "楼道干净", 3), ("1-1", "楼道干净", 4),
        ("1-2", "", 3), ("1-2", "", 3), ("1-2", "", 3), ("1-2", "", 3)]
    again = open_page(app, "leader", month)
    table = again.data_editor[0].value
    assert list(table.iloc[0][c]) == [4, 5, 3, 4] and table.iloc[0]["note"] == "楼道干净"


@pytest.mark.parametrize("value, message", [
    (6, "1-1：楼道整洁只能打 1-5 星（填 1 到 5 的整数）。"),
    (0, "1-1：楼道整洁只能打 1-5 星（填 1 到 5 的整数）。"),
    (None, "1-1：还没给楼道整洁打星；请每项都打星，或整行留空表示不评。"),
])
def test_a_bad_cell_is_refused_in_chinese_and_nothing_is_saved(app, portal_db, value, message):
    at = open_page(app, "leader")
    month = at.selectbox(key=ui_scores.MONTH_KEY).value
    before = my_ratings(portal_db, "leader", month)
    c = [f"c{cid}" for cid in star_ids(portal_db)]
    good = dict(zip(c, (3, 3, 3, 3)))
    edit(at, {0: dict(zip(c, (4, value, 3, 4))), 1: good})
    assert message in texts(at.error)
    assert not at.success
    assert my_ratings(portal_db, "leader", month) == before
    # what was typed is still in the table to be fixed
    edited = at.session_state[at.data_editor[0].key]["edited_rows"]
    assert edited.get("1", edited.get(1)) == good


@pytest.mark.parametrize("username, advice", [("leader", "如需更正请联系社区管理员。"),
                                              ("staff", "如需更正请联系社区管理员。"),
                                              ("admin", "如需更正，请到“评比发布”页写明原因后更正。")])
def test_a_published_month_is_shown_read_only(app, portal_db, username, advice):
    leader = user(portal_db, "leader")
    month = scoring.recent_months()[-1]
    place = scalar(portal_db, "SELECT id FROM places WHERE code = '1-1'")
    if not scoring.score_sheet(portal_db, leader, month).published:
        publish_raw(portal_db, month, {place: 800})
    at = open_page(app, username, month)
    assert not at.data_editor
    assert at.dataframe[0].value["code"].iloc[0] == "1-1"
    assert f"{month_label(month)}的评比已公布，评分不能再修改。{advice}" in texts(at.success)
    assert any(c.startswith("已公布 · ") for c in texts(at.caption))
    assert not [b for b in at.button if b.label == "保存草稿"]


def test_headers_are_two_characters_while_they_stay_distinct():
    assert ui_scores.short_headers(["环境卫生", "楼道整洁", "车辆停放"]) == ["环境", "楼道", "车辆"]
    assert ui_scores.short_headers(["楼道整洁", "楼道照明"]) == ["楼道整洁", "楼道照明"]
    assert ui_scores.short_headers(["绿化"]) == ["绿化"]
