"""AppTest of 积分超市 (/shop): guests browse, a resident redeems through the confirmation step."""
from lib.core.db import scalar
from lib.points import ledger
from tests.app.conftest import login, texts


def open_shop(at):
    at.switch_page("app_pages/shop.py").run()
    assert not at.exception
    return at


def rice_id(db) -> int:
    return scalar(db, "SELECT id FROM shop_items WHERE name = '大米 5kg'")


def test_a_guest_browses_the_goods_and_is_offered_to_log_in(app):
    at = app()
    at.run()
    open_shop(at)
    shown = " ".join(texts(at.markdown) + texts(at.text))
    assert "大米 5kg" in shown and "20 积分 · 剩 30 件 · 每人每月限 2 件" in shown
    assert "鸡蛋（一板 30 枚）" in shown and "12 积分 · 已兑完 · 每人每月限 1 件" in shown
    assert not [b for b in at.button if b.key and b.key.startswith("shop_redeem_")]
    assert "登录后可以用积分兑换商品" in at.info[0].value
    at.button(key="shop_login").click().run()
    assert not at.exception
    assert at.session_state["after_login"] == "shop"
    assert "用户名" in [t.label for t in at.text_input]


def test_a_resident_redeems_rice_with_a_confirmation_and_sees_the_code(app, portal_db):
    at = login(app(), "resident")
    open_shop(at)
    resident = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    before = ledger.balance(portal_db, resident)
    rice = rice_id(portal_db)
    assert at.metric[0].value == str(before)
    at.button(key=f"shop_redeem_{rice}").click().run()
    assert not at.exception
    assert at.subheader[0].value == "确认兑换"
    assert f"需要 20 积分，您现有 {before} 积分。" in texts(at.text)
    assert any(f"兑换后剩 **{before - 20}** 积分" in m.value for m in at.markdown)
    # nothing is spent until 确认兑换
    assert scalar(portal_db, "SELECT COUNT(*) FROM shop_redemptions") == 0
    at.button(key="shop_confirm").click().run()
    assert not at.exception
    code = scalar(portal_db, "SELECT pickup_code FROM shop_redemptions WHERE user_id = ?",
                  (resident,))
    assert at.metric[0].label == "取件码" and at.metric[0].value == code
    assert "兑换成功" in at.success[0].value
    assert ledger.balance(portal_db, resident) == before - 20
    assert scalar(portal_db, "SELECT stock FROM shop_items WHERE id = ?", (rice,)) == 29
    at.button(key="shop_done_back").click().run()
    assert f"待领取：大米 5kg × 1，取件码 **{code}**" in at.info[0].value
    assert any("大米 5kg × 1** · 待领取" in m.value for m in at.markdown)
    assert any(f"取件码 {code}" in c.value for c in at.caption)


def test_going_back_from_the_confirmation_spends_nothing(app, portal_db):
    at = login(app(), "resident")
    open_shop(at)
    at.button(key=f"shop_redeem_{rice_id(portal_db)}").click().run()
    at.button(key="shop_back").click().run()
    assert not at.exception and not at.subheader[0].value == "确认兑换"
    assert scalar(portal_db, "SELECT COUNT(*) FROM shop_redemptions") == 0


def test_past_the_balance_the_confirmation_refuses_in_chinese(app, portal_db):
    at = login(app(), "newcomer")  # registered, not yet earned anything
    open_shop(at)
    newcomer = scalar(portal_db, "SELECT id FROM users WHERE username = 'newcomer'")
    has = ledger.balance(portal_db, newcomer)
    assert has < 20
    at.button(key=f"shop_redeem_{rice_id(portal_db)}").click().run()
    assert f"您的积分还差 {20 - has} 积分。" in at.warning[0].value
    at.button(key="shop_confirm").click().run()
    assert not at.exception
    assert at.error[0].value == f"积分不足：兑换需要 20 积分，您现有 {has} 积分。"
    assert scalar(portal_db, "SELECT COUNT(*) FROM shop_redemptions") == 0
    assert scalar(portal_db, "SELECT stock FROM shop_items WHERE name = '大米 5kg'") == 30
    assert ledger.balance(portal_db, newcomer) == has


def test_two_bags_cost_forty_and_the_monthly_limit_stops_a_third(app, portal_db):
    at = login(app(), "resident")
    open_shop(at)
    rice = rice_id(portal_db)
    at.button(key=f"shop_redeem_{rice}").click().run()
    at.number_input(key="shop_quantity").set_value(2).run()
    assert "需要 40 积分" in " ".join(texts(at.text))
    at.button(key="shop_confirm").click().run()
    at.button(key="shop_done_back").click().run()
    at.button(key=f"shop_redeem_{rice}").click().run()
    at.button(key="shop_confirm").click().run()
    assert at.error[0].value == "“大米 5kg”每人每月限兑 2 件，您本月已兑 2 件。"
    assert scalar(portal_db, "SELECT SUM(quantity) FROM shop_redemptions") == 2


def test_a_resident_cancels_a_waiting_redemption_and_gets_the_points_back(app, portal_db):
    at = login(app(), "resident")
    open_shop(at)
    resident = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    before = ledger.balance(portal_db, resident)
    at.button(key=f"shop_redeem_{rice_id(portal_db)}").click().run()
    at.button(key="shop_confirm").click().run()
    at.button(key="shop_done_back").click().run()
    made = scalar(portal_db, "SELECT id FROM shop_redemptions")
    at.button(key=f"shop_cancel_{made}").click().run()
    assert not at.exception
    assert at.success[0].value == "已取消兑换，20 积分已退回。"
    assert ledger.balance(portal_db, resident) == before
    assert scalar(portal_db, "SELECT status FROM shop_redemptions") == "cancelled"
    assert at.metric[0].value == str(before)


def test_markdown_in_a_good_or_a_name_stays_text(app, portal_db):
    from tests.app.test_admin_page import HOSTILE, all_markdown

    portal_db.execute("UPDATE shop_items SET name = ?, description = ? WHERE name = '大米 5kg'",
                      (HOSTILE, HOSTILE))
    portal_db.conn.commit()
    at = login(app(), "resident")
    open_shop(at)
    rice = scalar(portal_db, "SELECT id FROM shop_items WHERE name = ?", (HOSTILE,))
    at.button(key=f"shop_redeem_{rice}").click().run()
    at.button(key="shop_confirm").click().run()
    at.button(key="shop_done_back").click().run()
    assert not at.exception
    shown = all_markdown(at)
    assert sum("198" in text for text in shown) >= 2  # the good is there, in the shop and mine
    assert [text for text in shown if "](" in text or "198.51.100.7/x.png" in text] == []


def test_a_waiting_pickup_qr_is_drawn_at_the_size_it_is_shown(app, portal_db, monkeypatch):
    """A QR bigger than its shown width is resized by st.image on every run of 积分超市."""
    import io

    import streamlit
    from PIL import Image

    shown = []
    real_image = streamlit.image

    def spy(image, *args, **kwargs):
        if isinstance(image, bytes) and image.startswith(b"\x89PNG"):
            shown.append((Image.open(io.BytesIO(image)).width, kwargs.get("width", "content")))
        return real_image(image, *args, **kwargs)

    monkeypatch.setattr(streamlit, "image", spy)
    at = login(app(), "resident")
    open_shop(at)
    at.button(key=f"shop_redeem_{rice_id(portal_db)}").click().run()
    at.button(key="shop_confirm").click().run()
    at.button(key="shop_done_back").click().run()
    assert not at.exception
    assert shown and all(width == "content" or drawn <= width for drawn, width in shown)
    assert 150 <= shown[-1][0] <= 240  # big enough to scan from a phone, small enough to fit
