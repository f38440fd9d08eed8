"""An admin builds a new community's organisation from nothing."""
import json

import pytest

from lib.core.db import scalar
from lib.core.errors import PermissionDenied, ValidationError
from lib.people import org


def test_admin_sets_up_community_grid_and_microgrid_then_a_building(db, make_user):
    admin = make_user("admin")
    with pytest.raises(ValidationError):
        org.add_grid(db, admin, name="第一网格")  # the community comes first
    org.set_community(db, admin, name="新村小区", address="新村路1号")
    grid_id = org.add_grid(db, admin, name="第一网格")
    microgrid_id = org.add_microgrid(db, admin, grid_id=grid_id, name="第一微网格")
    place = org.add_place(db, admin, code="1-1", name="1栋1单元", kind="building",
                          microgrid_id=microgrid_id)
    assert org.community_name(db) == "新村小区"
    assert (place.grid_name, place.microgrid_name) == ("第一网格", "第一微网格")
    org.set_community(db, admin, name="新村社区")
    assert org.community_name(db) == "新村社区"
    assert scalar(db, "SELECT COUNT(*) FROM community") == 1
    second = org.add_grid(db, admin, name="第二网格")
    org.add_microgrid(db, admin, grid_id=second, name="第二微网格")
    assert org.list_grids(db) == [{"id": grid_id, "name": "第一网格"}, {"id": second, "name": "第二网格"}]
    assert [(m["name"], m["grid_name"]) for m in org.list_microgrids(db)] == [
        ("第一微网格", "第一网格"), ("第二微网格", "第二网格")]


def test_duplicates_blank_names_and_non_admins_are_refused(db, make_user):
    admin, staff = make_user("admin"), make_user("staff")
    with pytest.raises(PermissionDenied):
        org.set_community(db, staff, name="别的名字")
    org.set_community(db, admin, name="新村小区")
    grid_id = org.add_grid(db, admin, name="第一网格")
    with pytest.raises(ValidationError):
        org.add_grid(db, admin, name="第一网格")
    with pytest.raises(ValidationError):
        org.add_microgrid(db, admin, grid_id=grid_id, name="  ")
    with pytest.raises(ValidationError):
        org.add_microgrid(db, admin, grid_id=999, name="甲")
    assert scalar(db, "SELECT COUNT(*) FROM grids") == 1
    assert scalar(db, "SELECT COUNT(*) FROM microgrids") == 0


def test_grids_and_micro_grids_are_audited_and_a_taken_name_is_refused_by_field(db, make_user):
    admin = make_user("admin")
    org.set_community(db, admin, name="新村小区")
    grid_id = org.add_grid(db, admin, name="第一网格")
    microgrid_id = org.add_microgrid(db, admin, grid_id=grid_id, name="甲")
    other_grid = org.add_grid(db, admin, name="第二网格")
    assert org.add_microgrid(db, admin, grid_id=other_grid, name="甲")  # unique per grid only
    with pytest.raises(ValidationError) as caught:
        org.add_grid(db, admin, name="第一网格")
    assert caught.value.fields == {"grid": "该网格已存在。"}
    with pytest.raises(ValidationError) as caught:
        org.add_microgrid(db, admin, grid_id=grid_id, name="甲")
    assert caught.value.fields == {"microgrid": "该网格下已有同名微网格。"}
    rows = [(r["actor_id"], r["action"], r["target_type"], r["target_id"], json.loads(r["detail"]))
            for r in db.query("SELECT * FROM audit_log WHERE action LIKE '%grid.add' ORDER BY id")]
    assert rows[:2] == [(admin.id, "grid.add", "grid", str(grid_id), {"name": "第一网格"}),
                        (admin.id, "microgrid.add", "microgrid", str(microgrid_id), {"name": "甲"})]
    assert len(rows) == 4
