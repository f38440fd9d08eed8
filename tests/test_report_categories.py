"""Admins adapt the 随手拍 categories; filing offers only the active ones."""
import pytest

from lib.core.errors import PermissionDenied, ValidationError
from lib.reports import categories, workflow


def names(db):
    return [c["name"] for c in workflow.categories(db)]


def test_default_categories_end_with_other(db):
    assert names(db)[:2] == ["环境卫生", "楼道堆物"] and names(db)[-1] == "其他"


def test_admin_adds_renames_and_retires_a_category(db, make_user):
    admin = make_user("admin")
    new_id = categories.add_category(db, admin, name="高空抛物")
    assert names(db)[-2:] == ["高空抛物", "其他"]
    categories.rename_category(db, admin, category_id=new_id, name="高空坠物")
    categories.set_category_active(db, admin, category_id=new_id, active=False)
    assert "高空坠物" not in names(db)
    assert "高空坠物" in [c["name"] for c in categories.all_categories(db)]


def test_duplicates_blanks_and_non_admins_are_refused(db, make_user):
    with pytest.raises(PermissionDenied):
        categories.add_category(db, make_user("staff"), name="电梯故障")
    admin = make_user("admin")
    for bad in ("", "其他", "太" * 13):
        with pytest.raises(ValidationError):
            categories.add_category(db, admin, name=bad)
    assert len(names(db)) == 9


def test_the_last_active_category_cannot_be_retired(db, make_user):
    admin = make_user("admin")
    ids = [c["id"] for c in categories.all_categories(db)]
    for category_id in ids[:-1]:
        categories.set_category_active(db, admin, category_id=category_id, active=False)
    with pytest.raises(ValidationError):
        categories.set_category_active(db, admin, category_id=ids[-1], active=False)
    assert names(db) == ["其他"]
