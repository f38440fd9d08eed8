"""随手拍 rules: filing, +1, every transition and permission, confirmation, points."""
import io
import itertools
from datetime import timedelta

import pytest
from PIL import Image

from lib import points, reports
from lib.clock import utc_now
from lib.db import scalar
from lib.errors import PermissionDenied, ValidationError
from lib.photos import PhotoRejected
from lib.roles import GUEST_USER

_keys = itertools.count(1)


def jpeg(size=(64, 48), color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def place(db):
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('1-1', '1栋1单元',"
               " 'building', 'now')")
    db.conn.commit()
    return 1


@pytest.fixture
def file(db, place, tmp_path):
    def file_report(actor=GUEST_USER, **overrides):
        fields = dict(data_dir=tmp_path, place_id=place, category_id=1,
                      description="楼道里堆满了纸箱，挡住了消防通道", photo_files=[jpeg()],
                      submission_key=f"k{next(_keys)}")
        fields.update(overrides)
        return reports.file_report(db, actor, **fields)

    return file_report


def uploads(tmp_path) -> list:
    folder = tmp_path / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def count(db, table="reports"):
    return scalar(db, f"SELECT COUNT(*) FROM [{table}]")


def test_a_guest_files_a_report_with_a_photo_and_a_timeline_entry(db, file, tmp_path):
    report = file(contact_mobile="13800138000")
    assert report["status"] == reports.PENDING and report["reporter_id"] is None
    assert report["contact_mobile"] == "13800138000"
    assert count(db, "report_photos") == 1 and len(uploads(tmp_path)) == 2  # photo + thumbnail
    assert scalar(db, "SELECT kind FROM report_events WHERE report_id = ?", (report["id"],)) == "filed"


@pytest.mark.parametrize("overrides, field", [
    ({"description": "脏"}, "description"),
    ({"description": "长" * 501}, "description"),
    ({"description": "   "}, "description"),
    ({"place_id": 999}, "place"),
    ({"place_id": None}, "place"),
    ({"category_id": 999}, "category"),
    ({"contact_mobile": "1380013800"}, "mobile"),
    ({"photo_files": [jpeg()] * 4}, "photos"),
])
def test_bad_input_is_refused_and_nothing_is_stored(db, file, tmp_path, overrides, field):
    with pytest.raises(ValidationError) as refused:
        file(**overrides)
    assert field in refused.value.fields
    assert count(db) == 0 and uploads(tmp_path) == []


def test_a_failing_photo_stores_nothing_at_all(db, file, tmp_path):
    with pytest.raises(PhotoRejected):
        file(photo_files=[jpeg(), b"this is a text file, not a photo"])
    assert count(db) == 0 and count(db, "report_photos") == 0 and uploads(tmp_path) == []


def test_a_double_tap_files_one_report(db, file):
    first = file(submission_key="same")
    second = file(submission_key="same")
    assert first["id"] == second["id"] and count(db) == 1


def test_filing_is_rate_limited_per_phone_number(db, file):
    for _ in range(reports.RATE_LIMIT):
        file(contact_mobile="13900001111")
    with pytest.raises(reports.RateLimited):
        file(contact_mobile="13900001111")
    assert count(db) == reports.RATE_LIMIT
    file(contact_mobile="13900002222")  # another number is not affected


def test_only_staff_may_file_for_someone_else(db, file, make_user):
    with pytest.raises(PermissionDenied):
        file(make_user("resident"), proxy_for="王大爷 电话来访")
    report = file(make_user("staff"), proxy_for="王大爷 电话来访")
    assert report["proxy_by"] is not None and report["reporter_id"] is None
    assert scalar(db, "SELECT kind FROM report_events WHERE report_id = ?", (report["id"],)) == "proxy"


def test_similar_open_reports_are_offered_and_metoo_counts_once_per_voter(db, file):
    report = file()
    assert [r["id"] for r in reports.similar_open(db, place_id=1, category_id=1)] == [report["id"]]
    assert reports.similar_open(db, place_id=1, category_id=2) == []
    assert reports.me_too(db, report_id=report["id"], voter="session:a") == 1
    assert reports.me_too(db, report_id=report["id"], voter="session:a") == 1
    assert reports.me_too(db, report_id=report["id"], voter="user:7") == 2


def test_full_lifecycle_with_points_for_the_first_reporter(db, file, make_user, tmp_path):
    resident, staff = make_user("resident"), make_user("staff")
    report = file(resident)
    with pytest.raises(PermissionDenied):
        reports.accept(db, resident, report_id=report["id"])
    accepted = reports.accept(db, staff, report_id=report["id"])
    assert accepted["status"] == reports.ACCEPTED and accepted["handler_id"] == staff.id
    assert points.balance(db, resident.id) == 5
    assert reports.start(db, staff, report_id=report["id"])["status"] == reports.IN_PROGRESS
    with pytest.raises(ValidationError):
        reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="已清理完毕", after_photo=None)
    done = reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                           result_note="纸箱已清理，通道畅通", after_photo=jpeg(color="green"))
    assert done["status"] == reports.RESOLVED and done["closed_at"]
    assert count(db, "report_photos") == 2
    kinds = [row[0] for row in db.execute("SELECT kind FROM report_events ORDER BY id")]
    assert kinds == ["filed", "accepted", "started", "resolved"]


@pytest.mark.parametrize("step", ["start", "resolve", "accept_twice"])
def test_illegal_transitions_are_refused(db, file, make_user, tmp_path, step):
    staff = make_user("staff")
    report = file()
    with pytest.raises(reports.InvalidTransition):
        if step == "start":
            reports.start(db, staff, report_id=report["id"])
        elif step == "resolve":
            reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                            result_note="处理完毕了", after_photo=jpeg())
        else:
            reports.accept(db, staff, report_id=report["id"])
            reports.accept(db, staff, report_id=report["id"])
    assert uploads(tmp_path) and len(uploads(tmp_path)) == 2  # only the filed photo


def test_a_closed_report_cannot_be_closed_again(db, file, make_user, tmp_path):
    staff = make_user("staff")
    report = file()
    reports.reject(db, staff, report_id=report["id"], reason="insufficient")
    with pytest.raises(reports.InvalidTransition):
        reports.reject(db, staff, report_id=report["id"], reason="insufficient")
    with pytest.raises(reports.InvalidTransition):
        reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="处理完毕了", after_photo=jpeg())


def test_rejecting_a_duplicate_links_the_original_and_earns_nothing(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    original = file()
    duplicate = file(resident)
    with pytest.raises(ValidationError):
        reports.reject(db, staff, report_id=duplicate["id"], reason="duplicate")
    closed = reports.reject(db, staff, report_id=duplicate["id"], reason="duplicate",
                            duplicate_of=original["id"])
    assert closed["status"] == reports.REJECTED and closed["duplicate_of"] == original["id"]
    assert points.balance(db, resident.id) == 0


def test_not_our_duty_is_transferred_to_someone_named(db, file, make_user):
    staff = make_user("staff")
    report = file()
    with pytest.raises(ValidationError):
        reports.reject(db, staff, report_id=report["id"], reason="not_ours")
    moved = reports.reject(db, staff, report_id=report["id"], reason="not_ours",
                           transferred_to="街道城管科")
    assert moved["status"] == reports.TRANSFERRED and moved["transferred_to"] == "街道城管科"


def resolved(db, file, make_user, tmp_path, reporter):
    staff = make_user("staff")
    report = file(reporter)
    reports.accept(db, staff, report_id=report["id"])
    reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="已经处理好了", after_photo=jpeg())
    return staff, report


def test_reporter_confirms_and_rates(db, file, make_user, tmp_path):
    resident = make_user("resident")
    _, report = resolved(db, file, make_user, tmp_path, resident)
    with pytest.raises(PermissionDenied):
        reports.confirm(db, make_user("resident"), report_id=report["id"], token=None, solved=True)
    with pytest.raises(ValidationError):
        reports.confirm(db, resident, report_id=report["id"], token=None, solved=True, rating=6)
    done = reports.confirm(db, resident, report_id=report["id"], token=None, solved=True,
                           rating=5, comment="很快就处理了")
    assert (done["confirmation"], done["rating"]) == ("solved", 5)
    with pytest.raises(reports.InvalidTransition):
        reports.confirm(db, resident, report_id=report["id"], token=None, solved=True)


def test_unsolved_reopens_once_then_stays_closed(db, file, make_user, tmp_path):
    staff, report = resolved(db, file, make_user, tmp_path, GUEST_USER)
    token = report["follow_token"]
    with pytest.raises(PermissionDenied):
        reports.confirm(db, GUEST_USER, report_id=report["id"], token="wrong", solved=False)
    reopened = reports.confirm(db, GUEST_USER, report_id=report["id"], token=token, solved=False)
    assert reopened["status"] == reports.IN_PROGRESS and reopened["reopen_count"] == 1
    reports.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="再次处理完毕", after_photo=jpeg())
    final = reports.confirm(db, GUEST_USER, report_id=report["id"], token=token, solved=False,
                            rating=2)
    assert (final["status"], final["confirmation"]) == (reports.RESOLVED, "unsolved")


def test_reacceptance_after_reopening_does_not_award_twice(db, file, make_user, tmp_path):
    resident = make_user("resident")
    resolved(db, file, make_user, tmp_path, resident)
    assert points.balance(db, resident.id) == 5
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger") == 1


def test_monthly_cap_limits_report_points(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    db.execute("UPDATE settings SET value = '12' WHERE key = 'points.report_monthly_cap'")
    db.conn.commit()
    for _ in range(4):
        reports.accept(db, staff, report_id=file(resident)["id"])
    assert points.balance(db, resident.id) == 12  # 5 + 5 + 2 + 0


def test_unanswered_fixes_count_as_confirmed_after_seven_days(db, file, make_user, tmp_path):
    _, report = resolved(db, file, make_user, tmp_path, GUEST_USER)
    assert reports.auto_confirm(db) == 0
    assert reports.auto_confirm(db, now=utc_now() + timedelta(days=8)) == 1
    assert reports.get(db, report["id"])["confirmation"] == "auto"
    assert reports.auto_confirm(db, now=utc_now() + timedelta(days=9)) == 0
