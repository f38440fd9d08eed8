"""随手拍: a resident (or a guest from the gate QR code) reports a problem with photos."""
import uuid

import streamlit as st

from lib.core import ui
from lib.core.errors import InvalidTransition, PortalError
from lib.core.roles import STAFF
from lib.people import posters
from lib.people import ui as people_ui
from lib.reports import ui as reports_ui
from lib.reports import views, workflow


FIELD_LABELS = {"place": "地点", "category": "类别", "description": "问题描述", "photos": "照片",
                "photo": "照片", "mobile": "联系电话", "proxy_for": "代录对象"}

db = ui.portal_db()
user = people_ui.current_user(db)
place = people_ui.current_place(db)
settings = ui.portal().settings
device = reports_ui.device_key()  # the cookie is written on the first page a guest opens

st.title("随手拍")
st.caption("看到问题，拍下来告诉社区。不登录也可以提交。")

filed_id = st.session_state.pop("report_filed_id", None)  # shown once; the next visit is a new form
if filed_id is not None:
    filed = workflow.get(db, filed_id)
    follow_path = f"reports?n={filed['id']}&t={filed['follow_token']}"
    st.success(f"提交成功！问题编号：{filed['id']}。社区工作人员受理后会在这里更新进度。")
    st.write("请保存下面的链接或二维码，随时查看处理进度（无需登录）：")
    st.code(f"{ui.public_base_url()}/{follow_path}", language=None, wrap_lines=True)
    reports_ui.copy_link_button()
    if user.is_guest:
        st.caption("这台手机也记住了这个问题：以后打开“问题墙 › 我的反映”就能找到。")
    st.image(posters.qr_png(f"{ui.public_base_url()}/{follow_path}", box_size=6), width=180)
    st.page_link(ui.PAGE_FILES["reports"], label="查看处理进度", icon=":material/visibility:",
                 query_params={"n": str(filed["id"]), "t": filed["follow_token"]}, width="stretch")
    st.button("再报一个问题", key="report_again")
    st.stop()

chosen_place = people_ui.place_select(db, key="report_place", label="问题在哪里", place=place)
categories = workflow.categories(db)
category = st.selectbox("问题类别", categories, index=None, placeholder="请选择",
                        format_func=lambda c: c["name"], key="report_category")


def me_too(report_id: int, voter: str) -> None:
    """Callback: counted before the page is drawn, so the count and button show it at once."""
    try:
        # callbacks run in the next run's thread: take that run's connection
        workflow.me_too(ui.portal_db(), report_id=report_id, voter=voter)
    except InvalidTransition as error:
        st.session_state["report_metoo_note"] = (report_id, str(error), False)
    else:
        st.session_state["report_metoo_note"] = (
            report_id, "已记录，谢谢！社区会优先处理反映人数多的问题。", True)


if chosen_place is not None and category is not None:
    voter = reports_ui.voter(user)
    similar = views.similar_open(db, place_id=chosen_place.id, category_id=category["id"],
                                        voter=voter)
    if similar:
        st.info("这里已经有人反映了同类问题。如果是同一件事，点“我也遇到”即可，不用重复提交。")
        note = st.session_state.pop("report_metoo_note", None)
        for row in similar:
            with st.container(border=True, key=f"report_similar_{row['id']}"):
                st.text(f"第 {row['id']} 号 · {workflow.STATUS_LABELS[row['status']]} · "
                        f"{row['metoo_count']} 人也遇到")
                reports_ui.thumbnail(row["thumbnail"])
                st.text(row["description"][:80])
                st.button("已 +1" if row["voted"] else "我也遇到 +1", key=f"report_metoo_{row['id']}",
                          disabled=row["voted"], on_click=me_too, args=(row["id"], voter))
                if note and note[0] == row["id"]:
                    (st.success if note[2] else st.error)(note[1])

is_proxy = user.at_least(STAFF) and st.toggle("代居民登记（电话或来访）", key="report_is_proxy")
# One key per report being written: a double tap files once; a new key only after filing.
st.session_state.setdefault("report_submission_key", uuid.uuid4().hex)
st.caption("照片：点击下方 “Upload” 按钮可以直接拍照或从相册选择，最多 3 张（可不传），"
           "JPG、PNG 或 WEBP 格式。")
# Outside the form and without a type= filter: each photo is checked by lib as soon as it is
# chosen, and a refusal is said in Chinese beside the field (the browser's is English only).
uploads = st.file_uploader("照片（最多 3 张）", accept_multiple_files=True, key="report_photos",
                           max_upload_size=reports_ui.UPLOAD_WIDGET_MB) or []
photo_problems = reports_ui.photo_problems(uploads)
for problem in photo_problems:
    st.error(problem, icon=":material/no_photography:")
with st.form("report_form"):
    description = st.text_area("问题描述", max_chars=workflow.DESCRIPTION_MAX, key="report_text",
                               placeholder="例如：3单元楼道堆满纸箱，挡住了消防通道")
    mobile = st.text_input("联系电话（可选，仅工作人员可见）", key="report_mobile", max_chars=14)
    hide_name = False
    if not user.is_guest:
        hide_name = st.checkbox("不公开我的称呼", key="report_hide_name")
    proxy_for = st.text_input("反映人称呼或电话", key="report_proxy_for") if is_proxy else None
    submitted = st.form_submit_button("提交", type="primary", width="stretch")

if submitted and photo_problems:
    st.error("照片有问题，还没有提交：请先删除或更换上面标出的照片。")
elif submitted:
    try:
        report = workflow.file_report(
            db, user, data_dir=settings.data_dir,
            place_id=chosen_place.id if chosen_place else None,
            category_id=category["id"] if category else None, description=description,
            photo_files=[upload.getvalue() for upload in uploads],
            submission_key=st.session_state.report_submission_key, contact_mobile=mobile,
            hide_name=hide_name, proxy_for=proxy_for, device_key=device)
    except PortalError as error:
        ui.show_error(error, FIELD_LABELS)
    else:
        st.session_state["report_filed_id"] = report["id"]
        st.session_state["report_submission_key"] = uuid.uuid4().hex
        st.session_state.pop("report_photo_checks", None)
        st.rerun()
