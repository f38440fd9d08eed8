"""AppTest of 志愿服务 (/volunteer): logging hours, bad input, following the review; guests."""
import io
from datetime import timedelta

from PIL import Image

from lib.core.clock import local_today
from lib.core.db import scalar
from lib.people.users import load_user
from lib.volunteer import hours, queries
from tests.app.conftest import login, open_as, texts


PAGE = "app_pages/volunteer.py"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def open_page(app, username: str | None = "resident"):
    return open_as(app, PAGE, username)


def fill(at, *, activity="楼道清扫", half_hours=4, day=None, photo=None):
    at.text_input(key="volunteer_activity").input(activity)
    if half_hours is not None:
        at.selectbox(key="volunteer_hours").set_value(half_hours)
    if day is not None:
        at.date_input(key="volunteer_date").set_value(day)
    if photo is not None:
        at.file_uploader(key="volunteer_photo").set_value(photo)
    at.button(key="FormSubmitter:volunteer_form-提交").click()
    at.run()
    assert not at.exception
    return at


def user_id(db, username: str) -> int:
    return scalar(db, "SELECT id FROM users WHERE username = ?", (username,))


def mine(db, username="resident"):
    return db.execute("SELECT activity, served_on, half_hours, status, photo FROM volunteer_hours"
                      " WHERE user_id = ? AND submission_key NOT LIKE 'demo-%' ORDER BY id",
                      (user_id(db, username),)).fetchall()


def test_a_guest_is_offered_login_and_sees_no_form(app):
    at = open_page(app, None)
    assert "此页面需要登录后使用。" in texts(at.info)
    assert [b.label for b in at.button] == ["登录 / 注册"]
    assert not at.text_input


def test_a_resident_logs_hours_and_sees_them_waiting(app, portal_db):
    at = fill(open_page(app), activity="敬老探访", half_hours=3,
              photo=("visit.jpg", jpeg(), "image/jpeg"))
    assert "已提交，等待微网格长审核。审核通过后积分会自动到账。" in texts(at.success)
    ((activity, day, half, status, photo),) = mine(portal_db)
    assert (activity, day, half, status) == ("敬老探访", local_today().isoformat(), 3, "pending")
    assert photo
    assert any(t.startswith(f"{local_today()} · 敬老探访 · 1.5 小时") for t in texts(at.markdown))
    assert "待审核" in texts(at.info)
    assert at.text_input(key="volunteer_activity").value == ""  # a new form for the next time


def test_hours_a_person_cannot_give_are_refused_beside_their_field(app, portal_db):
    at = fill(open_page(app), activity="  ", half_hours=None)
    errors = texts(at.error)
    assert "服务内容：请填写服务内容。" in errors
    assert "服务时长：服务时长按半小时计，可选 0.5-12 小时（如 0.5、1、1.5、2）。" in errors
    assert mine(portal_db) == []


def test_a_future_date_is_refused_in_chinese(app, portal_db):
    at = fill(open_page(app), day=local_today() + timedelta(days=1))
    assert "服务日期：服务日期不能晚于今天。" in texts(at.error)
    assert mine(portal_db) == []


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_stored(app, portal_db):
    at = fill(open_page(app), photo=("fake.jpg", b"not a photo", "image/jpeg"))
    assert any(e.startswith("照片：文件不是照片") for e in texts(at.error)), texts(at.error)
    assert "照片有问题，还没有提交：请先删除或更换上面的照片。" in texts(at.error)
    assert mine(portal_db) == []


def test_the_review_shows_as_points_or_a_reason_and_the_year_total(app, portal_db):
    resident = user_id(portal_db, "resident")
    staff = load_user(portal_db, user_id(portal_db, "staff"))
    before = scalar(portal_db, "SELECT COALESCE(SUM(half_hours), 0) FROM volunteer_hours"
                               " WHERE user_id = ? AND status = 'approved' AND served_on >= ?",
                    (resident, f"{local_today().year}-01-01"))
    entries = [hours.log_hours(portal_db, staff, activity=name, served_on=local_today(),
                               half_hours=4, key=name, for_user_id=resident)
               for name in ("楼道清扫", "垃圾分类值守")]
    leader = load_user(portal_db, user_id(portal_db, "leader"))
    hours.approve(portal_db, leader, hours_id=entries[0]["id"])
    hours.reject(portal_db, leader, hours_id=entries[1]["id"], reason="当天没有值守安排")
    at = open_page(app)
    assert "已通过 +10 积分" in texts(at.success)
    assert "未通过：当天没有值守安排" in texts(at.error)
    assert at.metric[0].value == hours.hours_text(before + 4)
    assert any("网格员 小周 代录" in t for t in texts(at.markdown))


def test_home_leads_a_resident_to_volunteer_and_a_leader_to_the_waiting_hours(app, portal_db):
    at = login(app(), "resident")
    at.switch_page("app_pages/home.py").run()
    assert "志愿服务 · 登记服务时长" in [link.proto.label for link in at.get("page_link")]
    assert not [link for link in at.get("page_link") if link.proto.page == "admin-volunteer"]
    waiting = len(queries.pending_for(portal_db, load_user(portal_db, user_id(portal_db, "leader"))))
    assert waiting  # the demo leaves the demo resident's hours waiting
    at = login(app(), "leader")
    at.switch_page("app_pages/home.py").run()
    assert f"有 {waiting} 条志愿时长等待您审核。" in texts(at.info)
    assert "admin-volunteer" in [link.proto.page for link in at.get("page_link")]
