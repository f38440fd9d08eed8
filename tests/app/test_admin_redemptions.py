"""AppTest of 管理 › 兑换核销 (/admin-redemptions): staff hand over by code, typed or scanned."""
import io

import pytest
from PIL import Image

from lib.core.db import scalar
from lib.people.users import load_user
from lib.points import ledger
from lib.shop import catalogue, codes, redeem
from tests.app.conftest import login, texts


PAGE = "app_pages/admin/redemptions.py"


def open_desk(at):
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def waiting_rice(db, username: str = "resident") -> redeem.Redemption:
    user = load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))
    rice = scalar(db, "SELECT id FROM shop_items WHERE name = '大米 5kg'")
    return redeem.redeem(db, user, item_id=rice, key=f"test:{username}")


def rice_item(db) -> catalogue.Item:
    return catalogue.get(db, scalar(db, "SELECT id FROM shop_items WHERE name = '大米 5kg'"))


def stock(db) -> int:
    return scalar(db, "SELECT stock FROM shop_items WHERE name = '大米 5kg'")


def look_up(at, code: str):
    at.text_input(key="shop_desk_code").input(code)
    at.button(key="FormSubmitter:shop_desk_lookup-查找").click().run()
    assert not at.exception
    return at


def test_staff_fulfil_a_typed_code_and_the_list_and_stock_follow(app, portal_db):
    made = waiting_rice(portal_db)
    at = open_desk(login(app(), "staff"))
    assert made.pickup_code in at.dataframe[0].value["取件码"].tolist()
    look_up(at, f" {made.pickup_code.lower()[:3]} {made.pickup_code[3:]} ")
    card = " ".join(texts(at.markdown) + texts(at.text))
    assert "大米 5kg × 1** · 待领取" in card and "兑换人 居民 林阿姨 · 20 积分" in card
    at.button(key="shop_desk_fulfil").click().run()
    assert not at.exception
    assert at.success[0].value == "已发放：大米 5kg × 1，交给 居民 林阿姨。"
    assert redeem.get(portal_db, made.id).status == "fulfilled"
    assert stock(portal_db) == 29  # taken at redemption, not given back
    assert "已领取" in " ".join(texts(at.markdown))
    assert not at.dataframe  # nothing waits any more
    look_up(at, made.pickup_code)
    assert not [b for b in at.button if b.key == "shop_desk_fulfil"]  # not twice


def test_an_unknown_or_malformed_code_says_so_in_chinese(app, portal_db):
    at = open_desk(login(app(), "staff"))
    look_up(at, "ZZZZZZ")
    assert at.error[0].value == "没有找到取件码为 ZZZZZZ 的兑换，请核对。"
    look_up(at, "' OR 1=1 --")
    assert at.error[0].value.startswith("取件码：取件码是 6 位字母和数字")


def test_staff_scan_the_code_with_the_camera(app, portal_db):
    made = waiting_rice(portal_db)
    at = open_desk(login(app(), "staff"))
    at.toggle(key="shop_desk_scan").set_value(True).run()
    assert any("Take Photo" in c.value for c in at.caption)
    qr = Image.open(io.BytesIO(codes.pickup_qr_png(made.pickup_code)))
    photo = Image.new("RGB", (900, 1200), (70, 70, 70))
    photo.paste(qr.resize((420, 420)), (240, 380))
    shot = io.BytesIO()
    photo.save(shot, "JPEG", quality=75)
    at.camera_input(key="shop_desk_camera").set_value(("shot.jpg", shot.getvalue(), "image/jpeg"))
    at.run()
    assert not at.exception
    assert made.pickup_code in " ".join(texts(at.text))
    at.button(key="shop_desk_fulfil").click().run()
    assert redeem.get(portal_db, made.id).status == "fulfilled"


def test_a_photo_without_a_code_asks_for_another(app, portal_db):
    at = open_desk(login(app(), "staff"))
    at.toggle(key="shop_desk_scan").set_value(True).run()
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(blank, "JPEG")
    at.camera_input(key="shop_desk_camera").set_value(("shot.jpg", blank.getvalue(), "image/jpeg"))
    at.run()
    assert at.error[0].value.startswith("没有识别到取件码")


def test_staff_cancel_with_a_reason_and_the_points_and_stock_come_back(app, portal_db):
    made = waiting_rice(portal_db)
    resident = made.user_id
    before = ledger.balance(portal_db, resident)
    at = open_desk(login(app(), "staff"))
    look_up(at, made.pickup_code)
    at.button(key="shop_desk_cancel").click().run()
    assert at.error[0].value == "代为取消请填写原因。"
    assert redeem.get(portal_db, made.id).status == "waiting"
    at.text_input(key="shop_desk_reason").input("商品受潮")
    at.button(key="shop_desk_cancel").click().run()
    assert not at.exception
    assert at.success[0].value == "已取消，20 积分已退回 居民 林阿姨，库存已恢复。"
    assert ledger.balance(portal_db, resident) == before + 20 and stock(portal_db) == 30


def test_staff_redeem_for_a_resident_without_a_phone(app, portal_db):
    resident = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    before = ledger.balance(portal_db, resident)
    at = open_desk(login(app(), "staff"))
    staff = load_user(portal_db, scalar(portal_db, "SELECT id FROM users WHERE username = 'staff'"))
    at.text_input(key="shop_proxy_query").input("1-1 302").run()  # as staff ask on the phone
    assert at.selectbox(key="shop_proxy_holder").value.user_id == resident
    at.selectbox(key="shop_proxy_item").set_value(rice_item(portal_db))
    at.button(key="shop_proxy_go").click().run()
    assert not at.exception
    made = redeem.my_redemptions(portal_db, load_user(portal_db, resident))[0]
    assert (made.item_name, made.proxy_by) == ("大米 5kg", staff.id)
    assert ledger.balance(portal_db, resident) == before - 20
    assert f"取件码 {made.pickup_code}" in at.success[0].value
    assert [b for b in at.button if b.key == "shop_desk_fulfil"]  # ready to hand over


def test_staff_restock_and_a_short_count_needs_a_reason(app, portal_db):
    at = open_desk(login(app(), "staff"))
    at.selectbox(key="shop_stock_item").set_value(rice_item(portal_db))
    at.number_input(key="shop_stock_change").set_value(-2)
    at.button(key="FormSubmitter:shop_stock-保存库存").click().run()
    assert at.error[0].value == "说明：减少库存请说明原因（如破损、盘点短少）。"
    assert stock(portal_db) == 30
    at.number_input(key="shop_stock_change").set_value(12)
    at.button(key="FormSubmitter:shop_stock-保存库存").click().run()
    assert at.success[0].value == "已保存：大米 5kg 现有库存 42 件。" and stock(portal_db) == 42


@pytest.mark.parametrize("username", ["resident", "leader"])
def test_residents_and_leaders_are_refused(app, portal_db, username):
    made = waiting_rice(portal_db)
    at = open_desk(login(app(), username))
    assert "此页面仅限社区工作人员及以上使用" in at.error[0].value
    assert not at.text_input and made.pickup_code not in str(at)
