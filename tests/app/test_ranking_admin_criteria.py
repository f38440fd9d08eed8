"""AppTest of 管理 › 评比标准 (/admin-ranking-criteria): admins only; weights add up to 100."""
from __future__ import annotations

import pytest

from lib.ranking import criteria, ui_criteria
from tests.app.conftest import open_as, texts


PAGE = "app_pages/admin/ranking_criteria.py"


def open_page(app, username: str | None):
    return open_as(app, PAGE, username)


def state(db):
    return [(c.name, c.weight, c.active) for c in criteria.list_criteria(db)]


def edit(at, edited_rows: dict, added_rows: list | None = None, deleted_rows: list | None = None):
    editor = at.data_editor[0]
    at.session_state[editor.key] = {"edited_rows": edited_rows, "added_rows": added_rows or [],
                                    "deleted_rows": deleted_rows or []}
    at.run()
    assert not at.exception
    return at


def save(at):
    at.button(key="ranking_criteria_save").click().run()
    assert not at.exception
    return at


def test_a_guest_is_offered_login(app):
    assert "此页面需要登录后使用。" in texts(open_page(app, None).info)


@pytest.mark.parametrize("username, role", [("resident", "居民"), ("leader", "微网格长"),
                                            ("staff", "社区工作人员")])
def test_below_admin_cannot_open_the_criteria(app, username, role):
    at = open_page(app, username)
    assert f"此页面仅限社区管理员及以上使用，您当前的身份是{role}。" in texts(at.error)
    assert not at.data_editor and not at.toggle


def test_the_admin_sees_the_default_weights_adding_up_to_100(app):
    at = open_page(app, "admin")
    table = at.data_editor[0].value
    assert list(table["name"]) == ["环境卫生", "楼道整洁", "车辆停放", "邻里和睦", "参与度"]
    assert list(table["weight"]) == [25, 20, 15, 10, 30]
    assert "权重合计：100 ✓" in texts(at.caption)
    assert at.toggle[0].value is False


def test_the_admin_reweights_adds_and_deactivates_a_criterion(app, portal_db):
    at = open_page(app, "admin")
    edit(at, {0: {"weight": 30}, 3: {"active": False}}, [{"name": "绿化养护", "weight": 5}])
    assert "权重合计：100 ✓" in texts(at.caption)
    save(at)
    assert "评比标准已保存，尚未公布的月份按新权重计算。" in texts(at.success)
    assert state(portal_db) == [("环境卫生", 30, True), ("楼道整洁", 20, True), ("车辆停放", 15, True),
                                ("邻里和睦", 10, False), ("参与度", 30, True), ("绿化养护", 5, True)]
    assert list(at.data_editor[0].value["name"])[-1] == "绿化养护"


def test_weights_not_adding_up_to_100_are_refused_and_nothing_changes(app, portal_db):
    before = state(portal_db)
    at = open_page(app, "admin")
    edit(at, {0: {"weight": 40}})
    assert "权重合计：115，须为 100。" in texts(at.warning)
    save(at)
    assert "启用的各项权重（含参与度）合计应为 100，现在是 115。" in texts(at.error)
    assert not at.success and state(portal_db) == before


def test_a_deleted_row_is_refused_and_nothing_changes(app, portal_db):
    before = state(portal_db)
    at = open_page(app, "admin")
    edit(at, {0: {"weight": 35}}, deleted_rows=[3])
    save(at)
    assert "评比标准不能删除（往月评分要用到），请取消“启用”来停用。" in texts(at.error)
    assert state(portal_db) == before


def test_the_admin_lets_leaders_score_all_buildings(app, portal_db):
    at = open_page(app, "admin")
    at.toggle(key=ui_criteria.SWITCH_KEY).set_value(True).run()
    assert "已保存：微网格长现在可给所有楼栋评分。" in texts(at.success)
    assert criteria.leaders_score_all(portal_db) is True
    at.toggle(key=ui_criteria.SWITCH_KEY).set_value(False).run()
    assert "已保存：微网格长只给本微网格的楼栋评分。" in texts(at.success)
    assert criteria.leaders_score_all(portal_db) is False
