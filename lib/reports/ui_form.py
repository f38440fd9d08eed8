"""Streamlit parts of 随手拍: the report form, "me too" on similar reports, the filed screen."""
from __future__ import annotations

import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.people import org, posters
from lib.people import ui as people_ui
from lib.reports import views, workflow
from lib.reports.ui import UPLOAD_WIDGET_MB, thumbnail, voter


REPORT_LABELS = {"place": "地点", "category": "类别", "description": "问题描述", "photos": "照片",
                 "photo": "照片", "mobile": "联系电话", "proxy_for": "代录对象"}
_FILED = "report_filed_id"
_METOO_NOTE = "report_metoo_note"


def show_filed(db: Database, user: User) -> bool:
    """Once, right after filing: the number, the follow link and its QR code. True if shown.

    The next visit to 随手拍 is a new form.
    """
    filed_id = st.session_state.pop(_FILED, None)
    if filed_id is None:
        return False
    filed = workflow.get(db, filed_id)
    follow_url = f"{ui.public_base_url()}/reports?n={filed['id']}&t={filed['follow_token']}"
    st.success(f"提交成功！问题编号：{filed['id']}。社区工作人员受理后会在这里更新进度。")
    st.write("请保存下面的链接或二维码，随时查看处理进度（无需登录）：")
    st.code(follow_url, language=None, wrap_lines=True)
    copy_link_button()
    if user.is_guest:
        st.caption("这台手机也记住了这个问题：以后打开“问题墙 › 我的反映”就能找到。")
    st.image(posters.qr_png(follow_url, box_size=6), width=180)
    st.page_link(ui.PAGE_FILES["reports"], label="查看处理进度", icon=":material/visibility:",
                 query_params={"n": str(filed["id"]), "t": filed["follow_token"]}, width="stretch")
    st.button("再报一个问题", key="report_again")
    return True


def _me_too(report_id: int, voter: str) -> None:
    """Callback: counted before the page is drawn, so the count and button show it at once."""
    try:
        # callbacks run in the next run's thread: take that run's connection
        workflow.me_too(ui.portal_db(), report_id=report_id, voter=voter)
    except PortalError as error:
        st.session_state[_METOO_NOTE] = (report_id, str(error), False)
    else:
        st.session_state[_METOO_NOTE] = (
            report_id, "已记录，谢谢！社区会优先处理反映人数多的问题。", True)


def similar_reports(db: Database, user: User, place: org.Place | None,
                    category: dict | None) -> None:
    """Open reports of the same kind at the chosen place, each with a 我也遇到 +1 button."""
    if place is None or category is None:
        return
    who = voter(user)
    similar = views.similar_open(db, place_id=place.id, category_id=category["id"], voter=who)
    if not similar:
        return
    st.info("这里已经有人反映了同类问题。如果是同一件事，点“我也遇到”即可，不用重复提交。")
    note = st.session_state.pop(_METOO_NOTE, None)
    for row in similar:
        with st.container(border=True, key=f"report_similar_{row['id']}"):
            st.text(f"第 {row['id']} 号 · {workflow.STATUS_LABELS[row['status']]} · "
                    f"{row['metoo_count']} 人也遇到")
            thumbnail(row["thumbnail"])
            st.text(row["description"][:80])
            st.button("已 +1" if row["voted"] else "我也遇到 +1", key=f"report_metoo_{row['id']}",
                      disabled=row["voted"], on_click=_me_too, args=(row["id"], who))
            if note and note[0] == row["id"]:
                (st.success if note[2] else st.error)(ui.esc(note[1]))


def report_form(db: Database, user: User, place: org.Place | None, device: str) -> None:
    """随手拍's form: place, category, the similar open reports, photos, description; files it.

    Photos are checked as soon as they are chosen; a filed report is shown once by show_filed.
    """
    chosen_place = people_ui.place_select(db, key="report_place", label="问题在哪里", place=place)
    category = st.selectbox("问题类别", workflow.categories(db), index=None, placeholder="请选择",
                            format_func=lambda c: c["name"], key="report_category")
    similar_reports(db, user, chosen_place, category)
    is_proxy = user.at_least(STAFF) and st.toggle("代居民登记（电话或来访）", key="report_is_proxy")
    # One key per report being written: a double tap files once; a new key only after filing.
    st.session_state.setdefault("report_submission_key", uuid.uuid4().hex)
    st.caption("照片：点击下方 “Upload” 按钮可以直接拍照或从相册选择，最多 3 张（可不传），"
               "JPG、PNG 或 WEBP 格式。")
    # Outside the form and without a type= filter: each photo is checked by lib as soon as it is
    # chosen, and a refusal is said in Chinese beside the field (the browser's is English only).
    uploads = st.file_uploader("照片（最多 3 张）", accept_multiple_files=True, key="report_photos",
                               max_upload_size=UPLOAD_WIDGET_MB) or []
    problems = photo_problems(uploads)
    for problem in problems:
        st.error(problem, icon=":material/no_photography:")
    with st.form("report_form"):
        description = st.text_area("问题描述", max_chars=workflow.DESCRIPTION_MAX, key="report_text",
                                   placeholder="例如：3单元楼道堆满纸箱，挡住了消防通道")
        mobile = st.text_input("联系电话（可选，仅工作人员可见）", key="report_mobile", max_chars=14)
        hide_name = not user.is_guest and st.checkbox("不公开我的称呼", key="report_hide_name")
        proxy_for = st.text_input("反映人称呼或电话", key="report_proxy_for") if is_proxy else None
        submitted = st.form_submit_button("提交", type="primary", width="stretch")
    if not submitted:
        return
    if problems:
        st.error("照片有问题，还没有提交：请先删除或更换上面标出的照片。")
        return
    try:
        report = workflow.file_report(
            db, user, data_dir=ui.portal().settings.data_dir,
            place_id=chosen_place.id if chosen_place else None,
            category_id=category["id"] if category else None, description=description,
            photo_files=[upload.getvalue() for upload in uploads],
            submission_key=st.session_state.report_submission_key, contact_mobile=mobile,
            hide_name=hide_name, proxy_for=proxy_for, device_key=device)
    except PortalError as error:
        ui.show_error(error, REPORT_LABELS)
        return
    st.session_state[_FILED] = report["id"]
    st.session_state["report_submission_key"] = uuid.uuid4().hex
    st.session_state.pop("report_photo_checks", None)
    st.rerun()


def photo_problems(uploads: list) -> list[str]:
    """Chinese messages for the chosen photos, checked by lib as soon as they are chosen.

    Each file is checked once per session (by its upload id), so a rerun does not decode it
    again; the report is filed only when this list is empty.
    """
    problems = []
    if len(uploads) > workflow.MAX_PHOTOS:
        problems.append(f"最多上传 {workflow.MAX_PHOTOS} 张照片，现在选了 {len(uploads)} 张："
                        "请删掉多出的照片。")
    for upload in uploads:
        problem = ui.photo_problem(upload, "report_photo_checks")
        if problem:
            problems.append(f"“{upload.name[:40]}”：{problem.rstrip('。')}。"
                            "请删除或换一张照片后再提交。")
    return problems


# Copies the follow link shown in the st.code block above it. Static text only: the script reads
# the link from the page, so no user text (nor any server value) is placed inside it.
_COPY_BUTTON = """<button id="portal-copy-link" type="button" style="width:100%;min-height:48px;
font-size:1.1rem;font-weight:600;border-radius:0.6rem;border:1px solid #C0392B;
background:#C0392B;color:#fff;cursor:pointer">复制链接</button>
<script>
(() => {
  const button = document.getElementById("portal-copy-link");
  if (!button || button.dataset.ready) return;
  button.dataset.ready = "1";
  const done = (ok) => { button.textContent = ok ? "已复制，可粘贴到微信或备忘录" : "请长按上面的链接复制"; };
  button.addEventListener("click", () => {
    const code = document.querySelector("[data-testid='stCode'] code");
    const text = code ? code.innerText.trim() : "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
      return;
    }
    const area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed";
    area.style.opacity = "0"; document.body.appendChild(area); area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
    area.remove(); done(ok);
  });
})();
</script>"""


def copy_link_button() -> None:
    """A visible 复制链接 button (st.code's own copy icon shows only on hover)."""
    st.html(_COPY_BUTTON, unsafe_allow_javascript=True)
