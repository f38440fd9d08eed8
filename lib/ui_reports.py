"""The 问题墙 page's parts: the public wall, one report's follow view, my reports, the staff desk."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from sqlite_utils import Database

from lib import photos, report_views, reports, ui
from lib.clock import local_text
from lib.errors import NotFound, PermissionDenied, ValidationError
from lib.roles import STAFF, User

PAGE_SIZE = 20


def _image(name: str | None, *, thumb: bool, width: int | str = "stretch") -> None:
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=thumb)
    if path.exists():
        st.image(str(path), width=width)


def wall(db: Database, user: User) -> None:
    """Everyone reads the wall: filters, counts per status, newest reports with thumbnails."""
    place = ui.current_place(db)
    categories = reports.categories(db)
    left, right = st.columns(2)
    category = left.selectbox("类别", categories, index=None, placeholder="全部类别",
                              format_func=lambda c: c["name"], key="reports_filter_category")
    status = right.selectbox("状态", list(reports.STATUS_LABELS), index=None, placeholder="全部状态",
                             format_func=reports.STATUS_LABELS.get, key="reports_filter_status")
    chosen_place = ui.place_select(db, key="reports_filter_place", label="地点", place=place)
    filters = {"category_id": category["id"] if category else None,
               "place_id": chosen_place.id if chosen_place else None}
    counts = report_views.wall_counts(db, **filters)
    st.caption(" · ".join(f"{label} {counts.get(code, 0)}"
                          for code, label in reports.STATUS_LABELS.items()))
    shown = st.session_state.get("reports_shown", PAGE_SIZE)
    rows = report_views.wall(db, status=status, limit=shown + 1, **filters)
    if not rows:
        st.info("暂时没有符合条件的问题。")
    for row in rows[:shown]:
        with st.container(border=True, key=f"reports_card_{row['id']}"):
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {row['category_name']}")
            _image(row["thumbnail"], thumb=True, width=140)
            st.text(f"{row['place_name']}：{row['description']}")
            st.caption(f"{local_text(row['created_at'])} · {row['metoo_count']} 人也遇到")
            st.page_link(ui.PAGE_FILES["reports"], label="查看详情",
                         query_params={"n": str(row["id"])})
    if len(rows) > shown and st.button("加载更多", key="reports_more"):
        st.session_state["reports_shown"] = shown + PAGE_SIZE
        st.rerun()


def detail(db: Database, user: User, report_id: int, token: str | None) -> None:
    """One report as anyone may follow it; its reporter confirms here; staff handle it here."""
    report = report_views.public_report(db, report_id)
    if report is None:
        st.error(f"找不到编号为 {report_id} 的问题，请检查链接。")
        return
    st.subheader(f"第 {report['id']} 号 · {report['status_label']}")
    st.text(f"{report['place_name']}（{report['place_code']}） · {report['category_name']}")
    st.text(report["description"])
    st.caption(f"反映人：{report['reporter_label']} · {local_text(report['created_at'])} · "
               f"{report['metoo_count']} 人也遇到")
    for photo in report["photos"]:
        st.caption("处理前" if photo["stage"] == "before" else "处理后")
        _image(photo["name"], thumb=False, width=320)
    st.markdown("**处理进度**")
    for event in report["timeline"]:
        note = f"：{event['note']}" if event["note"] else ""
        st.text(f"{local_text(event['at'])}  {event['label']}（{event['actor_label']}）{note}")
    if report["confirmation"]:
        st.caption({"solved": "反映人确认已解决", "unsolved": "反映人表示仍未解决",
                    "auto": "反映人 7 天内未答复，视为已解决"}[report["confirmation"]]
                   + (f" · 满意度 {'★' * report['rating']}" if report["rating"] else ""))
    full = reports.get(db, report_id)
    if full["status"] == reports.RESOLVED and full["confirmation"] is None and \
            reports.may_confirm(full, user, token):
        _confirm_form(db, user, report_id, token)
    if user.at_least(STAFF):
        _staff_actions(db, user, full)


def _confirm_form(db: Database, user: User, report_id: int, token: str | None) -> None:
    with st.form("reports_confirm"):
        st.markdown("**问题解决了吗？**")
        solved = st.radio("处理结果", ["已解决", "未解决"], horizontal=True, key="reports_solved")
        rating = st.radio("满意度", [5, 4, 3, 2, 1], horizontal=True, key="reports_rating",
                          format_func=lambda n: "★" * n)
        comment = st.text_input("评价（可选）", max_chars=200, key="reports_comment")
        if st.form_submit_button("提交确认", type="primary"):
            try:
                reports.confirm(db, user, report_id=report_id, token=token,
                                solved=solved == "已解决", rating=rating, comment=comment)
            except (ValidationError, PermissionDenied, reports.InvalidTransition) as error:
                st.error(str(error))
            else:
                st.rerun()


def _staff_actions(db: Database, user: User, report: dict) -> None:
    st.divider()
    st.markdown("**工作人员处理**")
    if report["contact_mobile"]:
        st.caption(f"联系电话：{report['contact_mobile']}")
    if report["proxy_by"]:
        st.caption(f"代录：{report['proxy_for']}")
    settings = ui.portal().settings
    report_id = report["id"]

    def attempt(action) -> None:
        try:
            action()
        except (ValidationError, PermissionDenied, reports.InvalidTransition, NotFound) as error:
            ui.show_errors(error) if isinstance(error, ValidationError) else st.error(str(error))
        else:
            st.rerun()

    if reports.can_move(report, reports.ACCEPTED):
        staff = reports.staff_members(db)
        handler = st.selectbox("处理人", staff, key="reports_handler",
                               index=next((i for i, s in enumerate(staff) if s["id"] == user.id), 0),
                               format_func=lambda s: s["display_name"])
        if st.button("受理", type="primary", key="reports_accept"):
            attempt(lambda: reports.accept(db, user, report_id=report_id,
                                           handler_id=handler["id"] if handler else None))
    if reports.can_move(report, reports.IN_PROGRESS) and report["status"] != reports.RESOLVED:
        if st.button("开始处理", key="reports_start"):
            attempt(lambda: reports.start(db, user, report_id=report_id))
    if reports.can_move(report, reports.RESOLVED):
        with st.form("reports_resolve"):
            note = st.text_area("处理结果", max_chars=reports.DESCRIPTION_MAX, key="reports_result")
            st.caption("处理后照片：点击 “Upload” 按钮拍照或选择。")
            after = st.file_uploader("处理后照片", type=["jpg", "jpeg", "png", "webp"],
                                     key="reports_after_photo")
            if st.form_submit_button("办结"):
                attempt(lambda: reports.resolve(
                    db, user, data_dir=settings.data_dir, report_id=report_id, result_note=note,
                    after_photo=after.getvalue() if after else None))
    if reports.can_move(report, reports.REJECTED):
        with st.form("reports_reject"):
            reason = st.selectbox("不予受理原因", list(reports.REJECT_REASONS), key="reports_reason",
                                  format_func=reports.REJECT_REASONS.get)
            duplicate_of = st.number_input("重复的原问题编号（重复时填写）", min_value=0, step=1,
                                           key="reports_duplicate_of")
            transferred_to = st.text_input("转交单位（不属于社区职责时填写）",
                                           key="reports_transferred_to")
            if st.form_submit_button("不予受理"):
                attempt(lambda: reports.reject(
                    db, user, report_id=report_id, reason=reason,
                    duplicate_of=int(duplicate_of) or None, transferred_to=transferred_to))


def mine(db: Database, user: User) -> None:
    rows = report_views.my_reports(db, user.id)
    if not rows:
        st.info("您还没有反映过问题。")
    for row in rows:
        with st.container(border=True, key=f"reports_mine_{row['id']}"):
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {local_text(row['created_at'])}")
            st.text(row["description"])
            st.page_link(ui.PAGE_FILES["reports"], label="查看详情",
                         query_params={"n": str(row["id"])})


@st.cache_data(ttl=60, show_spinner=False)
def _desk_stats(database_path: str) -> dict:
    """Statistics read every 50,000 reports: a minute old is fresh enough for the desk."""
    return report_views.desk_stats(ui.portal_db())


def desk(db: Database, user: User) -> None:
    """Staff: the queue oldest first with overdue reports marked, charts, and export."""
    summary = report_views.queue_summary(db)
    st.caption(f"待办 {summary['open']} 件，其中超时未受理 {summary['overdue_accept']} 件、"
               f"超时未办结 {summary['overdue_close']} 件（最早的排在前面）")
    shown = st.session_state.get("reports_queue_shown", PAGE_SIZE)
    queue = report_views.staff_queue(db, limit=shown)
    for row in queue:
        flag = "⚠ 超时未受理 " if row["overdue_accept"] else ("⚠ 超时未办结 " if row["overdue_close"] else "")
        with st.container(border=True, key=f"reports_queue_{row['id']}"):
            if flag:
                st.error(flag.strip(), icon=":material/schedule:")
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {row['place_name']} · "
                    f"{row['category_name']}")
            st.text(row["description"])
            st.caption(f"{local_text(row['created_at'])}" +
                       (f" · 处理人 {row['handler_name']}" if row["handler_name"] else ""))
            st.page_link(ui.PAGE_FILES["reports"], label="处理", query_params={"n": str(row["id"])})
    if summary["open"] > shown and st.button("显示更多待办", key="reports_queue_more"):
        st.session_state["reports_queue_shown"] = shown + PAGE_SIZE
        st.rerun()
    stats = _desk_stats(str(ui.portal().settings.database_path))
    st.subheader("统计")
    left, right = st.columns(2)
    left.metric("平均办结用时", f"{stats['avg_close_hours']:.0f} 小时"
                if stats["avg_close_hours"] is not None else "—")
    right.metric("满意度", f"{stats['avg_rating']:.1f} ★" if stats["avg_rating"] else "—",
                 help=f"共 {stats['rating_count']} 条评价")
    st.altair_chart(report_views.status_chart(stats["by_status"]), width="stretch")
    st.altair_chart(report_views.category_chart(stats["by_category"]), width="stretch")
    st.altair_chart(report_views.month_chart(stats["by_month"]), width="stretch")
    st.subheader("导出")
    today = date.today()
    start, end = st.columns(2)
    first = start.date_input("开始日期", today - timedelta(days=30), key="reports_export_start")
    last = end.date_input("结束日期", today, key="reports_export_end")
    if not st.button("生成导出文件", key="reports_export"):
        return
    rows = report_views.export_rows(db, start=first, end=last)
    st.caption(f"共 {len(rows)} 条")
    csv_col, xlsx_col = st.columns(2)
    csv_col.download_button("下载 CSV", report_views.export_csv(rows), file_name="reports.csv",
                            mime="text/csv", key="reports_export_csv", on_click="ignore")
    xlsx_col.download_button("下载 Excel", report_views.export_xlsx(rows),
                             file_name="reports.xlsx", key="reports_export_xlsx",
                             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             on_click="ignore")
