"""Streamlit parts of 积分超市: the catalogue, the confirmation step, the pickup code, 我的兑换.

The 管理 screens (兑换核销, 积分商品) are in ui_admin.py.
"""
from __future__ import annotations

import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, ui
from lib.core.clock import local_text
from lib.core.errors import NotFound, PortalError
from lib.core.roles import User
from lib.people.ui import AFTER_LOGIN
from lib.points import ledger
from lib.shop import catalogue, codes, redeem


CONFIRM = "shop_confirm_item"  # the item on the confirmation step
SUBMISSION_KEY = "shop_submission_key"  # one per confirmation: a double tap redeems once
DONE = "shop_done_id"  # the redemption whose pickup code is shown
NOTE = "shop_note"  # (text, ok) left by a callback for the next run
SHOP_LABELS = {"quantity": "数量", "item": "商品", "key": "操作", "user_id": "居民"}


def photo(name: str | None, *, thumb: bool = True, width: int = 120) -> None:
    """An item's photo (nothing when it has none or its file is gone)."""
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=thumb)
    if path.exists():
        st.image(str(path), width=width)


def item_facts(item: catalogue.Item) -> str:
    """Price, stock left and limit in one line, e.g. "20 积分 · 剩 12 件 · 每人每月限 2 件"."""
    stock = f"剩 {item.stock} 件" if item.in_stock else "已兑完"
    limit = f" · 每人每月限 {item.monthly_limit} 件" if item.monthly_limit else ""
    return f"{item.price} 积分 · {stock}{limit}"


def _choose(item_id: int) -> None:
    st.session_state[CONFIRM] = item_id
    st.session_state[SUBMISSION_KEY] = uuid.uuid4().hex
    st.session_state.pop("shop_quantity", None)


def _back() -> None:
    st.session_state.pop(CONFIRM, None)
    st.session_state.pop(SUBMISSION_KEY, None)


def _leave_done() -> None:
    st.session_state.pop(DONE, None)


def shop(db: Database, user: User) -> None:
    """积分超市's body: the pickup code just made, else the confirmation step, else the shop."""
    if show_done(db, user):
        return
    if user.is_guest:
        st.info("欢迎逛逛！登录后可以用积分兑换商品。")
        if st.button("登录后兑换", type="primary", key="shop_login"):
            st.session_state[AFTER_LOGIN] = "shop"  # logging in comes back here
            ui.go_to("account")
    else:
        st.metric("我的积分", ledger.balance(db, user.id))
    note = st.session_state.pop(NOTE, None)
    if note:
        (st.success if note[1] else st.error)(ui.esc(note[0]))
    if not user.is_guest and st.session_state.get(CONFIRM) is not None:
        confirm(db, user, st.session_state[CONFIRM])
        return
    rows = [] if user.is_guest else redeem.my_redemptions(db, user)
    for row in rows:
        if row.is_waiting:  # the code first: a resident at the desk should not scroll for it
            st.info(f"待领取：{ui.esc(row.item_name)} × {row.quantity}，取件码 **{row.pickup_code}**"
                    "（二维码在页面下方“我的兑换”里）")
    goods(db, user)
    if not user.is_guest:
        mine(user, rows)


def goods(db: Database, user: User) -> None:
    """Every active item with its photo, price, stock and limit, and a 兑换 button."""
    items = catalogue.list_items(db)
    if not items:
        st.info("积分超市还没有上架商品，敬请期待。")
        return
    for item in items:
        with st.container(border=True, key=f"shop_item_{item.id}"):
            photo(item.photo)
            st.markdown(f"**{ui.esc(item.name)}**")
            if item.description:
                st.caption(ui.esc(item.description))
            st.text(item_facts(item))
            if not user.is_guest:
                st.button("兑换" if item.in_stock else "已兑完", key=f"shop_redeem_{item.id}",
                          disabled=not item.in_stock, on_click=_choose, args=(item.id,),
                          width="stretch")


def confirm(db: Database, user: User, item_id: int) -> None:
    """The confirmation step: what, how many, the points and the balance after; 确认兑换."""
    try:
        item = catalogue.get(db, item_id)
    except NotFound:
        _back()
        st.rerun()
    st.subheader("确认兑换")
    with st.container(border=True, key="shop_confirm_box"):
        photo(item.photo, thumb=False, width=200)
        st.markdown(f"**{ui.esc(item.name)}**")
        st.text(item_facts(item))
        quantity = st.number_input("数量", min_value=1, max_value=redeem.QUANTITY_MAX, value=1,
                                   step=1, key="shop_quantity")
        cost, has = item.price * quantity, ledger.balance(db, user.id)
        st.text(f"需要 {cost} 积分，您现有 {has} 积分。")
        if has >= cost:
            st.markdown(f"兑换后剩 **{has - cost}** 积分。")
        else:
            st.warning(f"您的积分还差 {cost - has} 积分。")
    problem = st.container()  # a refusal shows just above the button that was tapped
    go = st.button("确认兑换", type="primary", key="shop_confirm", width="stretch")
    st.button("返回", key="shop_back", on_click=_back, width="stretch")
    if not go:
        return
    try:
        made = redeem.redeem(db, user, item_id=item.id, quantity=quantity,
                             key=st.session_state.get(SUBMISSION_KEY) or uuid.uuid4().hex)
    except PortalError as error:
        ui.show_error(error, SHOP_LABELS, places={"*": problem})
        return
    _back()
    st.session_state[DONE] = made.id
    st.rerun()


def show_done(db: Database, user: User) -> bool:
    """The pickup code, big, and its QR, until 继续逛逛 is tapped. True if shown."""
    done_id = st.session_state.get(DONE)
    if done_id is None:
        return False
    try:
        made = redeem.get(db, done_id)
    except NotFound:
        made = None
    if made is None or made.user_id != user.id:
        _leave_done()
        return False
    st.success("兑换成功！请凭取件码或二维码到社区服务站领取。")
    st.metric("取件码", made.pickup_code)
    st.image(codes.pickup_qr_png(made.pickup_code, box_size=7))  # 203 px, drawn at its size
    st.text(f"{made.item_name} × {made.quantity}，用了 {made.points} 积分。")
    st.caption("取件码和二维码也记在“我的兑换”里（点“继续逛逛”后在页面下方），随时可以再看。")
    st.button("继续逛逛", key="shop_done_back", on_click=_leave_done, width="stretch")
    return True


def _cancel(user: User, redemption_id: int) -> None:
    """Callback: cancel before the page is drawn, so balance, stock and list show it at once."""
    try:
        done = redeem.cancel(ui.portal_db(), user, redemption_id)
    except PortalError as error:
        st.session_state[NOTE] = (str(error), False)
    else:
        st.session_state[NOTE] = (f"已取消兑换，{done.points} 积分已退回。", True)


def mine(user: User, rows: list[redeem.Redemption]) -> None:
    """我的兑换: status and pickup code of each, a QR and a cancel for the waiting ones."""
    st.subheader("我的兑换")
    if not rows:
        st.caption("还没有兑换记录。")
        return
    for row in rows:
        with st.container(border=True, key=f"shop_mine_{row.id}"):
            st.markdown(f"**{ui.esc(row.item_name)} × {row.quantity}** · {row.status_label}")
            proxy = " · 工作人员代办" if row.proxy_by else ""
            st.caption(f"{local_text(row.created_at)} · {row.points} 积分 · "
                       f"取件码 {row.pickup_code}{proxy}")
            if row.status == redeem.CANCELLED and row.cancel_reason:
                st.caption(f"取消原因：{ui.esc(row.cancel_reason)}")
            if row.is_waiting:
                with st.expander("出示取件二维码"):
                    st.image(codes.pickup_qr_png(row.pickup_code, box_size=6))  # 174 px
                st.button("取消兑换（退回积分）", key=f"shop_cancel_{row.id}", on_click=_cancel,
                          args=(user, row.id))
