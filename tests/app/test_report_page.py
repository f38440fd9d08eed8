"""AppTest of 随手拍: filing from a QR code, bad input, +1 instead of a duplicate."""
import io

from PIL import Image

from lib.core.db import scalar
from tests.app.conftest import by_label, login, texts


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


def fill(at, *, category=1, text="楼道里堆满了纸箱挡路", files=None, mobile=""):
    if category is not None:
        at.selectbox(key="report_category").select_index(category).run()
    if files is not None:
        at.file_uploader(key="report_photos").set_value(files)
    at.text_area(key="report_text").input(text)
    at.text_input(key="report_mobile").input(mobile)
    by_label(at.button, "提交").click()
    at.run()
    return at


def open_report(app, code="1-1"):
    at = app()
    at.switch_page("app_pages/report.py")
    at.query_params["b"] = code
    at.run()
    assert not at.exception
    return at


def test_a_guest_files_from_the_gate_and_gets_a_number_and_a_follow_link(app, portal_db):
    at = open_report(app)
    assert at.selectbox(key="report_place").value.code == "1-1"
    fill(at, files=[("door.jpg", jpeg(), "image/jpeg")], mobile="13800138000")
    assert not at.exception
    assert any("问题编号：1" in message for message in texts(at.success))
    token = scalar(portal_db, "SELECT follow_token FROM reports WHERE id = 1")
    assert any(f"reports?n=1&t={token}" in code.value for code in at.code)
    assert scalar(portal_db, "SELECT COUNT(*) FROM report_photos WHERE report_id = 1") == 1


def test_a_non_image_is_refused_and_nothing_is_stored(app, portal_db):
    at = fill(open_report(app), files=[("fake.jpg", b"not really a photo", "image/jpeg")])
    assert any("照片" in message for message in texts(at.error))
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 0


def test_short_text_and_a_bad_phone_get_clear_messages(app, portal_db):
    at = fill(open_report(app), text="脏", mobile="123")
    errors = texts(at.error)
    assert [e for e in errors if e.startswith("问题描述：")], errors  # each beside its label
    assert [e for e in errors if e.startswith("联系电话：") and "手机号" in e], errors
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 0


def test_an_unknown_place_code_preselects_nothing(app):
    at = open_report(app, "zz-99")
    assert any("没有找到编号为" in message for message in texts(at.warning))
    assert at.selectbox(key="report_place").value is None


def test_an_open_report_of_the_same_place_and_category_is_offered_for_a_plus_one(app, portal_db):
    fill(open_report(app), files=[("a.jpg", jpeg(), "image/jpeg")])
    at = open_report(app)
    at.selectbox(key="report_category").select_index(1).run()
    assert at.button(key="report_metoo_1").label == "我也遇到 +1"
    assert len(at.get("image")) == 1  # the similar report shows its photo
    at.button(key="report_metoo_1").click()
    at.run()
    assert scalar(portal_db, "SELECT metoo_count FROM reports WHERE id = 1") == 1
    # the same run shows the new count and a spent button
    assert any("第 1 号 · 待受理 · 1 人也遇到" in t for t in texts(at.text))
    assert at.button(key="report_metoo_1").label == "已 +1"
    assert at.button(key="report_metoo_1").disabled
    again = open_report(app)  # another browser session of the same device key: still counted once
    again.session_state["portal_device_key"] = at.session_state["portal_device_key"]
    again.selectbox(key="report_category").select_index(1).run()
    assert again.button(key="report_metoo_1").disabled
    assert scalar(portal_db, "SELECT metoo_count FROM reports WHERE id = 1") == 1


def test_a_logged_in_resident_files_as_themself(app, portal_db):
    at = login(app(), "resident")
    at.switch_page("app_pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    at.selectbox(key="report_category").select_index(1).run()
    at.checkbox(key="report_hide_name").check()
    fill(at, category=None)
    row = next(portal_db.query("SELECT reporter_id, hide_name FROM reports"))
    assert row["hide_name"] == 1 and row["reporter_id"] == scalar(
        portal_db, "SELECT id FROM users WHERE username = 'resident'")


def test_staff_can_file_for_a_resident_who_phoned(app, portal_db):
    at = login(app(), "staff")
    at.switch_page("app_pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    at.toggle(key="report_is_proxy").set_value(True).run()
    at.selectbox(key="report_category").select_index(1).run()
    at.text_input(key="report_proxy_for").input("王大爷 电话")
    fill(at, category=None)
    assert scalar(portal_db, "SELECT proxy_for FROM reports") == "王大爷 电话"


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "GIF")
    return buffer.getvalue()


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def photo_errors(at) -> str:
    return " ".join(texts(at.error))


def test_a_refused_photo_gets_the_chinese_message_as_soon_as_it_is_chosen_and_nothing_is_filed(
        app, portal_db):
    at = open_report(app)
    at.selectbox(key="report_category").select_index(1).run()
    at.file_uploader(key="report_photos").set_value([("cat.gif", gif(), "image/gif")]).run()
    assert "cat.gif" in photo_errors(at) and "JPG" in photo_errors(at)  # before any submit
    fill(at, category=None)
    assert "还没有提交" in photo_errors(at)
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 0
    # replacing the photo by a good one files the report
    at.file_uploader(key="report_photos").set_value([("ok.jpg", jpeg(), "image/jpeg")])
    by_label(at.button, "提交").click()
    at.run()
    assert scalar(portal_db, "SELECT COUNT(*) FROM report_photos") == 1


def test_heic_and_oversized_photos_get_chinese_advice(app, portal_db):
    at = open_report(app)
    at.file_uploader(key="report_photos").set_value([
        ("iphone.heic", HEIC, "image/heic"),
        ("huge.jpg", b"\xff\xd8\xff" + b"\x00" * (21 * 1024 * 1024), "image/jpeg")]).run()
    errors = photo_errors(at)
    assert "iphone.heic" in errors and "兼容性最佳" in errors
    assert "huge.jpg" in errors and "MB" in errors
    fill(at)
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 0


def test_a_fourth_photo_is_refused_when_chosen(app, portal_db):
    at = open_report(app)
    at.file_uploader(key="report_photos").set_value(
        [(f"{n}.jpg", jpeg(), "image/jpeg") for n in range(4)]).run()
    assert "最多上传 3 张" in photo_errors(at)
    fill(at)
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 0


def test_the_photo_field_has_no_browser_type_filter_and_lets_lib_judge_big_files(app):
    at = open_report(app)
    uploader = at.file_uploader(key="report_photos")
    assert not list(uploader.proto.type)
    assert uploader.proto.max_upload_size_mb > 10


def test_the_submission_key_stays_the_same_over_reruns_until_a_report_is_filed(app):
    at = open_report(app)
    first = at.session_state["report_submission_key"]
    at.run()
    at.selectbox(key="report_category").select_index(1).run()
    assert at.session_state["report_submission_key"] == first
    fill(at, category=None)
    assert any("提交成功" in s for s in texts(at.success))
    assert at.session_state["report_submission_key"] != first


def test_the_page_has_no_session_limiter_the_lib_limit_applies_per_device(app, portal_db):
    at = open_report(app)
    for n in range(6):
        fill(at, text=f"楼道里堆满了纸箱第{n}次")
        if n < 5:
            assert any("提交成功" in s for s in texts(at.success))
            at.button(key="report_again").click()
            at.run()
    assert any("太频繁" in e for e in texts(at.error))
    assert scalar(portal_db, "SELECT COUNT(DISTINCT device_key) FROM reports") == 1
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports") == 5


def test_after_filing_a_guest_gets_a_copy_button_and_the_full_link(app, portal_db):
    at = fill(open_report(app))
    assert any("复制链接" in str(h.proto.body) for h in at.get("html"))
    assert all(code.proto.wrap_lines for code in at.code)
