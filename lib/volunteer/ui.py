"""Streamlit parts of 志愿服务: a volunteer logs hours and follows their review.

The 管理 › 志愿审核 screens are in ui_admin.py; both share the entry fields and the photo check.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, rules, ui
from lib.core.clock import local_today
from lib.core.errors import PortalError
from lib.core.roles import RESIDENT, User
from lib.people import ui as people_ui
from lib.volunteer import hours, queries


LABELS = {"activity": "服务内容", "served_on": "服务日期", "half_hours": "服务时长",
          "photo": "照片", "user": "志愿者", "name": "活动名称", "held_on": "活动日期",
          "attendees": "参加者", "reason": "不通过原因"}
HALF_HOUR_CHOICES = list(range(hours.MIN_HALF_HOURS, hours.MAX_HALF_HOURS + 1))
UPLOAD_WIDGET_MB = 20  # above lib's 10 MB, so an oversized photo gets lib's Chinese message
_FLASH = "volunteer_flash"


def flash(message: str) -> None:
    """Say ``message`` once on the next run (after st.rerun), as a success."""
    st.session_state[_FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(ui.esc(message))  # it may quote a name or an event someone typed


def new_key(name: str) -> str:
    """This form's submission key: a double tap logs once; a new key only after success."""
    return st.session_state.setdefault(name, uuid.uuid4().hex)


def entry_fields(prefix: str) -> tuple[str, object, int | None, dict]:
    """Activity, date and hours widgets (inside a form), each with a place for its error below.

    The lib checks what they hold; pass the returned places to ``ui.show_error``.
    """
    places = {}
    activity = st.text_input(LABELS["activity"], key=f"{prefix}_activity", max_chars=hours.TEXT_MAX,
                             placeholder="例如：楼道清扫、垃圾分类值守、敬老探访")
    places["activity"] = st.empty()
    today = local_today()
    # No max_value: a future date is refused by lib with a Chinese message rather than greyed out
    served_on = st.date_input(LABELS["served_on"], value=today, key=f"{prefix}_date",
                              min_value=today - timedelta(days=hours.MAX_AGE_DAYS),
                              format="YYYY-MM-DD")
    places["served_on"] = st.empty()
    half_hours = st.selectbox(LABELS["half_hours"], HALF_HOUR_CHOICES, index=None,
                              placeholder="请选择（0.5-12 小时）", format_func=hours.hours_text,
                              key=f"{prefix}_hours")
    places["half_hours"] = st.empty()
    return activity, served_on, half_hours, places


def photo_field(prefix: str, label: str = "服务照片（可选）") -> tuple[bytes | None, str | None]:
    """An optional photo (camera or album), checked by lib as soon as it is chosen.

    Returns (bytes, problem): the problem is a Chinese message and the form must not submit.
    """
    st.caption("照片（可不传）：点击下方 “Upload” 按钮可以直接拍照或从相册选择，"
               "JPG、PNG 或 WEBP 格式。")
    upload = st.file_uploader(label, key=f"{prefix}_photo",
                              max_upload_size=UPLOAD_WIDGET_MB)
    if upload is None:
        return None, None
    problem = ui.photo_problem(upload, f"{prefix}_photo_checks") or None
    if problem:
        st.error(f"照片：{problem}。请删除或换一张照片后再提交。",
                 icon=":material/no_photography:")
    return upload.getvalue(), problem


def thumbnail(name: str | None) -> None:
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=True)
    if path.exists():
        st.image(str(path), width=140)


def status_text(entry: dict) -> str:
    """待审核 / 已通过 +N 积分 / 未通过：reason, as the volunteer reads it."""
    label = hours.STATUS_LABELS[entry["status"]]
    if entry["status"] == hours.APPROVED:
        return f"{label} +{entry['points']} 积分"
    if entry["status"] == hours.REJECTED:
        return f"{label}：{entry['reject_reason']}"
    return label


def entry_line(entry: dict) -> str:
    return (f"{entry['served_on']} · {entry['activity']} · {hours.hours_text(entry['half_hours'])}"
            + (f"（{entry['proxy_name']} 代录）" if entry.get("proxy_name") else ""))


def volunteer_page(db: Database) -> None:
    """/volunteer: log hours (residents and up), this year's approved hours, my entries."""
    user = people_ui.require_page_role(db, RESIDENT, "volunteer")
    show_flash()
    year = local_today().year
    approved = queries.approved_half_hours(db, user.id, year)
    rate = rules.get(db, "points.volunteer_hour")
    st.metric(f"{year} 年已通过的志愿时长", hours.hours_text(approved))
    st.caption(f"审核通过后每小时得 {rate} 积分（半小时按一半计，不足 1 分不计）。")
    if user.household_status != "verified":
        st.info("您的住户还没有核实：登记的时长由社区工作人员审核。")
    log_form(db, user)
    my_entries(db, user)


def log_form(db: Database, user: User) -> None:
    st.subheader("登记志愿时长")
    photo, problem = photo_field("volunteer")
    with st.form("volunteer_form"):
        activity, served_on, half_hours, places = entry_fields("volunteer")
        submitted = st.form_submit_button("提交", type="primary", width="stretch")
        places["*"] = st.empty()
    if not submitted:
        return
    if problem:
        st.error("照片有问题，还没有提交：请先删除或更换上面的照片。")
        return
    try:
        hours.log_hours(db, user, activity=activity, served_on=served_on, half_hours=half_hours,
                        photo=photo, data_dir=ui.portal().settings.data_dir,
                        key=new_key("volunteer_key"))
    except PortalError as error:
        ui.show_error(error, LABELS, places=places)
        return
    for name in ("volunteer_key", "volunteer_activity", "volunteer_hours", "volunteer_photo"):
        st.session_state.pop(name, None)
    flash("已提交，等待微网格长审核。审核通过后积分会自动到账。")
    st.rerun()


def my_entries(db: Database, user: User) -> None:
    st.subheader("我的志愿记录")
    rows = queries.my_hours(db, user.id)
    if not rows:
        st.info("还没有登记过志愿时长。")
        return
    for entry in rows:
        with st.container(border=True, key=f"volunteer_entry_{entry['id']}"):
            st.markdown(ui.esc(entry_line(entry)))
            text = status_text(entry)
            if entry["status"] == hours.APPROVED:
                st.success(ui.esc(text))
            elif entry["status"] == hours.REJECTED:
                st.error(ui.esc(text))
            else:
                st.info(text)
