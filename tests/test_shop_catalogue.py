"""积分超市's catalogue: admins add and edit goods, staff change stock, all audited."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from lib.core import photos
from lib.core.db import scalar
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.shop import catalogue
from tests.test_shop import exactly


@pytest.fixture
def cast(make_user):
    return {role: make_user(role) for role in ("resident", "leader", "staff", "admin")}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 180, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def stored_files(data_dir) -> list[str]:
    folder = data_dir / photos.UPLOADS
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def last_audit(db) -> tuple[str, dict]:
    action, detail = db.execute(
        "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return action, json.loads(detail)


def test_an_admin_adds_an_item_with_a_photo_through_the_pipeline(db, cast, tmp_path):
    item = catalogue.add_item(db, cast["admin"], name="  大米 5kg ", price=20, stock=30,
                              monthly_limit=2, description=" 东北大米 ", sort=1, photo=jpeg(),
                              data_dir=tmp_path)
    assert (item.name, item.description, item.price, item.stock, item.monthly_limit,
            item.active, item.sort) == ("大米 5kg", "东北大米", 20, 30, 2, True, 1)
    assert item.in_stock
    assert stored_files(tmp_path) == [f"{item.photo}.jpg", f"{item.photo}.thumb.jpg"]
    assert catalogue.photos_in_use(db) == {item.photo}
    assert last_audit(db) == ("shop.item_add", {"name": "大米 5kg", "price": 20, "stock": 30})


@pytest.mark.parametrize("role", ["resident", "leader", "staff"])
def test_only_an_admin_adds_or_edits_items(db, cast, role):
    with pytest.raises(PermissionDenied):
        catalogue.add_item(db, cast[role], name="肥皂", price=2, stock=1)
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1)
    with pytest.raises(PermissionDenied):
        catalogue.edit_item(db, cast[role], item_id=item.id, name="香皂", price=1)
    assert catalogue.get(db, item.id) == item


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "请填写商品名称。"),
    ("name", "   ", "请填写商品名称。"),
    ("name", "米" * 31, "商品名称不能超过 30 个字。"),
    ("name", None, "请填写商品名称。"),
    ("description", "说" * 201, "商品说明不能超过 200 个字。"),
    ("price", 0, "所需积分应是 1 到 10000 的整数。"),
    ("price", -5, "所需积分应是 1 到 10000 的整数。"),
    ("price", 10_001, "所需积分应是 1 到 10000 的整数。"),
    ("price", "20", "所需积分应是 1 到 10000 的整数。"),
    ("price", 2.5, "所需积分应是 1 到 10000 的整数。"),
    ("price", True, "所需积分应是 1 到 10000 的整数。"),
    ("monthly_limit", -1, "每人每月限兑应是 0 到 100 的整数（0 表示不限）。"),
    ("monthly_limit", 101, "每人每月限兑应是 0 到 100 的整数（0 表示不限）。"),
    ("sort", -1, "排序应是 0 到 10000 的整数。"),
    ("sort", 10_001, "排序应是 0 到 10000 的整数。"),
    ("stock", -1, "库存应是 0 到 100000 的整数。"),
    ("stock", 100_001, "库存应是 0 到 100000 的整数。"),
    ("stock", "a", "库存应是 0 到 100000 的整数。"),
])
def test_bad_item_fields_are_refused_by_field_and_nothing_is_stored(db, cast, field, value,
                                                                    message):
    fields = dict(name="肥皂", price=2, stock=1, description="", monthly_limit=0, sort=0)
    fields[field] = value
    with pytest.raises(ValidationError) as caught:
        catalogue.add_item(db, cast["admin"], **fields)
    assert caught.value.fields == {field: message}
    assert scalar(db, "SELECT COUNT(*) FROM shop_items") == 0


def test_the_edges_of_each_range_are_accepted(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="米" * 30, price=10_000, stock=100_000,
                              description="说" * 200, monthly_limit=100, sort=10_000)
    low = catalogue.add_item(db, cast["admin"], name="皂", price=1, stock=0, monthly_limit=0)
    assert (item.price, item.stock, low.price, low.stock, low.in_stock) == (
        10_000, 100_000, 1, 0, False)


def test_a_bad_photo_stores_nothing(db, cast, tmp_path):
    with pytest.raises(PhotoRejected):
        catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1, photo=b"<svg/>",
                           data_dir=tmp_path)
    assert scalar(db, "SELECT COUNT(*) FROM shop_items") == 0 and stored_files(tmp_path) == []


def test_a_refused_add_removes_the_photo_it_stored(db, cast, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(catalogue.audit, "record", broken)
    with pytest.raises(RuntimeError):
        catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1, photo=jpeg(),
                           data_dir=tmp_path)
    assert stored_files(tmp_path) == [] and scalar(db, "SELECT COUNT(*) FROM shop_items") == 0


def test_an_edit_changes_details_not_stock_and_logs_the_old_values(db, cast, tmp_path):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7, photo=jpeg(),
                              data_dir=tmp_path)
    edited = catalogue.edit_item(db, cast["admin"], item_id=item.id, name="香皂", price=3,
                                 description="茉莉味", monthly_limit=1, active=False, sort=5)
    assert (edited.name, edited.price, edited.description, edited.monthly_limit, edited.active,
            edited.sort, edited.stock, edited.photo) == ("香皂", 3, "茉莉味", 1, False, 5, 7,
                                                         item.photo)
    assert last_audit(db) == ("shop.item_edit", {
        "name": "香皂", "old": {"name": "肥皂", "description": "", "price": 2,
                                "monthly_limit": 0, "active": True, "sort": 0}, "photo": ""})
    assert [i.id for i in catalogue.list_items(db)] == []
    assert [i.id for i in catalogue.list_items(db, include_inactive=True)] == [item.id]


def test_a_new_photo_replaces_the_old_files(db, cast, tmp_path):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7, photo=jpeg(),
                              data_dir=tmp_path)
    edited = catalogue.edit_item(db, cast["admin"], item_id=item.id, name="肥皂", price=2,
                                 photo=jpeg(), data_dir=tmp_path)
    assert edited.photo != item.photo
    assert stored_files(tmp_path) == [f"{edited.photo}.jpg", f"{edited.photo}.thumb.jpg"]
    assert last_audit(db)[1]["photo"] == "新照片"


def test_a_refused_edit_keeps_the_old_photo_and_drops_the_new(db, cast, tmp_path):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7, photo=jpeg(),
                              data_dir=tmp_path)
    with pytest.raises(NotFound):
        catalogue.edit_item(db, cast["admin"], item_id=999, name="肥皂", price=2, photo=jpeg(),
                            data_dir=tmp_path)
    with pytest.raises(ValidationError):
        catalogue.edit_item(db, cast["admin"], item_id=item.id, name="", price=2, photo=jpeg(),
                            data_dir=tmp_path)
    assert stored_files(tmp_path) == [f"{item.photo}.jpg", f"{item.photo}.thumb.jpg"]


def test_a_description_that_is_not_text_is_stored_as_none(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1, description=None)
    assert item.description == ""


def test_a_photo_needs_a_data_directory(db, cast):
    message = "a photo needs the data directory to be stored in"
    with pytest.raises(ValueError, match=exactly(message)):
        catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1, photo=jpeg())


def test_the_shop_lists_active_items_in_order(db, cast):
    admin = cast["admin"]
    oil = catalogue.add_item(db, admin, name="食用油", price=15, stock=1, sort=2)
    rice = catalogue.add_item(db, admin, name="大米", price=20, stock=1, sort=1)
    soap = catalogue.add_item(db, admin, name="肥皂", price=2, stock=1, sort=1)
    hidden = catalogue.add_item(db, admin, name="旧货", price=2, stock=1, active=False)
    assert [i.id for i in catalogue.list_items(db)] == [rice.id, soap.id, oil.id]
    assert [i.id for i in catalogue.list_items(db, include_inactive=True)] == [
        hidden.id, rice.id, soap.id, oil.id]


@pytest.mark.parametrize("item_id", [0, 999, "1", None, True, 1.0])
def test_an_unknown_item_is_not_found(db, cast, item_id):
    catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1)
    with pytest.raises(NotFound, match=exactly("找不到该商品，可能已被删除。")):
        catalogue.get(db, item_id)


# --- stock -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_restock_and_it_is_audited(db, cast, role):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=3)
    assert catalogue.change_stock(db, cast[role], item_id=item.id, change=10).stock == 13
    assert last_audit(db) == ("shop.stock", {"name": "大米", "change": 10, "stock": 13,
                                             "reason": ""})
    assert catalogue.change_stock(db, cast[role], item_id=item.id, change=-13,
                                  reason="盘点短少").stock == 0


@pytest.mark.parametrize("role", ["resident", "leader"])
def test_residents_and_leaders_cannot_touch_stock(db, cast, role):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=3)
    with pytest.raises(PermissionDenied):
        catalogue.change_stock(db, cast[role], item_id=item.id, change=5)
    assert catalogue.get(db, item.id).stock == 3


@pytest.mark.parametrize("change, reason, field", [
    (0, "", "change"), ("5", "", "change"), (True, "", "change"), (1.5, "", "change"),
    (100_001, "", "change"), (-100_001, "x", "change"), (-4, "破损", "change"),
    (-1, "", "reason"), (-1, "   ", "reason"), (1, "长" * 101, "reason"),
])
def test_a_bad_stock_change_is_refused_and_stock_stays(db, cast, change, reason, field):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=3)
    with pytest.raises(ValidationError) as caught:
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=change, reason=reason)
    assert list(caught.value.fields) == [field]
    assert catalogue.get(db, item.id).stock == 3


def test_stock_cannot_pass_the_maximum(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=100_000)
    with pytest.raises(ValidationError, match=exactly("库存不能超过 100000 件。")):
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=1)
    assert catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-3,
                                  reason="破损").stock == 99_997


def test_removing_exactly_the_stock_is_allowed_but_one_more_is_not(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=3)
    with pytest.raises(ValidationError, match=exactly("库存只有 3 件，不能减少 4 件。")):
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-4, reason="x")
    assert catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-3,
                                  reason="x").stock == 0


def test_a_reason_that_is_not_text_counts_as_none(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=0)
    assert catalogue.change_stock(db, cast["staff"], item_id=item.id, change=100_000,
                                  reason=None).stock == 100_000
    assert last_audit(db)[1]["reason"] == ""
    with pytest.raises(ValidationError) as caught:
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-1, reason=None)
    assert list(caught.value.fields) == ["reason"]


def audit_target(db) -> tuple:
    return db.execute("SELECT actor_id, target_type, target_id FROM audit_log"
                      " ORDER BY id DESC LIMIT 1").fetchone()


def test_each_change_names_who_and_which_item(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7)
    assert audit_target(db) == (cast["admin"].id, "shop_item", str(item.id))
    catalogue.edit_item(db, cast["admin"], item_id=item.id, name="肥皂", price=3)
    assert audit_target(db) == (cast["admin"].id, "shop_item", str(item.id))
    assert last_audit(db) == ("shop.item_edit", {"name": "肥皂", "old": {"price": 2}, "photo": ""})
    catalogue.change_stock(db, cast["staff"], item_id=item.id, change=1)
    assert audit_target(db) == (cast["staff"].id, "shop_item", str(item.id))


def test_an_edit_with_only_the_required_fields_resets_the_rest_to_their_defaults(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7, description="旧",
                              monthly_limit=3, active=False, sort=4)
    edited = catalogue.edit_item(db, cast["admin"], item_id=item.id, name="肥皂", price=2)
    assert (edited.description, edited.monthly_limit, edited.active, edited.sort) == (
        "", 0, True, 0)


def test_an_edit_without_a_new_photo_keeps_the_old_files(db, cast, tmp_path):
    item = catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=7, photo=jpeg(),
                              data_dir=tmp_path)
    edited = catalogue.edit_item(db, cast["admin"], item_id=item.id, name="香皂", price=2,
                                 data_dir=tmp_path)
    assert edited.photo == item.photo
    assert stored_files(tmp_path) == [f"{item.photo}.jpg", f"{item.photo}.thumb.jpg"]


def test_a_failed_add_without_a_photo_raises_its_own_error(db, cast, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(catalogue.audit, "record", broken)
    with pytest.raises(RuntimeError):
        catalogue.add_item(db, cast["admin"], name="肥皂", price=2, stock=1, data_dir=tmp_path)


def test_stock_reasons_are_whole_messages_and_100_characters_is_the_most(db, cast):
    item = catalogue.add_item(db, cast["admin"], name="大米", price=20, stock=3)
    assert catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-1,
                                  reason="损" * 100).stock == 2
    with pytest.raises(ValidationError) as caught:
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=-1, reason="")
    assert caught.value.fields == {"reason": "减少库存请说明原因（如破损、盘点短少）。"}
    with pytest.raises(ValidationError) as caught:
        catalogue.change_stock(db, cast["staff"], item_id=item.id, change=1, reason="损" * 101)
    assert caught.value.fields == {"reason": "说明不能超过 100 个字。"}
    full = catalogue.add_item(db, cast["admin"], name="米", price=20, stock=99_999)
    with pytest.raises(ValidationError) as caught:
        catalogue.change_stock(db, cast["staff"], item_id=full.id, change=2)
    assert caught.value.fields == {"change": "库存不能超过 100000 件。"}
