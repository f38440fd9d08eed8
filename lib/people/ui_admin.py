"""管理 screens of the people: household checks, users, QR posters, and the places and
organisation (with the household roster import).

Each function draws one task page of 管理 (app_pages/admin/); the domain functions it calls
check the acting user's role again, whatever the page showed.
"""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.ui_admin import attempt
from lib.core.clock import local_text
from lib.core.config import is_local
from lib.core.errors import PortalError, ValidationError
from lib.core.roles import ACCOUNT_ROLES, ADMIN, ROLE_LABELS, User
from lib.people import accounts, households, org, posters, roster
from lib.people import ui as people_ui


PLACE_KIND_LABELS = {"building": "楼栋/单元", "common": "公共区域"}


def household_checks(db: Database, actor: User) -> None:
    """Leaders (their micro-grid) and staff confirm who lives where."""
    pending = households.pending_households(db, actor)
    if not pending:
        st.info("目前没有待核实的住户。")
        return
    st.caption(f"共 {len(pending)} 条待核实")
    for row in pending:
        with st.container(border=True, key=f"admin_household_{row['id']}"):
            st.write(f"**{ui.esc(row['display_name'])}**（{ui.esc(row['username'])}）")
            st.write(f"{ui.esc(row['place_name'])} {ui.esc(row['room'])} 室 · 申请于 {local_text(row['created_at'])}")
            if row["mobile"]:
                st.caption(f"手机：{ui.esc(row['mobile'])}")
            reason = st.text_input("未通过原因（不通过时必填）", key=f"admin_reject_reason_{row['id']}")
            approve_col, reject_col = st.columns(2)
            try:
                if approve_col.button("核实通过", key=f"admin_approve_{row['id']}", type="primary"):
                    households.verify_household(db, actor, user_id=row["id"], approve=True)
                    st.rerun()
                if reject_col.button("不通过", key=f"admin_reject_{row['id']}"):
                    households.verify_household(db, actor, user_id=row["id"], approve=False,
                                                reason=reason)
                    st.rerun()
            except PortalError as error:  # e.g. checked meanwhile by another leader
                ui.show_error(error)


def users(db: Database, actor: User) -> None:
    """Staff look users up; admins change roles, reset passwords and disable accounts."""
    query = st.text_input("搜索用户（用户名、称呼或手机号）", key="admin_user_query")
    found = accounts.search_users(db, actor, query, limit=50)
    if not found:
        st.info("没有找到匹配的用户。")
        return
    st.dataframe(
        [{"用户名": u["username"], "称呼": u["display_name"], "身份": ROLE_LABELS[u["role"]],
          "住户": f"{u['place_code'] or ''} {u['room'] or ''}".strip(),
          "核实": households.HOUSEHOLD_STATUS_LABELS[u["household_status"]],
          "状态": "已停用" if u["disabled"] else "正常"} for u in found],
        hide_index=True, width="stretch")
    if not actor.at_least(ADMIN):
        return
    chosen = st.selectbox("选择要管理的用户", found, key="admin_user_pick", index=None,
                          placeholder="请选择", format_func=lambda u: f"{u['display_name']}（{u['username']}）")
    if chosen is None:
        return
    _role_form(db, actor, chosen)
    _password_form(db, actor, chosen)
    disabled = bool(chosen["disabled"])
    if st.button("启用账号" if disabled else "停用账号", key="admin_user_disable"):
        try:
            accounts.set_disabled(db, actor, user_id=chosen["id"], disabled=not disabled)
        except PortalError as error:
            ui.show_error(error)
        else:
            st.success("已启用。" if disabled else "已停用，该用户所有登录均已失效。")


def _role_form(db: Database, actor: User, chosen: dict) -> None:
    microgrids = org.list_microgrids(db)
    with st.form("admin_role_form"):
        role = st.selectbox("身份", ACCOUNT_ROLES, index=ACCOUNT_ROLES.index(chosen["role"]),
                            format_func=ROLE_LABELS.get, key="admin_role")
        current = next((m for m in microgrids if m["id"] == chosen["leads_microgrid_id"]), None)
        microgrid = st.selectbox("负责的微网格（仅微网格长）", microgrids, key="admin_role_microgrid",
                                 index=microgrids.index(current) if current else None,
                                 placeholder="请选择",
                                 format_func=lambda m: f"{m['grid_name']} · {m['name']}")
        if st.form_submit_button("保存身份"):
            try:
                accounts.change_role(db, actor, user_id=chosen["id"], role=role,
                                     leads_microgrid_id=microgrid["id"] if microgrid else None)
            except PortalError as error:
                ui.show_error(error)
            else:
                st.success(f"已将 {ui.esc(chosen['display_name'])}（{ui.esc(chosen['username'])}）设为{ROLE_LABELS[role]}。")


def _password_form(db: Database, actor: User, chosen: dict) -> None:
    with st.form("admin_password_form", clear_on_submit=True):
        new_password = st.text_input("新密码", type="password", key="admin_new_password",
                                     help="至少 8 位，需同时包含字母和数字；请当面告知用户")
        if st.form_submit_button("重置密码"):
            try:
                accounts.reset_password(db, actor, user_id=chosen["id"], new_password=new_password)
            except PortalError as error:
                ui.show_error(error)
            else:
                st.success("密码已重置，该用户需用新密码重新登录。")


def organisation(db: Database, actor: User) -> None:
    """The community's name, grids and micro-grids: what a new portal starts by setting up."""
    with st.expander("社区与网格设置", expanded=not org.community_name(db)):
        with st.form("admin_community"):
            name = st.text_input("社区（小区）名称", value=org.community_name(db), key="admin_community_name")
            if st.form_submit_button("保存名称"):
                attempt(lambda: org.set_community(db, actor, name=name), "已保存。")
        with st.form("admin_grid", clear_on_submit=True):
            grid_name = st.text_input("新增网格", key="admin_grid_name", placeholder="例如：第四网格")
            if st.form_submit_button("新增网格"):
                attempt(lambda: org.add_grid(db, actor, name=grid_name), "已新增网格。")
        with st.form("admin_microgrid", clear_on_submit=True):
            grid = st.selectbox("所属网格", org.list_grids(db), index=None, placeholder="请选择",
                                key="admin_microgrid_grid", format_func=lambda g: g["name"])
            microgrid_name = st.text_input("新增微网格", key="admin_microgrid_name",
                                           placeholder="例如：第六微网格")
            if st.form_submit_button("新增微网格"):
                attempt(lambda: org.add_microgrid(db, actor, grid_id=grid["id"] if grid else None,
                                                    name=microgrid_name), "已新增微网格。")


def places(db: Database, actor: User) -> None:
    """Admins add and rename buildings and common places, and import household rosters."""
    organisation(db, actor)
    all_places = org.list_places(db)
    st.dataframe([{"编号": p.code, "名称": p.name, "类型": PLACE_KIND_LABELS[p.kind],
                   "微网格": p.microgrid_name} for p in all_places], hide_index=True, width="stretch")
    microgrids = org.list_microgrids(db)
    outcome = st.session_state.pop(_ADD_PLACE_OUTCOME, None)
    with st.expander("新增楼栋或地点", expanded=outcome is not None):
        # Not cleared on submit: after an error the typed values stay to be corrected; the
        # callback clears them only once the place is saved.
        with st.form("admin_add_place"):
            st.text_input("编号", key="admin_place_code", placeholder="例如 9-1 或 gate")
            st.text_input("名称", key="admin_place_name", placeholder="例如 9栋1单元")
            st.selectbox("类型", list(PLACE_KIND_LABELS), format_func=PLACE_KIND_LABELS.get,
                         key="admin_place_kind")
            st.selectbox("所属微网格", microgrids, index=None, placeholder="请选择",
                         key="admin_place_microgrid",
                         format_func=lambda m: f"{m['grid_name']} · {m['name']}")
            st.form_submit_button("新增", on_click=_add_place)
        if outcome and "errors" in outcome:
            ui.show_error(ValidationError(outcome["errors"]),
                           {"code": "编号", "name": "名称", "kind": "类型", "microgrid_id": "微网格"})
        elif outcome:
            st.success(f"已新增 {ui.esc(outcome['added'])}。")
    with st.expander("重命名"):
        with st.form("admin_rename_place"):
            place = st.selectbox("楼栋或地点", all_places, index=None, placeholder="请选择",
                                 key="admin_rename_pick", format_func=lambda p: p.label)
            new_name = st.text_input("新名称", key="admin_rename_name")
            if st.form_submit_button("保存"):
                try:
                    if place is None:
                        raise ValidationError({"place": "请选择要重命名的楼栋或地点。"})
                    renamed = org.rename_place(db, actor, place_id=place.id, name=new_name)
                except PortalError as error:
                    ui.show_error(error)
                else:
                    st.success(f"已改名为 {ui.esc(renamed.label)}。")
    _roster_import(db, actor)


_ADD_PLACE_OUTCOME = "admin_place_outcome"


def _add_place() -> None:
    """The 新增 button's callback: it may still change the form's values, a page run may not.

    It runs in the next run's thread: the connection and the user are fetched again here, never
    carried over from the run that drew the button.
    """
    db = ui.portal_db()
    actor = people_ui.current_user(db)
    state = st.session_state
    microgrid = state.get("admin_place_microgrid")
    try:
        place = org.add_place(db, actor, code=state.get("admin_place_code", ""),
                              name=state.get("admin_place_name", ""),
                              kind=state.get("admin_place_kind", org.BUILDING),
                              microgrid_id=microgrid["id"] if microgrid else None)
    except ValidationError as error:
        state[_ADD_PLACE_OUTCOME] = {"errors": error.fields}  # plain data, shown by the next run
        return
    except PortalError as error:  # e.g. demoted since the form was drawn
        state[_ADD_PLACE_OUTCOME] = {"errors": {"_": str(error)}}
        return
    state[_ADD_PLACE_OUTCOME] = {"added": place.label}
    state["admin_place_code"] = ""
    state["admin_place_name"] = ""
    state["admin_place_microgrid"] = None


def _roster_import(db: Database, actor: User) -> None:
    st.subheader("导入住户花名册")
    st.caption("CSV 或 Excel（.xlsx）表格，表头：楼栋编号、房号、户主（可选）、人数（可选）。"
               "已登记的房号会跳过；有问题的行会列出原因，其余行照常导入。")
    st.download_button("下载模板（CSV）", "楼栋编号,房号,户主,人数\n1-1,101,张三,3\n".encode("utf-8-sig"),
                       file_name="roster-template.csv", mime="text/csv",
                       key="admin_roster_template", on_click="ignore")
    upload = st.file_uploader("选择花名册文件（点击 “Upload” 按钮选择）", type=["csv", "xlsx"],
                              key="admin_roster_file")
    if upload is None or not st.button("开始导入", key="admin_roster_import", type="primary"):
        return
    bar = st.progress(0.0, text="正在导入…")
    try:
        result = roster.import_roster(
            db, actor, filename=upload.name, data=upload.getvalue(),
            progress=lambda done, total: bar.progress(done / max(total, 1),
                                                      text=f"正在导入… {done}/{total}"))
    except PortalError as error:
        bar.empty()
        ui.show_error(error)
        return
    bar.progress(1.0, text="导入完成")
    summary = f"新导入 {result.imported} 户，已存在跳过 {result.skipped_existing} 户"
    if not result.errors:
        st.success(f"{summary}，全部行都已处理。")
        return
    # Rows were left out: not a success, whatever else went in.
    st.warning(f"{summary}。有问题 {len(result.errors)} 行没有导入，请按下表原因改正后重新导入这些行：",
               icon="⚠️")
    st.dataframe([{"行号": e.line, "原因": e.message} for e in result.errors],
                 hide_index=True, width="stretch")


def qr_codes(db: Database, actor: User) -> None:
    """QR codes for every place, singly as PNG or all as a printable A4 sheet of posters."""
    base_url = ui.public_base_url()
    community = org.community_name(db)
    all_places = org.list_places(db)
    st.text("二维码将指向：")
    st.code(base_url, language=None)
    if is_local(base_url):
        st.warning("这个地址只有本机能打开，居民扫码会打不开。请用大家能访问的地址打开本页，"
                   "或设置环境变量 `PORTAL_BASE_URL`（例如 `https://portal.example.org`）后重启平台。",
                   icon="⚠️")
    elif not ui.portal().settings.base_url:
        st.caption("这是您现在打开本页用的地址。若居民访问的地址不同，请设置环境变量 `PORTAL_BASE_URL`。")
    place = people_ui.place_select(db, key="admin_qr_place", label="楼栋或地点", place=people_ui.current_place(db))
    if place is not None:
        url = posters.place_url(base_url, place.code)
        png = posters.qr_png(url)
        st.image(png, caption=url, width=220)
        left, right = st.columns(2)
        left.download_button("下载二维码 PNG", png, file_name=f"qr-{place.code}.png",
                             mime="image/png", key="admin_qr_png", on_click="ignore")
        # drawn only when tapped: rendering a poster on every run made this page the slowest
        right.download_button("下载单张海报 PNG",
                              lambda: posters.poster_png(community, place.code, place.name, base_url),
                              file_name=f"poster-{place.code}.png", mime="image/png",
                              key="admin_qr_poster", on_click="ignore")
    st.subheader("全部海报（A4，可打印）")
    st.caption(f"共 {len(all_places)} 个楼栋和地点，每页 4 张。")
    if st.button("生成海报 PDF", key="admin_qr_sheet", type="primary"):
        bar = st.progress(0.0, text="正在生成…")
        pdf = posters.poster_sheet_pdf(
            community, [(p.code, p.name) for p in all_places], base_url,
            progress=lambda done, total: bar.progress(done / total, text=f"正在生成… {done}/{total}"))
        bar.progress(1.0, text="已生成")
        st.download_button("下载海报 PDF", pdf, file_name="qr-posters.pdf", mime="application/pdf",
                           key="admin_qr_sheet_download", on_click="ignore", type="primary")
