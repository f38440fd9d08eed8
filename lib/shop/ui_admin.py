"""Streamlit parts of 积分超市's 管理 pages: 兑换核销 (staff) and 积分商品 (admins)."""
from __future__ import annotations

import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.errors import PortalError
from lib.core.roles import ADMIN, User
from lib.people import ui as people_ui
from lib.points import ledger
from lib.shop import catalogue, codes, redeem
from lib.shop.ui import SHOP_LABELS, item_facts, photo


CURRENT = "shop_desk_current"  # the pickup code on the desk
SHOT = "shop_desk_shot"  # the camera photo already decoded
NOTE = "shop_desk_note"
PROXY_KEY = "shop_proxy_key"
ITEM_LABELS = {"name": "商品名称", "description": "商品说明", "price": "所需积分", "stock": "库存",
               "monthly_limit": "每人每月限兑", "sort": "排序", "photo": "照片",
               "change": "库存变动", "reason": "说明"}
UPLOAD_WIDGET_MB = 20


def _note(text: str, ok: bool = True) -> None:
    ui.leave_note(NOTE, text, ok)


def _show_note() -> None:
    ui.show_note(NOTE)


# --- 兑换核销 ---------------------------------------------------------------------------------

def desk(db: Database, user: User) -> None:
    """兑换核销: find a redemption by its typed or scanned code, hand it over or cancel it."""
    with st.form("shop_desk_lookup"):
        typed = st.text_input("取件码", max_chars=20, key="shop_desk_code",
                              placeholder="例如 K7M2QX，大小写都可以")
        looked = st.form_submit_button("查找", type="primary", width="stretch")
    if looked:
        _look_up(db, user, typed)
    if st.toggle("用摄像头扫码", key="shop_desk_scan"):
        st.caption("请居民出示“我的兑换”里的取件二维码，对准镜头后点下方 “Take Photo”（拍照）。")
        shot = st.camera_input("扫描取件二维码", key="shop_desk_camera")
        if shot is not None and st.session_state.get(SHOT) != shot.file_id:
            st.session_state[SHOT] = shot.file_id
            _scanned(db, user, shot.getvalue())
    _show_note()
    code = st.session_state.get(CURRENT)
    if code:
        _redemption_card(db, user, code)
    _waiting_list(db, user)
    proxy_redeem(db, user)
    restock(db, user)


def _look_up(db: Database, user: User, text: str) -> None:
    try:
        found = redeem.by_code(db, user, text)
    except PortalError as error:
        st.session_state.pop(CURRENT, None)
        ui.show_error(error, {"code": "取件码"})
        return
    st.session_state[CURRENT] = found.pickup_code


def _scanned(db: Database, user: User, image: bytes) -> None:
    try:
        code = codes.decode_code(image)
    except PortalError as error:
        ui.show_error(error, {"photo": "照片"})
        return
    if code is None:
        st.error("没有识别到取件码：请把二维码放在画面中间、拿稳后再拍一次，或直接输入取件码。")
        return
    _look_up(db, user, code)


def _fulfil(user: User, code: str) -> None:
    try:
        done = redeem.fulfil(ui.portal_db(), user, code)
    except PortalError as error:
        _note(str(error), False)
    else:
        _note(f"已发放：{done.item_name} × {done.quantity}，交给 {done.user_name}。")


def _cancel(user: User, redemption_id: int) -> None:
    reason = st.session_state.get("shop_desk_reason", "")
    try:
        done = redeem.cancel(ui.portal_db(), user, redemption_id, reason)
    except PortalError as error:
        _note(str(error), False)
    else:
        st.session_state["shop_desk_reason"] = ""
        _note(f"已取消，{done.points} 积分已退回 {done.user_name}，库存已恢复。")


def _redemption_card(db: Database, user: User, code: str) -> None:
    try:
        found = redeem.by_code(db, user, code)
    except PortalError as error:
        ui.show_error(error)
        return
    with st.container(border=True, key="shop_desk_card"):
        st.markdown(f"**{ui.esc(found.item_name)} × {found.quantity}** · {found.status_label}")
        st.text(f"取件码 {found.pickup_code} · 兑换人 {found.user_name} · {found.points} 积分")
        proxy = " · 工作人员代办" if found.proxy_by else ""
        st.caption(f"兑换时间 {local_text(found.created_at)}{proxy}")
        if found.status == redeem.CANCELLED:
            st.caption(f"取消原因：{ui.esc(found.cancel_reason)}")
        if not found.is_waiting:
            return
        st.button("确认发放", type="primary", key="shop_desk_fulfil", width="stretch",
                  on_click=_fulfil, args=(user, found.pickup_code))
        with st.expander("取消并退回积分"):
            st.text_input("取消原因", max_chars=redeem.REASON_MAX, key="shop_desk_reason",
                          placeholder="例如：居民不要了、商品破损")
            st.button("取消并退回积分", key="shop_desk_cancel", on_click=_cancel,
                      args=(user, found.id))


def _waiting_list(db: Database, user: User) -> None:
    st.subheader("待领取")
    rows = redeem.waiting(db, user)
    if not rows:
        st.caption("没有待领取的兑换。")
        return
    st.dataframe([{"取件码": r.pickup_code, "居民": r.user_name, "商品": r.item_name,
                   "数量": r.quantity, "兑换时间": local_text(r.created_at)} for r in rows],
                 hide_index=True, width="stretch")


def proxy_redeem(db: Database, user: User) -> None:
    """代为兑换: staff redeem for a resident without a phone, from the resident's points."""
    with st.expander("代居民兑换（没有手机的居民）"):
        who = people_ui.find_holder(db, user, "shop_proxy")
        if who is not None:
            st.caption(f"{ui.esc(who.display_name)} 现有 {ledger.balance(db, who.user_id)} 积分。")
        item = st.selectbox("商品", catalogue.list_items(db), index=None, placeholder="请选择",
                            key="shop_proxy_item",
                            format_func=lambda i: f"{i.name} · {item_facts(i)}")
        quantity = st.number_input("数量", min_value=1, max_value=redeem.QUANTITY_MAX, value=1,
                                   step=1, key="shop_proxy_quantity")
        key = st.session_state.setdefault(PROXY_KEY, uuid.uuid4().hex)
        if not st.button("代为兑换", type="primary", key="shop_proxy_go", width="stretch"):
            return
        if who is None or item is None:
            st.error("请先选择居民和商品。")
            return
        try:
            made = redeem.redeem(db, user, item_id=item.id, quantity=quantity, key=key,
                                 for_user_id=who.user_id)
        except PortalError as error:
            ui.show_error(error, SHOP_LABELS)
            return
        st.session_state.pop(PROXY_KEY, None)
        st.session_state[CURRENT] = made.pickup_code
        _note(f"已为 {made.user_name} 兑换 {made.item_name} × {made.quantity}，"
              f"取件码 {made.pickup_code}：可以当场发放。")
        st.rerun()


def restock(db: Database, user: User) -> None:
    """补货 / 库存调整, for staff and admins: a delivery in, a damaged unit out."""
    with st.expander("补货 / 库存调整"):
        items = catalogue.list_items(db, include_inactive=True)
        with st.form("shop_stock"):
            item = st.selectbox("商品", items, index=None, placeholder="请选择", key="shop_stock_item",
                                format_func=lambda i: f"{i.name}（库存 {i.stock}）")
            change = st.number_input("库存变动（补货填正数，破损或盘点短少填负数）", step=1, value=0,
                                     min_value=-catalogue.STOCK_MAX,
                                     max_value=catalogue.STOCK_MAX, key="shop_stock_change")
            reason = st.text_input("说明", max_chars=catalogue.REASON_MAX, key="shop_stock_reason")
            saved = st.form_submit_button("保存库存", width="stretch")
        if not saved:
            return
        if item is None:
            st.error("请先选择商品。")
            return
        try:
            changed = catalogue.change_stock(db, user, item_id=item.id, change=int(change),
                                             reason=reason)
        except PortalError as error:
            ui.show_error(error, ITEM_LABELS)
            return
        st.success(f"已保存：{changed.name} 现有库存 {changed.stock} 件。")


# --- 积分商品 ---------------------------------------------------------------------------------

def items(db: Database, user: User) -> None:
    """积分商品 (admins): add goods, edit the chosen one's details and photo, change stock.

    The goods are one compact table and ONE edit form for the good picked in a selectbox: a
    form per good inside expanders ran every good's widgets on every run (expander bodies run
    even when closed), 7.9x the typical page with the bench's 30 goods.
    """
    if not user.at_least(ADMIN):  # the page guard stops lower roles first; lib checks again
        st.error("此页面仅限社区管理员使用。")
        return
    _show_note()
    with st.expander("新增商品", icon=":material/add:"):
        _item_form(db, user, None)
    goods = catalogue.list_items(db, include_inactive=True)
    if not goods:
        st.caption("还没有商品，先在上面新增一件。")
    else:
        st.dataframe([{"商品": i.name, "所需积分": i.price, "库存": i.stock,
                       "每人每月限兑": f"{i.monthly_limit} 件" if i.monthly_limit else "不限",
                       "状态": "上架" if i.active else "已下架"} for i in goods],
                     hide_index=True, width="stretch", key="shop_item_table")
        by_id = {i.id: i for i in goods}
        chosen = st.selectbox("选择要修改的商品", list(by_id), index=None, placeholder="请选择",
                              key="shop_item_pick", format_func=lambda i: _item_label(by_id[i]))
        if chosen is not None and chosen in by_id:
            photo(by_id[chosen].photo)
            _item_form(db, user, by_id[chosen])
    restock(db, user)


def _item_label(item: catalogue.Item) -> str:
    state = "" if item.active else " · 已下架"
    return f"{item.name}（{item.price} 积分 · 库存 {item.stock}{state}）"


def _item_form(db: Database, user: User, item: catalogue.Item | None) -> None:
    prefix = f"shop_item_{item.id if item else 'new'}"
    with st.form(prefix):
        name = st.text_input("商品名称", value=item.name if item else "", key=f"{prefix}_name",
                             max_chars=catalogue.NAME_MAX)
        description = st.text_area("商品说明", value=item.description if item else "",
                                   key=f"{prefix}_description",
                                   max_chars=catalogue.DESCRIPTION_MAX)
        price = st.number_input("所需积分", min_value=1, max_value=catalogue.PRICE_MAX, step=1,
                                value=item.price if item else 10, key=f"{prefix}_price")
        stock = None if item else st.number_input(
            "库存", min_value=0, max_value=catalogue.STOCK_MAX, step=1, value=0,
            key=f"{prefix}_stock")
        limit = st.number_input("每人每月限兑（0 表示不限）", min_value=0,
                                max_value=catalogue.LIMIT_MAX, step=1,
                                value=item.monthly_limit if item else 0, key=f"{prefix}_limit")
        sort = st.number_input("排序（小的在前）", min_value=0, max_value=catalogue.SORT_MAX, step=1,
                               value=item.sort if item else 0, key=f"{prefix}_sort")
        active = st.checkbox("上架（居民可见、可兑换）", value=item.active if item else True,
                             key=f"{prefix}_active")
        st.caption("照片：点下方 “Upload” 按钮选择商品照片（可不传）。")
        upload = st.file_uploader("商品照片", key=f"{prefix}_photo",
                                  max_upload_size=UPLOAD_WIDGET_MB)
        saved = st.form_submit_button("添加商品" if item is None else "保存修改", type="primary",
                                      width="stretch")
    if not saved:
        return
    fields = dict(name=name, description=description, price=int(price),
                  monthly_limit=int(limit), sort=int(sort), active=active,
                  photo=upload.getvalue() if upload else None,
                  data_dir=ui.portal().settings.data_dir)
    try:
        if item is None:
            made = catalogue.add_item(db, user, stock=int(stock), **fields)
        else:
            made = catalogue.edit_item(db, user, item_id=item.id, **fields)
    except PortalError as error:
        ui.show_error(error, ITEM_LABELS)
        return
    if item is None:  # an empty form for the next good
        for field in ("name", "description", "price", "stock", "limit", "sort", "active"):
            st.session_state.pop(f"{prefix}_{field}", None)
    _note(f"已{'添加' if item is None else '保存'}：{made.name}。")
    st.rerun()
