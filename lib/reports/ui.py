"""Streamlit parts of 问题墙: the wall's tabs (only the one shown runs), one report's follow view,
my reports, the staff desk. The 随手拍 form is in ui_form.py."""
from __future__ import annotations

import re
import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, rules, ui
from lib.core.clock import local_text
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.people import ui as people_ui
from lib.reports import views, workflow


PAGE_SIZE = 20
# A long-lived random id of this browser: a guest's +1 vote and the reports it filed hang on it.
DEVICE_COOKIE = "wwsg_device"
DEVICE_DAYS = 400  # browsers cap cookie lifetimes at about 400 days
_DEVICE_KEY = re.compile(r"[0-9a-f]{32}")
_REPORT_NUMBER = re.compile(r"[0-9]{1,11}")  # ASCII only: "²".isdigit() is True
_TOKEN = re.compile(r"[0-9a-f]{1,64}")
LAST_TAB = "reports_last_tab"  # the tab 返回问题墙 comes back to
TAB_KEY = "reports_tab"  # the tabs widget's own state


def report_number(text: str | None) -> int | None:
    """The report number of ``?n=`` if it is 1-11 ASCII digits, else None."""
    if text is None or not _REPORT_NUMBER.fullmatch(text):
        return None
    return int(text)


def open_report(report_id: int, token: str | None = None, tab: str | None = None) -> None:
    """Button callback: show one report. Setting the query in a callback changes the address
    bar, so later reruns keep ``?n=`` and the browser's Back returns to the wall."""
    st.query_params["n"] = str(report_id)
    if token:
        st.query_params["t"] = token
    elif "t" in st.query_params:
        del st.query_params["t"]
    if tab:
        st.session_state[LAST_TAB] = tab


def report_or_tabs(db: Database, user: User) -> None:
    """问题墙's body: one report when the address names one (``?n=``), else the tabs."""
    number = st.query_params.get("n")
    if number is None:
        tabs(db, user)
        return
    # A button whose callback clears ?n= (not a page link to this same page, which keeps the old
    # query in the address bar and loses it on the next rerun).
    st.button("返回问题墙", icon=":material/arrow_back:", key="reports_back", on_click=close_report)
    report_id = report_number(number)
    if report_id is None:
        st.error("问题编号不正确，请检查链接。")
        return
    detail(db, user, report_id, st.query_params.get("t"))


def tab_titles(user: User) -> list[str]:
    return ["全部问题", "我的反映"] + (["处理台"] if user.at_least(STAFF) else [])


def _remember_tab() -> None:
    """on_change of the tabs: the tab chosen is the one 返回问题墙 comes back to."""
    st.session_state[LAST_TAB] = st.session_state[TAB_KEY]


def tabs(db: Database, user: User) -> None:
    """The wall's tabs; only the one shown runs its queries (Streamlit's stateful tabs).

    Choosing a tab reruns the page with that tab open. The tabs' own state is dropped while a
    report is shown, so it is started again from LAST_TAB: the tab a report was opened from.
    """
    titles = tab_titles(user)
    if st.session_state.get(LAST_TAB) in titles:
        st.session_state.setdefault(TAB_KEY, st.session_state[LAST_TAB])
    parts = {"全部问题": wall, "我的反映": mine, "处理台": desk}
    ui.open_tab_only({title: parts[title] for title in titles}, TAB_KEY, db, user,
                     on_change=_remember_tab)


def close_report() -> None:
    """Button callback: back to the wall (the tab the report was opened from)."""
    for name in ("n", "t"):
        if name in st.query_params:
            del st.query_params[name]


def _open_button(label: str, report_id: int, *, key: str, token: str | None = None,
                 tab: str | None = None) -> None:
    st.button(label, key=key, on_click=open_report, args=(report_id, token, tab),
              icon=":material/arrow_forward:", width="stretch")


# The menu's 问题墙 is a link to the page already open: Streamlit reruns it with the address
# bar's query, so ?n= would keep the report on screen. This static script (no user text, no
# server value) drops n and t from the address as a new history entry and lets Streamlit's own
# history handler rerun the page with it; the browser's Back then returns to the report.
_LEAVE_REPORT_BY_MENU = """<script>
(() => {
  if (window.__portalLeaveReportByMenu) return;
  window.__portalLeaveReportByMenu = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("[data-testid='stSidebarNav'] a");
    if (!link) return;
    const here = new URLSearchParams(location.search);
    if (new URL(link.href, location.href).pathname !== location.pathname || !here.has("n")) return;
    here.delete("n");
    here.delete("t");
    const rest = here.toString();
    history.pushState(history.state, "", location.pathname + (rest ? "?" + rest : ""));
    // Streamlit keeps its own copy of the query; its history handler re-reads the address.
    window.dispatchEvent(new PopStateEvent("popstate", {state: history.state}));
    if (window.innerWidth <= 768) {  // on a phone the menu covers the page: close it
      setTimeout(() => {
        const close = document.querySelector("[data-testid='stSidebarCollapseButton'] button");
        if (close) close.click();
      }, 0);
    }
  }, true);
})();
</script>"""


def menu_leaves_report() -> None:
    """Make the menu's 问题墙 leave an open report (see _LEAVE_REPORT_BY_MENU)."""
    st.sidebar.html(_LEAVE_REPORT_BY_MENU, unsafe_allow_javascript=True)


def device_key() -> str:
    """This browser's long-lived random key, read from its cookie or made and stored now.

    The cookie is written by a tiny script holding only the random hex key (no user text).
    st.context.cookies is what the browser sent when the page was opened, so a key made now is
    written again on each run of this session until the browser reopens the site with it.
    """
    sent = st.context.cookies.get(DEVICE_COOKIE)
    sent = sent if isinstance(sent, str) and _DEVICE_KEY.fullmatch(sent) else None
    key = st.session_state.get("portal_device_key")
    if key is None:
        key = sent or uuid.uuid4().hex
        st.session_state["portal_device_key"] = key
    if sent != key:
        st.sidebar.html(f"<script>document.cookie = '{DEVICE_COOKIE}={key}; path=/; "
                f"max-age={DEVICE_DAYS * 86400}; SameSite=Lax';</script>",
                        unsafe_allow_javascript=True)
    return key


def voter(user: User) -> str:
    """Who casts a 我也遇到 vote: the account, or for a guest this browser's device key."""
    return f"user:{user.id}" if not user.is_guest else f"device:{device_key()}"


def confirmation_text(db: Database, confirmation: str) -> str:
    """The reporter's answer as the follow view says it; the period comes from the rules table."""
    return {"solved": "反映人确认已解决", "unsolved": "反映人表示仍未解决",
            "auto": f"反映人 {rules.get(db, 'reports.confirm_within_days')} 天内未答复，视为已解决"
            }[confirmation]


def _image(name: str | None, *, thumb: bool, width: int | str = "stretch") -> None:
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=thumb)
    if path.exists():
        st.image(str(path), width=width)


def thumbnail(name: str | None) -> None:
    """A report's small photo (nothing when it has none)."""
    _image(name, thumb=True, width=140)


def wall(db: Database, user: User) -> None:
    """Everyone reads the wall: filters, counts per status, newest reports with thumbnails."""
    place = people_ui.current_place(db)
    categories = workflow.categories(db)
    left, right = st.columns(2)
    category = left.selectbox("类别", categories, index=None, placeholder="全部类别",
                              format_func=lambda c: c["name"], key="reports_filter_category")
    status = right.selectbox("状态", list(workflow.STATUS_LABELS), index=None, placeholder="全部状态",
                             format_func=workflow.STATUS_LABELS.get, key="reports_filter_status")
    chosen_place = people_ui.place_select(db, key="reports_filter_place", label="地点", place=place)
    filters = {"category_id": category["id"] if category else None,
               "place_id": chosen_place.id if chosen_place else None}
    counts = views.wall_counts(db, **filters)
    st.caption(" · ".join(f"{label} {counts.get(code, 0)}"
                          for code, label in workflow.STATUS_LABELS.items()))
    shown = st.session_state.get("reports_shown", PAGE_SIZE)
    rows = views.wall(db, status=status, limit=shown + 1, **filters)
    if not rows:
        st.info("暂时没有符合条件的问题。")
    for row in rows[:shown]:
        with st.container(border=True, key=f"reports_card_{row['id']}"):
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {row['category_name']}")
            _image(row["thumbnail"], thumb=True, width=140)
            st.text(f"{row['place_name']}：{row['description']}")
            st.caption(f"{local_text(row['created_at'])} · {row['metoo_count']} 人也遇到")
            _open_button("查看详情", row["id"], key=f"reports_open_{row['id']}", tab="全部问题")
    if len(rows) > shown and st.button("加载更多", key="reports_more"):
        st.session_state["reports_shown"] = shown + PAGE_SIZE
        st.rerun()


def detail(db: Database, user: User, report_id: int, token: str | None) -> None:
    """One report as anyone may follow it; its reporter confirms here; staff handle it here."""
    report = views.public_report(db, report_id)
    if report is None:
        st.error(f"找不到编号为 {report_id} 的问题，请检查链接。")
        return
    token = token if token and _TOKEN.fullmatch(token) else None
    done = st.session_state.pop("reports_done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
    st.subheader(f"第 {report['id']} 号 · {report['status_label']}")
    st.text(f"{report['place_name']}（{report['place_code']}） · {report['category_name']}")
    st.text(report["description"])
    st.caption(f"反映人：{ui.esc(report['reporter_label'])} · {local_text(report['created_at'])} · "
               f"{report['metoo_count']} 人也遇到")
    for photo in report["photos"]:
        st.caption("处理前" if photo["stage"] == "before" else "处理后")
        _image(photo["name"], thumb=False, width=320)
    st.markdown("**处理进度**")
    for event in report["timeline"]:
        note = f"：{event['note']}" if event["note"] else ""
        st.text(f"{local_text(event['at'])}  {event['label']}（{event['actor_label']}）{note}")
    if report["confirmation"]:
        st.caption(ui.esc(confirmation_text(db, report["confirmation"]))
                   + (f" · 满意度 {'★' * report['rating']}" if report["rating"] else ""))
    full = workflow.get(db, report_id)
    if full["status"] == workflow.RESOLVED and full["confirmation"] is None and \
            workflow.may_confirm(full, user, token):
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
                workflow.confirm(db, user, report_id=report_id, token=token,
                                solved=solved == "已解决", rating=rating, comment=comment)
            except PortalError as error:
                ui.show_error(error)
            else:
                st.session_state["reports_done"] = "已提交确认，谢谢您的评价！"
                st.rerun()


def _staff_actions(db: Database, user: User, report: dict) -> None:
    st.divider()
    st.markdown("**工作人员处理**")
    if report["contact_mobile"]:
        st.text(f"联系电话：{report['contact_mobile']}")
    if report["proxy_by"]:
        st.text(f"代录：{report['proxy_for']}")
    settings = ui.portal().settings
    report_id = report["id"]

    def attempt(action, done: str, places: dict | None = None) -> None:
        try:
            action()
        except PortalError as error:
            ui.show_error(error, places=places)
        else:
            st.session_state["reports_done"] = done
            st.rerun()

    if workflow.can_move(report, workflow.ACCEPTED):
        staff = workflow.staff_members(db)
        handler = st.selectbox("处理人", staff, key="reports_handler",
                               index=next((i for i, s in enumerate(staff) if s["id"] == user.id), 0),
                               format_func=lambda s: s["display_name"])
        if st.button("受理", type="primary", key="reports_accept"):
            attempt(lambda: workflow.accept(db, user, report_id=report_id,
                                           handler_id=handler["id"] if handler else None),
                    "已受理。")
    if workflow.can_move(report, workflow.IN_PROGRESS) and report["status"] != workflow.RESOLVED:
        if st.button("开始处理", key="reports_start"):
            attempt(lambda: workflow.start(db, user, report_id=report_id), "已开始处理。")
    if workflow.can_move(report, workflow.RESOLVED):
        with st.form("reports_resolve"):
            note = st.text_area("处理结果（必填）", max_chars=workflow.DESCRIPTION_MAX,
                                key="reports_result")
            note_error = st.empty()
            st.caption("处理后照片：点击 “Upload” 按钮拍照或选择，JPG、PNG 或 WEBP。")
            # No type= filter: the browser's refusal is an English note that still lets the form
            # submit; lib checks the content and answers in Chinese.
            after = st.file_uploader("处理后照片（必填）", key="reports_after_photo",
                                     max_upload_size=UPLOAD_WIDGET_MB)
            photo_error = st.empty()
            other_error = st.empty()
            if st.form_submit_button("办结"):
                attempt(lambda: workflow.resolve(
                    db, user, data_dir=settings.data_dir, report_id=report_id, result_note=note,
                    after_photo=after.getvalue() if after else None), "已办结。",
                    {"result_note": note_error, "after_photo": photo_error, "photo": photo_error,
                     "*": other_error})
    if workflow.can_move(report, workflow.REJECTED):
        with st.form("reports_reject"):
            reason = st.selectbox("不予受理原因", list(workflow.REJECT_REASONS), key="reports_reason",
                                  format_func=workflow.REJECT_REASONS.get)
            duplicate_of = st.number_input("重复的原问题编号（重复时填写）", min_value=0, step=1,
                                           key="reports_duplicate_of")
            transferred_to = st.text_input("转交单位（不属于社区职责时填写）",
                                           key="reports_transferred_to")
            if st.form_submit_button("不予受理"):
                attempt(lambda: workflow.reject(
                    db, user, report_id=report_id, reason=reason,
                    duplicate_of=int(duplicate_of) or None, transferred_to=transferred_to),
                    "已处理为不予受理。")
    # 议事 sits above the reports: a link by its stable address, never an import of it
    st.page_link(ui.PAGE_FILES["admin-council"], label="需要居民协商？转为议事议题",
                 icon=":material/groups:", query_params={"r": str(report_id)})


# The uploader lets a file up to this size through to lib, whose own cap is lower, so an
# oversized photo gets lib's Chinese message instead of the widget's English one.
UPLOAD_WIDGET_MB = 20


def mine(db: Database, user: User) -> None:
    """The reports this account filed, or for a guest those this browser filed."""
    if user.is_guest:
        rows = views.device_reports(db, device_key())
        if not rows:
            st.info("这台手机（浏览器）还没有提交过问题。登录后提交的问题会记在您的账户里。")
            return
        st.caption("以下是在这台手机（浏览器）上提交的问题。")
    else:
        rows = views.my_reports(db, user.id)
        if not rows:
            st.info("您还没有反映过问题。")
    for row in rows:
        with st.container(border=True, key=f"reports_mine_{row['id']}"):
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {local_text(row['created_at'])}")
            st.text(row["description"])
            _open_button("查看详情", row["id"], key=f"reports_mine_open_{row['id']}",
                         token=row.get("follow_token"), tab="我的反映")


@st.cache_data(ttl=60, show_spinner=False)
def _desk_stats(database_path: str) -> dict:
    """Statistics read every 50,000 reports: a minute old is fresh enough for the desk."""
    return views.desk_stats(ui.portal_db())


def desk(db: Database, user: User) -> None:
    """Staff: the queue oldest first with overdue reports marked, charts, and export."""
    summary = views.queue_summary(db)
    st.caption(f"待办 {summary['open']} 件，其中超时未受理 {summary['overdue_accept']} 件、"
               f"超时未办结 {summary['overdue_close']} 件（最早的排在前面）")
    shown = st.session_state.get("reports_queue_shown", PAGE_SIZE)
    queue = views.staff_queue(db, limit=shown)
    for row in queue:
        flag = "⚠ 超时未受理 " if row["overdue_accept"] else ("⚠ 超时未办结 " if row["overdue_close"] else "")
        with st.container(border=True, key=f"reports_queue_{row['id']}"):
            if flag:
                st.error(flag.strip(), icon=":material/schedule:")
            st.text(f"第 {row['id']} 号 · {row['status_label']} · {row['place_name']} · "
                    f"{row['category_name']}")
            st.text(row["description"])
            st.caption(f"{local_text(row['created_at'])}" +
                       (f" · 处理人 {ui.esc(row['handler_name'])}" if row["handler_name"] else ""))
            _open_button("处理", row["id"], key=f"reports_queue_open_{row['id']}", tab="处理台")
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
    st.altair_chart(views.status_chart(stats["by_status"]), width="stretch")
    st.altair_chart(views.category_chart(stats["by_category"]), width="stretch")
    st.altair_chart(views.month_chart(stats["by_month"]), width="stretch")
    st.subheader("导出")
    first_day, today = views.export_default_range()
    start, end = st.columns(2)
    first = start.date_input("开始日期", first_day, key="reports_export_start")
    last = end.date_input("结束日期", today, key="reports_export_end")
    if not st.button("生成导出文件", key="reports_export"):
        return
    rows = views.export_rows(db, start=first, end=last)
    st.caption(f"共 {len(rows)} 条")
    csv_col, xlsx_col = st.columns(2)
    csv_col.download_button("下载 CSV", views.export_csv(rows), file_name="reports.csv",
                            mime="text/csv", key="reports_export_csv", on_click="ignore")
    xlsx_col.download_button("下载 Excel", views.export_xlsx(rows),
                             file_name="reports.xlsx", key="reports_export_xlsx",
                             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             on_click="ignore")
