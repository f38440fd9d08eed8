"""AppTest of 管理 › 积分商品 (/admin-shop): admins add and edit goods; lower roles are refused."""
import io

import pytest
from PIL import Image

from lib.core.db import scalar
from lib.shop import catalogue
from tests.app.conftest import login


PAGE = "app_pages/admin/shop.py"


def open_items(at):
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_admin_adds_a_good_with_a_photo(app, portal_db):
    at = open_items(login(app(), "admin"))
    at.text_input(key="shop_item_new_name").input("酱油 500ml")
    at.number_input(key="shop_item_new_price").set_value(6)
    at.number_input(key="shop_item_new_stock").set_value(24)
    at.number_input(key="shop_item_new_limit").set_value(2)
    at.file_uploader(key="shop_item_new_photo").set_value(("soy.jpg", jpeg(), "image/jpeg"))
    at.button(key="FormSubmitter:shop_item_new-添加商品").click().run()
    assert not at.exception
    assert at.success[0].value == "已添加：酱油 500ml。"
    item = next(i for i in catalogue.list_items(portal_db) if i.name == "酱油 500ml")
    assert (item.price, item.stock, item.monthly_limit, item.active) == (6, 24, 2, True)
    assert item.photo and at.text_input(key="shop_item_new_name").value == ""


def test_a_refused_add_keeps_what_was_typed_and_stores_nothing(app, portal_db):
    at = open_items(login(app(), "admin"))
    count = scalar(portal_db, "SELECT COUNT(*) FROM shop_items")
    at.text_input(key="shop_item_new_name").input("   ")
    at.text_area(key="shop_item_new_description").input("说明还在")
    at.button(key="FormSubmitter:shop_item_new-添加商品").click().run()
    assert at.error[0].value == "商品名称：请填写商品名称。"
    assert at.text_area(key="shop_item_new_description").value == "说明还在"
    at.file_uploader(key="shop_item_new_photo").set_value(("x.jpg", b"<svg/>", "image/jpeg"))
    at.text_input(key="shop_item_new_name").input("酱油")
    at.button(key="FormSubmitter:shop_item_new-添加商品").click().run()
    assert at.error[0].value.startswith("照片：文件不是照片")
    assert scalar(portal_db, "SELECT COUNT(*) FROM shop_items") == count


def test_an_admin_takes_a_good_off_the_shelf_and_residents_no_longer_see_it(app, portal_db):
    rice = scalar(portal_db, "SELECT id FROM shop_items WHERE name = '大米 5kg'")
    at = open_items(login(app(), "admin"))
    at.selectbox(key="shop_item_pick").set_value(rice).run()
    at.number_input(key=f"shop_item_{rice}_price").set_value(25)
    at.checkbox(key=f"shop_item_{rice}_active").uncheck()
    at.button(key=f"FormSubmitter:shop_item_{rice}-保存修改").click().run()
    assert not at.exception and at.success[0].value == "已保存：大米 5kg。"
    item = catalogue.get(portal_db, rice)
    assert (item.price, item.active, item.stock) == (25, False, 30)
    assert rice not in [i.id for i in catalogue.list_items(portal_db)]
    assert scalar(portal_db, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == \
        "shop.item_edit"


def edit_forms(at) -> list[str]:
    return [b.key for b in at.button
            if (b.key or "").startswith("FormSubmitter:shop_item_") and "new" not in b.key]


def test_the_goods_are_one_table_and_one_form_edits_the_chosen_good(app, portal_db):
    goods = catalogue.list_items(portal_db, include_inactive=True)
    oil = next(i for i in goods if i.name != "大米 5kg")
    at = open_items(login(app(), "admin"))
    assert list(at.dataframe[0].value["商品"]) == [i.name for i in goods]
    assert edit_forms(at) == []  # no form per good: only the chosen one gets a form
    at.selectbox(key="shop_item_pick").set_value(oil.id).run()
    assert edit_forms(at) == [f"FormSubmitter:shop_item_{oil.id}-保存修改"]
    assert at.text_input(key=f"shop_item_{oil.id}_name").value == oil.name
    at.text_input(key=f"shop_item_{oil.id}_name").input("花生油 2L")
    at.number_input(key=f"shop_item_{oil.id}_limit").set_value(3)
    at.button(key=f"FormSubmitter:shop_item_{oil.id}-保存修改").click().run()
    assert not at.exception and at.success[0].value == "已保存：花生油 2L。"
    item = catalogue.get(portal_db, oil.id)
    assert (item.name, item.monthly_limit, item.price, item.stock) == (
        "花生油 2L", 3, oil.price, oil.stock)
    assert "花生油 2L" in list(at.dataframe[0].value["商品"])
    assert edit_forms(at) == [f"FormSubmitter:shop_item_{oil.id}-保存修改"]


@pytest.mark.parametrize("username", ["resident", "leader", "staff"])
def test_lower_roles_are_refused_the_catalogue(app, portal_db, username):
    at = open_items(login(app(), username))
    assert "此页面仅限社区管理员及以上使用" in at.error[0].value
    assert not at.text_input and not [b for b in at.button if "shop_item" in (b.key or "")]
