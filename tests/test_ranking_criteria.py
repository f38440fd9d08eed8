"""星级楼栋 criteria: names and weights (adding up to 100), deactivation, and the leaders-score-all switch."""
from __future__ import annotations

import json

import pytest

from lib.core import audit
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.ranking import criteria
from tests.volunteer_helpers import make_cast


DEFAULT = [("环境卫生", "stars", 25), ("楼道整洁", "stars", 20), ("车辆停放", "stars", 15),
           ("邻里和睦", "stars", 10), ("参与度", "participation", 30)]


@pytest.fixture
def cast(db):
    return make_cast(db)


def state(db):
    return [(c.name, c.kind, c.weight, c.active) for c in criteria.list_criteria(db)]


def rows_of(db, **changes):
    """The current list as the admin page sends it, with {name: {field: value}} changes."""
    rows = [{"id": c.id, "name": c.name, "weight": c.weight, "active": c.active}
            for c in criteria.list_criteria(db)]
    for row in rows:
        row.update(changes.get(row["name"], {}))
    return rows


def test_the_defaults_add_up_to_100_with_participation_last(db):
    assert [(n, k, w) for n, k, w, _ in state(db)] == DEFAULT
    assert [c.name for c in criteria.star_criteria(db)] == ["环境卫生", "楼道整洁", "车辆停放", "邻里和睦"]
    participation = criteria.list_criteria(db)[-1]
    assert participation.is_participation and not criteria.list_criteria(db)[0].is_participation


def test_admin_changes_weights_and_renames_and_it_is_audited(db, cast):
    rows = rows_of(db, 环境卫生={"weight": 30, "name": "卫生"}, 参与度={"weight": 25})
    saved = criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert [(c.name, c.weight) for c in saved][:1] == [("卫生", 30)]
    assert criteria.list_criteria(db)[-1].weight == 25
    entry = audit.recent(db, action="ranking.criteria")[0]
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        cast[ADMIN].id, "ranking_criteria", "")
    assert json.loads(entry["detail"]) == {
        "old": "环境卫生 25、楼道整洁 20、车辆停放 15、邻里和睦 10、参与度 30",
        "new": "卫生 30、楼道整洁 20、车辆停放 15、邻里和睦 10、参与度 25"}


def test_admin_adds_a_criterion_and_deactivates_another(db, cast):
    rows = rows_of(db, 邻里和睦={"active": False}) + [{"id": None, "name": "绿化养护", "weight": 10}]
    criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert [c.name for c in criteria.star_criteria(db)] == ["环境卫生", "楼道整洁", "车辆停放", "绿化养护"]
    assert ("邻里和睦", "stars", 10, False) in state(db)
    assert json.loads(audit.recent(db, action="ranking.criteria")[0]["detail"])["new"] == \
        "环境卫生 25、楼道整洁 20、车辆停放 15、参与度 30、绿化养护 10"  # the inactive one left out
    # the inactive one is kept (past stars point at it) and can come back
    rows = rows_of(db, 邻里和睦={"active": True}, 绿化养护={"active": False})
    criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert [c.name for c in criteria.star_criteria(db)][-1] == "邻里和睦"


def test_two_criteria_may_swap_names(db, cast):
    rows = rows_of(db, 环境卫生={"name": "楼道整洁"}, 楼道整洁={"name": "环境卫生"})
    criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert [n for n, *_ in state(db)][:2] == ["楼道整洁", "环境卫生"]
    assert [w for _, _, w, _ in state(db)][:2] == [25, 20]


def test_saving_an_unchanged_list_writes_nothing(db, cast):
    criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db))
    assert audit.recent(db, action="ranking.criteria") == []


def test_weights_may_come_as_a_table_cell_gives_them(db, cast):
    rows = rows_of(db, 环境卫生={"weight": 35.0}, 参与度={"weight": "２０"})
    criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert [w for _, _, w, _ in state(db)] == [35, 20, 15, 10, 20]


@pytest.mark.parametrize("role", ["guest", "in", LEADER, STAFF])
def test_below_admin_may_not_change_criteria_or_the_switch(db, cast, role):
    before = state(db)
    with pytest.raises(PermissionDenied):
        criteria.save_criteria(db, cast[role], rows=rows_of(db, 环境卫生={"weight": 30},
                                                             参与度={"weight": 25}))
    with pytest.raises(PermissionDenied):
        criteria.set_leaders_score_all(db, cast[role], on=True)
    assert state(db) == before
    assert criteria.leaders_score_all(db) is False
    assert audit.recent(db, action="ranking.criteria") == []


@pytest.mark.parametrize("changes, message", [
    ({"环境卫生": {"weight": 30}}, "合计应为 100，现在是 105"),
    ({"环境卫生": {"weight": 2.5}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": "二十五"}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": "abc"}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"name": "", "weight": 2.5}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": -5}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": 101}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": True}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"weight": None}}, "环境卫生的权重应为 0-100 的整数"),
    ({"环境卫生": {"name": "  "}}, "请填写标准名称"),
    ({"环境卫生": {"name": None}}, "请填写标准名称"),
    ({"环境卫生": {"name": "楼道整洁"}}, "名称不能重复"),
    ({"环境卫生": {"name": "这是一个非常长的标准名称"}}, "名称最多8个字"),
    ({"参与度": {"active": False, "weight": 0}, "环境卫生": {"weight": 55}}, "参与度不能停用"),
    ({"环境卫生": {"active": False}, "楼道整洁": {"active": False}, "车辆停放": {"active": False},
      "邻里和睦": {"active": False}, "参与度": {"weight": 100}}, "至少要保留一项打星的标准"),
])
def test_bad_criteria_are_refused_in_chinese_and_nothing_changes(db, cast, changes, message):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, **changes))
    assert message in str(refused.value)
    assert state(db) == before
    assert audit.recent(db, action="ranking.criteria") == []


def test_a_new_criterion_may_not_take_an_inactive_ones_name(db, cast):
    criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 邻里和睦={"active": False},
                                                         环境卫生={"weight": 35}))
    before = state(db)
    with pytest.raises(ValidationError, match="名称不能重复"):
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db) + [
            {"id": None, "name": "邻里和睦", "weight": 0}])
    assert state(db) == before


def test_at_most_six_star_criteria_fit_the_phone_table(db, cast):
    extra = [{"id": None, "name": f"标准{n}", "weight": 0} for n in range(3)]
    before = state(db)
    with pytest.raises(ValidationError, match="最多6项"):
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db) + extra)
    assert state(db) == before
    criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db) + extra[:2])
    assert len(criteria.star_criteria(db)) == 6


def test_a_list_changed_meanwhile_is_refused(db, cast):
    stale = rows_of(db)
    before = state(db)
    with pytest.raises(ValidationError, match="已被他人修改"):
        criteria.save_criteria(db, cast[ADMIN], rows=stale[1:])  # a criterion missing
    with pytest.raises(ValidationError, match="已被他人修改"):
        criteria.save_criteria(db, cast[ADMIN], rows=stale + [dict(stale[0])])  # one twice
    with pytest.raises(ValidationError, match="已被他人修改"):
        criteria.save_criteria(db, cast[ADMIN], rows=stale[:-1] + [dict(stale[-1], id=99)])
    with pytest.raises(ValidationError, match="格式不对"):
        criteria.save_criteria(db, cast[ADMIN], rows="环境卫生")
    assert state(db) == before


def test_the_switch_lets_leaders_score_all_buildings_and_is_audited(db, cast):
    assert criteria.leaders_score_all(db) is False
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)
    assert criteria.leaders_score_all(db) is True
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)  # no change, no second entry
    entries = audit.recent(db, action="ranking.leaders_score_all")
    assert [(e["actor_id"], e["target_type"], e["target_id"], json.loads(e["detail"]))
            for e in entries] == [(cast[ADMIN].id, "ranking_criteria", "",
                                   {"old": "本微网格", "new": "所有楼栋"})]
    criteria.set_leaders_score_all(db, cast[ADMIN], on=False)
    assert criteria.leaders_score_all(db) is False
    assert db.execute("SELECT value FROM settings WHERE key = 'ranking.leaders_score_all'"
                      ).fetchone() == ("0",)
    with pytest.raises(ValidationError):
        criteria.set_leaders_score_all(db, cast[ADMIN], on="yes")
    assert criteria.leaders_score_all(db) is False


def test_messages_name_the_row_and_are_keyed_by_field(db, cast):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db) + [{"id": None, "name": " ",
                                                                     "weight": "x"}])
    assert refused.value.fields == {"name6": "第6行：请填写标准名称。",
                                    "weight6": "第6行的权重应为 0-100 的整数。"}
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 参与度={"active": False}))
    assert refused.value.fields == {"participation": "参与度不能停用；不想计入时请把它的权重设为 0。"}
    rows = rows_of(db)  # a row twice, and a bad row after it: both are named
    rows = rows[:1] + [dict(rows[0])] + [dict(rows[1], name="")] + rows[2:]
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows)
    assert refused.value.fields == {"_": "评比标准已被他人修改，请刷新页面后重试。",
                                    "name3": "第3行：请填写标准名称。"}
    for stale in (rows_of(db)[1:], rows_of(db)[:-1] + [dict(rows_of(db)[-1], id=[5])]):
        with pytest.raises(ValidationError) as refused:
            criteria.save_criteria(db, cast[ADMIN], rows=stale)
        assert refused.value.fields == {"_": "评比标准已被他人修改，请刷新页面后重试。"}
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 环境卫生={"weight": 0}))
    assert refused.value.fields == {"weight": "启用的各项权重（含参与度）合计应为 100，现在是 75。"}
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 环境卫生={"active": False},
                                                             楼道整洁={"active": False},
                                                             车辆停放={"active": False},
                                                             邻里和睦={"active": False},
                                                             参与度={"weight": 100}))
    assert refused.value.fields == {"_": "至少要保留一项打星的标准。"}
    with pytest.raises(ValidationError) as refused:
        criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db) + [
            {"id": None, "name": f"标准{n}", "weight": 0} for n in range(3)])
    assert refused.value.fields == {"_": "启用的打星标准最多6项，手机上的评分表才放得下。"}
    for rows in ("环境卫生", [["环境卫生", 25]], [*rows_of(db), 5]):
        with pytest.raises(ValidationError) as refused:
            criteria.save_criteria(db, cast[ADMIN], rows=rows)
        assert refused.value.fields == {"_": "评比标准的格式不对。"}
    with pytest.raises(ValidationError) as refused:
        criteria.set_leaders_score_all(db, cast[ADMIN], on=1)
    assert refused.value.fields == {"leaders_score_all": "请选择开或关。"}
    assert state(db) == before


def test_a_save_notes_who_and_when_and_puts_a_new_criterion_last(db, cast):
    criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 环境卫生={"weight": 15}) + [
        {"id": None, "name": "绿化", "weight": 10}])
    rows = db.execute("SELECT name, position, updated_by, updated_at IS NOT NULL"
                      " FROM ranking_criteria ORDER BY id").fetchall()
    assert rows[0] == ("环境卫生", 1, cast[ADMIN].id, 1)
    assert rows[1] == ("楼道整洁", 2, None, 0)  # unchanged rows keep their stamp
    assert rows[-1] == ("绿化", 6, cast[ADMIN].id, 1)


def test_a_name_of_eight_characters_fits(db, cast):
    criteria.save_criteria(db, cast[ADMIN], rows=rows_of(db, 环境卫生={"name": "环境卫生楼道整洁"}))
    assert state(db)[0][0] == "环境卫生楼道整洁"
