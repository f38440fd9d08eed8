"""随手拍 rules: filing, +1, every transition and permission, confirmation, points."""
import io
import itertools
from datetime import timedelta

import pytest
from PIL import Image

from lib.core.clock import utc_now
from lib.core.db import open_db, scalar
from lib.core.errors import (
    InvalidTransition, PermissionDenied, PhotoRejected, RateLimited, ValidationError,
)
from lib.core.roles import GUEST_USER
from lib.points import ledger
from lib.reports import workflow


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
        return workflow.file_report(db, actor, **fields)

    file_report.data_dir = tmp_path
    return file_report


def uploads(tmp_path) -> list:
    folder = tmp_path / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def count(db, table="reports"):
    return scalar(db, f"SELECT COUNT(*) FROM [{table}]")


def test_a_guest_files_a_report_with_a_photo_and_a_timeline_entry(db, file, tmp_path):
    report = file(contact_mobile="13800138000")
    assert report["status"] == workflow.PENDING and report["reporter_id"] is None
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
    for _ in range(workflow.RATE_LIMIT):
        file(contact_mobile="13900001111")
    with pytest.raises(RateLimited):
        file(contact_mobile="13900001111")
    assert count(db) == workflow.RATE_LIMIT
    file(contact_mobile="13900002222")  # another number is not affected


def test_only_staff_may_file_for_someone_else(db, file, make_user):
    with pytest.raises(PermissionDenied):
        file(make_user("resident"), proxy_for="王大爷 电话来访")
    report = file(make_user("staff"), proxy_for="王大爷 电话来访")
    assert report["proxy_by"] is not None and report["reporter_id"] is None
    assert scalar(db, "SELECT kind FROM report_events WHERE report_id = ?", (report["id"],)) == "proxy"


def test_similar_open_reports_are_offered_and_metoo_counts_once_per_voter(db, file):
    report = file()
    assert [r["id"] for r in workflow.similar_open(db, place_id=1, category_id=1)] == [report["id"]]
    assert workflow.similar_open(db, place_id=1, category_id=2) == []
    assert workflow.me_too(db, report_id=report["id"], voter="session:a") == 1
    assert workflow.me_too(db, report_id=report["id"], voter="session:a") == 1
    assert workflow.me_too(db, report_id=report["id"], voter="user:7") == 2


def test_full_lifecycle_with_points_for_the_first_reporter(db, file, make_user, tmp_path):
    resident, staff = make_user("resident"), make_user("staff")
    report = file(resident)
    with pytest.raises(PermissionDenied):
        workflow.accept(db, resident, report_id=report["id"])
    accepted = workflow.accept(db, staff, report_id=report["id"])
    assert accepted["status"] == workflow.ACCEPTED and accepted["handler_id"] == staff.id
    assert ledger.balance(db, resident.id) == 5
    assert workflow.start(db, staff, report_id=report["id"])["status"] == workflow.IN_PROGRESS
    with pytest.raises(ValidationError):
        workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="已清理完毕", after_photo=None)
    done = workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                           result_note="纸箱已清理，通道畅通", after_photo=jpeg(color="green"))
    assert done["status"] == workflow.RESOLVED and done["closed_at"]
    assert count(db, "report_photos") == 2
    kinds = [row[0] for row in db.execute("SELECT kind FROM report_events ORDER BY id")]
    assert kinds == ["filed", "accepted", "started", "resolved"]


@pytest.mark.parametrize("step", ["start", "resolve", "accept_twice"])
def test_illegal_transitions_are_refused(db, file, make_user, tmp_path, step):
    staff = make_user("staff")
    report = file()
    with pytest.raises(InvalidTransition):
        if step == "start":
            workflow.start(db, staff, report_id=report["id"])
        elif step == "resolve":
            workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                            result_note="处理完毕了", after_photo=jpeg())
        else:
            workflow.accept(db, staff, report_id=report["id"])
            workflow.accept(db, staff, report_id=report["id"])
    assert uploads(tmp_path) and len(uploads(tmp_path)) == 2  # only the filed photo


def test_a_closed_report_cannot_be_closed_again(db, file, make_user, tmp_path):
    staff = make_user("staff")
    report = file()
    workflow.reject(db, staff, report_id=report["id"], reason="insufficient")
    with pytest.raises(InvalidTransition):
        workflow.reject(db, staff, report_id=report["id"], reason="insufficient")
    with pytest.raises(InvalidTransition):
        workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="处理完毕了", after_photo=jpeg())


def test_rejecting_a_duplicate_links_the_original_and_earns_nothing(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    original = file()
    duplicate = file(resident)
    with pytest.raises(ValidationError):
        workflow.reject(db, staff, report_id=duplicate["id"], reason="duplicate")
    closed = workflow.reject(db, staff, report_id=duplicate["id"], reason="duplicate",
                            duplicate_of=original["id"])
    assert closed["status"] == workflow.REJECTED and closed["duplicate_of"] == original["id"]
    assert ledger.balance(db, resident.id) == 0


def test_not_our_duty_is_transferred_to_someone_named(db, file, make_user):
    staff = make_user("staff")
    report = file()
    with pytest.raises(ValidationError):
        workflow.reject(db, staff, report_id=report["id"], reason="not_ours")
    moved = workflow.reject(db, staff, report_id=report["id"], reason="not_ours",
                           transferred_to="街道城管科")
    assert moved["status"] == workflow.TRANSFERRED and moved["transferred_to"] == "街道城管科"


def resolved(db, file, make_user, tmp_path, reporter):
    staff = make_user("staff")
    report = file(reporter)
    workflow.accept(db, staff, report_id=report["id"])
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="已经处理好了", after_photo=jpeg())
    return staff, report


def test_reporter_confirms_and_rates(db, file, make_user, tmp_path):
    resident = make_user("resident")
    _, report = resolved(db, file, make_user, tmp_path, resident)
    with pytest.raises(PermissionDenied):
        workflow.confirm(db, make_user("resident"), report_id=report["id"], token=None, solved=True)
    with pytest.raises(ValidationError):
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True, rating=6)
    done = workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True,
                           rating=5, comment="很快就处理了")
    assert (done["confirmation"], done["rating"]) == ("solved", 5)
    with pytest.raises(InvalidTransition):
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True)


def test_unsolved_reopens_once_then_stays_closed(db, file, make_user, tmp_path):
    staff, report = resolved(db, file, make_user, tmp_path, GUEST_USER)
    token = report["follow_token"]
    with pytest.raises(PermissionDenied):
        workflow.confirm(db, GUEST_USER, report_id=report["id"], token="wrong", solved=False)
    reopened = workflow.confirm(db, GUEST_USER, report_id=report["id"], token=token, solved=False)
    assert reopened["status"] == workflow.IN_PROGRESS and reopened["reopen_count"] == 1
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="再次处理完毕", after_photo=jpeg())
    final = workflow.confirm(db, GUEST_USER, report_id=report["id"], token=token, solved=False,
                            rating=2)
    assert (final["status"], final["confirmation"]) == (workflow.RESOLVED, "unsolved")


def test_a_reopened_report_cannot_be_accepted_again_and_earns_its_points_once(
        db, file, make_user, tmp_path):
    resident = make_user("resident")
    staff, report = resolved(db, file, make_user, tmp_path, resident)
    assert ledger.balance(db, resident.id) == 5
    reopened = workflow.confirm(db, resident, report_id=report["id"], token=None, solved=False)
    assert reopened["status"] == workflow.IN_PROGRESS and reopened["reopen_count"] == 1
    with pytest.raises(InvalidTransition):  # the lifecycle never re-accepts
        workflow.accept(db, staff, report_id=report["id"])
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="二次处理完毕", after_photo=jpeg())
    workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True, rating=4)
    assert ledger.balance(db, resident.id) == 5
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger") == 1
    kinds = [row[0] for row in db.execute("SELECT kind FROM report_events ORDER BY id")]
    assert kinds == ["filed", "accepted", "resolved", "reopened", "resolved", "confirmed"]


def test_awarding_a_reports_points_twice_pays_once(db, file, make_user):
    """The ledger key is what stops a second acceptance paying: call the award twice."""
    resident, staff = make_user("resident"), make_user("staff")
    report = workflow.accept(db, staff, report_id=file(resident)["id"])
    workflow._award_reporter(db, report)
    assert ledger.balance(db, resident.id) == 5
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger") == 1


def test_a_disabled_reporter_earns_nothing_when_accepted(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    report = file(resident)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (resident.id,))
    db.conn.commit()
    workflow.accept(db, staff, report_id=report["id"])
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger") == 0


def test_the_award_reason_names_the_report(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    report = file(resident)
    workflow.accept(db, staff, report_id=report["id"])
    row = db.execute("SELECT reason, idempotency_key, kind, actor_id FROM points_ledger").fetchone()
    assert row == (f"随手拍第 {report['id']} 号被受理", f"report:{report['id']}:accepted",
                   ledger.KIND_REPORT, None)


# --- who may move a report: every transition, every role --------------------------------------

def snapshot(db):
    """Everything a refused step must leave as it was."""
    return (db.execute("SELECT * FROM reports ORDER BY id").fetchall(),
            db.execute("SELECT * FROM report_events ORDER BY id").fetchall(),
            db.execute("SELECT * FROM report_photos ORDER BY id").fetchall(),
            db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall())


def at_stage(db, file, make_user, stage, reporter=GUEST_USER):
    """A report filed by ``reporter`` and moved by a staff member up to ``stage``."""
    staff = make_user("staff")
    report = file(reporter)
    if stage in ("accepted", "resolved"):
        workflow.accept(db, staff, report_id=report["id"])
    if stage == "resolved":
        workflow.resolve(db, staff, data_dir=file.data_dir, report_id=report["id"],
                        result_note="已经处理好了", after_photo=jpeg())
    return workflow.get(db, report["id"])


STEPS = {
    # step: (stage it starts from, status it ends in)
    "accept": ("pending", workflow.ACCEPTED),
    "start": ("accepted", workflow.IN_PROGRESS),
    "resolve": ("accepted", workflow.RESOLVED),
    "reject": ("pending", workflow.REJECTED),
    "transfer": ("pending", workflow.TRANSFERRED),
}


def do_step(db, actor, step, report_id, data_dir):
    if step == "accept":
        return workflow.accept(db, actor, report_id=report_id)
    if step == "start":
        return workflow.start(db, actor, report_id=report_id)
    if step == "resolve":
        return workflow.resolve(db, actor, data_dir=data_dir, report_id=report_id,
                               result_note="纸箱已清理，通道畅通", after_photo=jpeg())
    if step == "reject":
        return workflow.reject(db, actor, report_id=report_id, reason="insufficient")
    return workflow.reject(db, actor, report_id=report_id, reason="not_ours",
                          transferred_to="街道城管科")


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("role", ["guest", "resident", "leader"])
def test_only_staff_move_a_report_and_a_refusal_changes_nothing(
        db, file, make_user, tmp_path, step, role):
    report = at_stage(db, file, make_user, STEPS[step][0])
    actor = GUEST_USER if role == "guest" else make_user(role)
    before, files = snapshot(db), uploads(tmp_path)
    with pytest.raises(PermissionDenied):
        do_step(db, actor, step, report["id"], tmp_path)
    assert snapshot(db) == before and uploads(tmp_path) == files


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_move_a_report(db, file, make_user, tmp_path, step, role):
    report = at_stage(db, file, make_user, STEPS[step][0])
    actor = make_user(role)
    moved = do_step(db, actor, step, report["id"], tmp_path)
    assert moved["status"] == STEPS[step][1]
    event = db.execute("SELECT actor_id, from_status, to_status FROM report_events"
                       " ORDER BY id DESC").fetchone()
    assert event == (actor.id, report["status"], STEPS[step][1])
    audit = db.execute("SELECT actor_id, action, target_id FROM audit_log ORDER BY id DESC"
                       ).fetchone()
    assert audit[0] == actor.id and audit[2] == str(report["id"])


@pytest.mark.parametrize("step", list(STEPS))
def test_staff_cannot_reopen_or_move_a_resolved_report(db, file, make_user, tmp_path, step):
    report = at_stage(db, file, make_user, "resolved", reporter=make_user("resident"))
    before, files = snapshot(db), uploads(tmp_path)
    with pytest.raises(InvalidTransition):
        do_step(db, make_user("admin"), step, report["id"], tmp_path)
    assert snapshot(db) == before and uploads(tmp_path) == files


def test_only_the_reporters_unsolved_reopens_and_only_once(db, file, make_user, tmp_path):
    resident = make_user("resident")
    report = at_stage(db, file, make_user, "resolved", reporter=resident)
    workflow.confirm(db, resident, report_id=report["id"], token=None, solved=False)
    staff = make_user("staff")
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="再次处理完毕", after_photo=jpeg())
    with pytest.raises(InvalidTransition):
        workflow.start(db, staff, report_id=report["id"])
    final = workflow.confirm(db, resident, report_id=report["id"], token=None, solved=False)
    assert (final["status"], final["confirmation"], final["reopen_count"]) == (
        workflow.RESOLVED, "unsolved", 1)
    assert final["closed_at"] is not None


@pytest.mark.parametrize("role", ["staff", "admin", "leader", "resident"])
@pytest.mark.parametrize("solved", [True, False])
def test_nobody_but_the_reporter_confirms(db, file, make_user, tmp_path, role, solved):
    report = at_stage(db, file, make_user, "resolved", reporter=make_user("resident"))
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        workflow.confirm(db, make_user(role), report_id=report["id"], token=None, solved=solved,
                        rating=5)
    assert snapshot(db) == before


def test_a_follow_token_from_another_report_is_refused(db, file, make_user, tmp_path):
    mine = at_stage(db, file, make_user, "resolved")
    other = at_stage(db, file, make_user, "resolved")
    before = snapshot(db)
    for token in (other["follow_token"], "", None, mine["follow_token"][:-1]):
        with pytest.raises(PermissionDenied):
            workflow.confirm(db, GUEST_USER, report_id=mine["id"], token=token, solved=True)
    assert snapshot(db) == before
    done = workflow.confirm(db, GUEST_USER, report_id=mine["id"], token=mine["follow_token"],
                           solved=True, rating=1)
    assert (done["confirmation"], done["rating"]) == ("solved", 1)


@pytest.mark.parametrize("rating", [0, 6, -1, 2.5, "5", 100, True])
def test_a_rating_outside_one_to_five_is_refused(db, file, make_user, tmp_path, rating):
    resident = make_user("resident")
    report = at_stage(db, file, make_user, "resolved", reporter=resident)
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True,
                        rating=rating)
    assert "rating" in refused.value.fields
    assert snapshot(db) == before


def test_a_report_not_yet_resolved_needs_no_confirmation(db, file, make_user):
    resident = make_user("resident")
    report = at_stage(db, file, make_user, "accepted", reporter=resident)
    with pytest.raises(InvalidTransition):
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True)
    assert workflow.get(db, report["id"])["confirmation"] is None


def test_monthly_cap_limits_report_points(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    db.execute("UPDATE settings SET value = '12' WHERE key = 'points.report_monthly_cap'")
    db.conn.commit()
    for _ in range(4):
        workflow.accept(db, staff, report_id=file(resident)["id"])
    assert ledger.balance(db, resident.id) == 12  # 5 + 5 + 2 + 0


def test_unanswered_fixes_count_as_confirmed_after_seven_days(db, file, make_user, tmp_path):
    _, report = resolved(db, file, make_user, tmp_path, GUEST_USER)
    assert workflow.auto_confirm(db) == 0
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=8)) == 1
    assert workflow.get(db, report["id"])["confirmation"] == "auto"
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=9)) == 0


def test_auto_confirm_leaves_answered_reopened_and_fresh_fixes_alone(db, file, make_user, tmp_path):
    answered = at_stage(db, file, make_user, "resolved")
    reopened = at_stage(db, file, make_user, "resolved")
    fresh = at_stage(db, file, make_user, "resolved")
    workflow.confirm(db, GUEST_USER, report_id=answered["id"], token=answered["follow_token"],
                    solved=True, rating=5)
    workflow.confirm(db, GUEST_USER, report_id=reopened["id"], token=reopened["follow_token"],
                    solved=False)
    db.execute("UPDATE reports SET closed_at = ? WHERE id = ?",
               (workflow.to_iso(utc_now() - timedelta(days=2)), fresh["id"]))
    db.conn.commit()
    before = snapshot(db)
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=4)) == 0
    assert snapshot(db) == before
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=5, hours=1)) == 1
    assert workflow.get(db, fresh["id"])["confirmation"] == "auto"
    assert workflow.get(db, answered["id"])["confirmation"] == "solved"
    assert workflow.get(db, reopened["id"])["status"] == workflow.IN_PROGRESS


def test_auto_confirm_takes_its_days_from_the_rules_table_and_says_so(db, file, make_user, tmp_path):
    report = at_stage(db, file, make_user, "resolved")
    db.execute("UPDATE settings SET value = '3' WHERE key = 'reports.confirm_within_days'")
    db.conn.commit()
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=2, hours=23)) == 0
    assert workflow.auto_confirm(db, now=utc_now() + timedelta(days=3, minutes=1)) == 1
    event = db.execute("SELECT actor_id, kind, from_status, to_status, note FROM report_events"
                       " WHERE report_id = ? ORDER BY id DESC", (report["id"],)).fetchone()
    assert event == (None, "auto_confirmed", "resolved", "resolved", "3 天内未答复，视为已解决")


def test_auto_confirm_with_nothing_due_takes_no_write_lock(db, file, make_user, tmp_path):
    at_stage(db, file, make_user, "resolved")
    other = open_db(db.conn.execute("PRAGMA database_list").fetchone()[2], migrate=False)
    db.execute("PRAGMA busy_timeout = 50")
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock: a read-only sweep still runs
    try:
        assert workflow.auto_confirm(db) == 0
    finally:
        other.conn.rollback()
        other.conn.close()


# --- the details people see: limits, messages, what is stored -----------------------------------

def test_description_and_photo_limits_are_inclusive(db, file):
    assert file(description="  一二三四五  ")["description"] == "一二三四五"
    assert len(file(description="长" * workflow.DESCRIPTION_MAX)["description"]) == 500
    assert count(db, "report_photos") == 2
    file(photo_files=[jpeg()] * workflow.MAX_PHOTOS)
    assert count(db, "report_photos") == 5


@pytest.mark.parametrize("overrides, fields", [
    ({"description": "一二三四"}, {"description": "请用至少 5 个字描述问题。"}),
    ({"description": "长" * 501}, {"description": "描述请不超过 500 个字（现在 501 个字）。"}),
    ({"place_id": 999, "category_id": 999},
     {"place": "请选择问题所在的楼栋或地点。", "category": "请选择问题类别。"}),
    ({"photo_files": [jpeg()] * 4}, {"photos": "最多上传 3 张照片。"}),
])
def test_filing_refusals_say_exactly_what_to_fix(db, file, overrides, fields):
    with pytest.raises(ValidationError) as refused:
        file(**overrides)
    assert refused.value.fields == fields


def test_an_inactive_category_cannot_be_chosen(db, file):
    db.execute("UPDATE report_categories SET active = 0 WHERE id = 1")
    db.conn.commit()
    assert 1 not in [c["id"] for c in workflow.categories(db)]
    with pytest.raises(ValidationError) as refused:
        file(category_id=1)
    assert set(refused.value.fields) == {"category"}


def test_categories_come_in_their_sort_order(db):
    names = [c["name"] for c in workflow.categories(db)]
    assert names[0] == "环境卫生" and names[-1] == "其他" and len(names) == 9


def test_a_proxy_report_needs_a_name_and_stores_it_trimmed(db, file, make_user):
    staff = make_user("staff")
    with pytest.raises(ValidationError) as refused:
        file(staff, proxy_for="   ")
    assert refused.value.fields == {"proxy_for": "代录时请填写反映人的称呼或联系方式。"}
    report = file(staff, proxy_for="  王大爷 " + "长" * 60)
    assert report["proxy_for"] == ("王大爷 " + "长" * 60)[:40]
    assert (report["proxy_by"], report["reporter_id"], report["hide_name"]) == (staff.id, None, 0)
    event = db.execute("SELECT actor_id, kind, to_status FROM report_events").fetchone()
    assert event == (staff.id, "proxy", "pending")


def test_a_resident_is_the_reporter_and_may_hide_their_name_a_guest_has_none_to_hide(db, file,
                                                                                     make_user):
    resident = make_user("resident")
    mine = file(resident, hide_name=True)
    assert (mine["reporter_id"], mine["hide_name"], mine["proxy_by"]) == (resident.id, 1, None)
    assert file(resident)["hide_name"] == 0
    guest = file(GUEST_USER, hide_name=True)
    assert (guest["reporter_id"], guest["hide_name"]) == (None, 0)
    events = db.execute("SELECT actor_id, kind, from_status, to_status FROM report_events"
                        " ORDER BY id").fetchall()
    assert events == [(resident.id, "filed", None, "pending")] * 2 + [(None, "filed", None, "pending")]
    audit = db.execute("SELECT actor_id, action, target_type, target_id FROM audit_log"
                       " ORDER BY id").fetchall()
    assert audit[0] == (resident.id, "report.file", "report", str(mine["id"]))
    assert len(mine["follow_token"]) == 16 and mine["follow_token"] != guest["follow_token"]


def test_filing_is_rate_limited_per_account_but_not_for_staff(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    for _ in range(workflow.RATE_LIMIT):
        file(resident)
        file(staff)
    with pytest.raises(RateLimited) as limited:
        file(resident)
    assert str(limited.value) == "您提交太频繁，请 10 分钟后再试。"
    file(staff)  # staff file many reports from phone calls
    file(make_user("resident"))  # another account is not affected


def test_the_rate_limit_forgets_reports_older_than_its_window(db, file, make_user):
    resident = make_user("resident")
    for _ in range(workflow.RATE_LIMIT):
        file(resident, contact_mobile="13900001111")
    old = workflow.to_iso(utc_now() - workflow.RATE_WINDOW - timedelta(seconds=5))
    db.execute("UPDATE reports SET created_at = ?", (old,))
    db.conn.commit()
    file(resident, contact_mobile="13900001111")
    with pytest.raises(RateLimited) as limited:
        for _ in range(workflow.RATE_LIMIT):
            file(make_user("resident"), contact_mobile="13900001111")
    assert str(limited.value) == "该手机号提交太频繁，请 10 分钟后再试。"


def test_similar_open_lists_only_open_reports_newest_first_five_at_most(db, file, make_user,
                                                                        tmp_path):
    staff = make_user("staff")
    ids = [file()["id"] for _ in range(8)]
    workflow.accept(db, staff, report_id=ids[0])
    workflow.start(db, staff, report_id=ids[0])
    workflow.reject(db, staff, report_id=ids[7], reason="insufficient")
    workflow.accept(db, staff, report_id=ids[6])
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=ids[6], result_note="已经清理完毕",
                    after_photo=jpeg())
    found = workflow.similar_open(db, place_id=1, category_id=1)  # six are open: five shown
    assert [r["id"] for r in found] == [ids[5], ids[4], ids[3], ids[2], ids[1]]
    ids = ids[1:]
    assert [r["id"] for r in workflow.similar_open(db, place_id=1, category_id=1, limit=2)] == \
        [ids[4], ids[3]]
    assert set(found[0]) == {"id", "description", "status", "metoo_count", "created_at"}


def test_metoo_on_a_closed_report_is_refused_and_a_long_voter_is_cut(db, file, make_user):
    staff = make_user("staff")
    report = file()
    assert workflow.me_too(db, report_id=report["id"], voter="v" * 200) == 1
    assert workflow.me_too(db, report_id=report["id"], voter="v" * 80 + "x") == 1
    assert scalar(db, "SELECT voter FROM report_metoo") == "v" * 80
    workflow.reject(db, staff, report_id=report["id"], reason="insufficient")
    with pytest.raises(InvalidTransition) as refused:
        workflow.me_too(db, report_id=report["id"], voter="late")
    assert str(refused.value) == "该问题已办结，无需再 +1。"
    assert workflow.get(db, report["id"])["metoo_count"] == 1


def test_a_missing_report_is_not_found_by_number(db, make_user):
    with pytest.raises(workflow.NotFound) as missing:
        workflow.get(db, 4242)
    assert str(missing.value) == "找不到编号为 4242 的问题。"


def test_accepting_assigns_a_staff_handler_with_a_note(db, file, make_user):
    staff, other, resident = make_user("staff"), make_user("admin"), make_user("resident")
    report = file()
    with pytest.raises(ValidationError) as refused:
        workflow.accept(db, staff, report_id=report["id"], handler_id=resident.id)
    assert refused.value.fields == {"handler": "处理人须为社区工作人员。"}
    make_user("staff", username="gone", disabled=1)
    gone = scalar(db, "SELECT id FROM users WHERE username = 'gone'")
    with pytest.raises(ValidationError):
        workflow.accept(db, staff, report_id=report["id"], handler_id=gone)
    assert workflow.get(db, report["id"])["status"] == workflow.PENDING
    done = workflow.accept(db, staff, report_id=report["id"], handler_id=other.id,
                          note="  " + "注" * 300)
    assert done["handler_id"] == other.id and done["accepted_at"]
    note = scalar(db, "SELECT note FROM report_events WHERE kind = 'accepted'")
    assert note == "注" * 200
    audit = db.execute("SELECT actor_id, action, detail FROM audit_log ORDER BY id DESC").fetchone()
    assert audit == (staff.id, "report.accepted", '{"to": "accepted"}')


def test_an_illegal_move_names_both_statuses(db, file, make_user):
    staff = make_user("staff")
    report = file()
    with pytest.raises(InvalidTransition) as refused:
        workflow.start(db, staff, report_id=report["id"])
    assert str(refused.value) == "当前状态为“待受理”，不能改为“处理中”。"


def test_the_monthly_cap_counts_only_this_months_report_points(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    db.execute("UPDATE settings SET value = '5' WHERE key = 'points.report_monthly_cap'")
    db.conn.execute("INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key,"
                    " created_at) VALUES (?, 5, 'report', '', 'old', '2020-01-01T00:00:00Z'),"
                    " (?, 50, 'special', '', 'other-kind', ?)",
                    (resident.id, resident.id, workflow.to_iso(utc_now())))
    db.conn.commit()
    workflow.accept(db, staff, report_id=file(resident)["id"])
    assert ledger.balance(db, resident.id) == 60
    workflow.accept(db, staff, report_id=file(resident)["id"])
    assert ledger.balance(db, resident.id) == 60


@pytest.mark.parametrize("note, ok", [("一二三四", False), ("一二三四五", True),
                                      ("长" * 500, True), ("长" * 501, False)])
def test_the_result_note_is_five_to_five_hundred_characters(db, file, make_user, tmp_path,
                                                            note, ok):
    staff = make_user("staff")
    report = at_stage(db, file, make_user, "accepted")
    call = lambda: workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],  # noqa: E731
                                   result_note=f"  {note}  ", after_photo=jpeg())
    if ok:
        assert call()["result_note"] == note
    else:
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.fields == {"result_note": "请用 5-500 个字说明处理结果。"}


def test_resolving_stores_the_after_photo_and_closes(db, file, make_user, tmp_path):
    staff = make_user("staff")
    report = at_stage(db, file, make_user, "accepted")
    with pytest.raises(ValidationError) as refused:
        workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="已经处理好了", after_photo=b"")
    assert refused.value.fields == {"after_photo": "请上传一张处理后的照片。"}
    done = workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                           result_note="已经处理好了", after_photo=jpeg())
    assert done["closed_at"] and done["status"] == workflow.RESOLVED
    stages = [r[0] for r in db.execute("SELECT stage FROM report_photos ORDER BY id")]
    assert stages == ["before", "after"]
    with pytest.raises(InvalidTransition) as again:
        workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="已经处理好了", after_photo=jpeg())
    assert str(again.value) == "该问题当前不能办结。"
    assert len(uploads(tmp_path)) == 4  # before and after, each with its thumbnail


def test_rejecting_records_the_reason_and_the_detail(db, file, make_user):
    staff = make_user("staff")
    original, report = file(), file()
    with pytest.raises(ValidationError) as refused:
        workflow.reject(db, staff, report_id=report["id"], reason="duplicate",
                       duplicate_of=report["id"])
    assert refused.value.fields == {"duplicate_of": "请填写与之重复的原问题编号。"}
    with pytest.raises(ValidationError):
        workflow.reject(db, staff, report_id=report["id"], reason="duplicate", duplicate_of=999)
    with pytest.raises(ValidationError) as refused:
        workflow.reject(db, staff, report_id=report["id"], reason="whatever")
    assert refused.value.fields == {"reason": "请选择不予受理的原因。"}
    with pytest.raises(ValidationError) as refused:
        workflow.reject(db, staff, report_id=report["id"], reason="not_ours", transferred_to="  ")
    assert refused.value.fields == {"transferred_to": "请填写转交的单位或部门。"}
    closed = workflow.reject(db, staff, report_id=report["id"], reason="duplicate",
                            duplicate_of=original["id"], transferred_to="街道", note=" 同一处 ")
    assert (closed["reject_reason"], closed["duplicate_of"], closed["transferred_to"]) == (
        "duplicate", original["id"], "")
    assert closed["closed_at"]
    note = scalar(db, "SELECT note FROM report_events WHERE kind = 'rejected'")
    assert note == f"重复，转交街道，与第 {original['id']} 号重复：同一处"
    moved = workflow.reject(db, staff, report_id=original["id"], reason="not_ours",
                           transferred_to=" " + "城" * 70, duplicate_of=report["id"])
    assert (moved["transferred_to"], moved["duplicate_of"]) == ("城" * 60, None)
    assert scalar(db, "SELECT note FROM report_events WHERE report_id = ? AND kind = 'rejected'",
                  (original["id"],)) == "不属于社区职责，转交" + "城" * 60
    plain = workflow.reject(db, staff, report_id=file()["id"], reason="insufficient")
    assert (plain["reject_reason"], plain["transferred_to"]) == ("insufficient", "")
    assert scalar(db, "SELECT note FROM report_events WHERE report_id = ? AND kind = 'rejected'",
                  (plain["id"],)) == "信息不足"


def test_a_confirmation_stores_the_rating_and_a_trimmed_comment(db, file, make_user, tmp_path):
    resident = make_user("resident")
    report = at_stage(db, file, make_user, "resolved", reporter=resident)
    done = workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True,
                           rating=3, comment="  " + "好" * 250)
    assert (done["confirmation"], done["rating"], done["rating_comment"]) == (
        "solved", 3, "好" * 200)
    event = db.execute("SELECT actor_id, kind, from_status, to_status, note FROM report_events"
                       " ORDER BY id DESC").fetchone()
    assert event == (resident.id, "confirmed", "resolved", "resolved", "好" * 200)
    assert done["closed_at"] == report["closed_at"] and done["reopen_count"] == 0


def test_an_unsolved_answer_reopens_with_the_reporters_words(db, file, make_user, tmp_path):
    report = at_stage(db, file, make_user, "resolved")
    reopened = workflow.confirm(db, GUEST_USER, report_id=report["id"],
                               token=report["follow_token"], solved=False)
    assert (reopened["confirmation"], reopened["closed_at"], reopened["rating"]) == (None, None, None)
    event = db.execute("SELECT actor_id, kind, from_status, to_status, note FROM report_events"
                       " ORDER BY id DESC").fetchone()
    assert event == (None, "reopened", "resolved", "in_progress", "反映人表示未解决")
    staff = make_user("staff")
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="再次处理完毕", after_photo=jpeg())
    final = workflow.confirm(db, GUEST_USER, report_id=report["id"], token=report["follow_token"],
                            solved=False, comment="还是漏")
    event = db.execute("SELECT actor_id, kind, from_status, to_status, note FROM report_events"
                       " ORDER BY id DESC").fetchone()
    assert event == (None, "unsolved", "resolved", "resolved", "还是漏")
    assert final["closed_at"] is not None and final["reopen_count"] == 1


def test_staff_members_are_the_active_staff_and_admins(db, make_user):
    admin, staff = make_user("admin"), make_user("staff")
    make_user("staff", disabled=1)
    make_user("leader")
    make_user("resident")
    assert [m["id"] for m in workflow.staff_members(db)] == [staff.id, admin.id]  # role DESC
    assert set(workflow.staff_members(db)[0]) == {"id", "display_name"}


def test_steps_without_a_note_leave_the_note_empty(db, file, make_user, tmp_path):
    staff, resident = make_user("staff"), make_user("resident")
    report = file(resident)
    workflow.accept(db, staff, report_id=report["id"])
    workflow.start(db, staff, report_id=report["id"])
    workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                    result_note="已经处理好了", after_photo=jpeg())
    done = workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True)
    notes = [r[0] for r in db.execute("SELECT note FROM report_events ORDER BY id")]
    assert notes == ["", "", "", "已经处理好了", ""]
    assert (done["rating"], done["rating_comment"]) == (None, "")


def test_a_start_note_is_kept_to_two_hundred_characters(db, file, make_user):
    staff = make_user("staff")
    report = at_stage(db, file, make_user, "accepted")
    workflow.start(db, staff, report_id=report["id"], note=" " + "记" * 250)
    assert scalar(db, "SELECT note FROM report_events WHERE kind = 'started'") == "记" * 200
    audit = db.execute("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                       " ORDER BY id DESC").fetchone()
    assert audit == (staff.id, "report.started", "report", str(report["id"]),
                     '{"to": "in_progress"}')


def test_the_last_point_under_the_monthly_cap_is_still_paid(db, file, make_user):
    resident, staff = make_user("resident"), make_user("staff")
    db.execute("UPDATE settings SET value = '6' WHERE key = 'points.report_monthly_cap'")
    db.conn.commit()
    workflow.accept(db, staff, report_id=file(resident)["id"])
    workflow.accept(db, staff, report_id=file(resident)["id"])
    assert ledger.balance(db, resident.id) == 6  # 5 + the 1 left under the cap


def test_the_month_starts_at_midnight_on_the_first_in_shanghai(db, file, make_user):
    from datetime import datetime

    from lib.core.clock import SHANGHAI
    resident, staff = make_user("resident"), make_user("staff")
    start = datetime.now(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    db.conn.execute(
        "INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key, created_at)"
        " VALUES (?, 27, 'report', '', 'at-start', ?), (?, 5, 'report', '', 'before', ?)",
        (resident.id, workflow.to_iso(start), resident.id,
         workflow.to_iso(start - timedelta(seconds=1))))
    db.conn.commit()
    workflow.accept(db, staff, report_id=file(resident)["id"])
    assert ledger.balance(db, resident.id) == 27 + 5 + 3  # the cap of 30 counts only from 00:00


def test_a_failed_resolve_removes_the_after_photo_it_stored(db, file, make_user, tmp_path,
                                                             monkeypatch):
    staff = make_user("staff")
    report = at_stage(db, file, make_user, "accepted")
    files = uploads(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing the audit log")

    monkeypatch.setattr(workflow.audit, "record", broken)
    with pytest.raises(RuntimeError):
        workflow.resolve(db, staff, data_dir=tmp_path, report_id=report["id"],
                        result_note="已经处理好了", after_photo=jpeg())
    assert uploads(tmp_path) == files
    assert workflow.get(db, report["id"])["status"] == workflow.ACCEPTED


def test_a_double_tap_that_loses_the_race_returns_the_first_report_and_no_orphan(
        db, file, tmp_path, monkeypatch):
    first = file(submission_key="tap")
    files = uploads(tmp_path)
    real_one, calls = workflow.one, []

    def late_first_look(*args, **kwargs):  # the first look happens before the other tap commits
        calls.append(args[1])
        return None if len(calls) == 1 else real_one(*args, **kwargs)

    monkeypatch.setattr(workflow, "one", late_first_look)
    again = file(submission_key="tap", photo_files=[jpeg(color="blue")])
    assert again["id"] == first["id"] and again == first
    assert uploads(tmp_path) == files and count(db) == 1


def test_confirmation_refusals_say_why(db, file, make_user, tmp_path):
    resident = make_user("resident")
    report = at_stage(db, file, make_user, "accepted", reporter=resident)
    with pytest.raises(InvalidTransition) as early:
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True)
    assert str(early.value) == "该问题当前不需要确认。"
    with pytest.raises(PermissionDenied) as other:
        workflow.confirm(db, make_user("staff"), report_id=report["id"], token=None, solved=True)
    assert str(other.value) == "只有反映人可以确认处理结果。"
    with pytest.raises(ValidationError) as rating:
        workflow.confirm(db, resident, report_id=report["id"], token=None, solved=True, rating=0)
    assert rating.value.fields == {"rating": "请给出 1-5 星的评价。"}


def test_a_rejection_note_is_kept_to_two_hundred_characters(db, file, make_user):
    report = file()
    workflow.reject(db, make_user("staff"), report_id=report["id"], reason="insufficient",
                   note="注" * 250)
    assert scalar(db, "SELECT note FROM report_events WHERE kind = 'rejected'") == \
        "信息不足：" + "注" * 200


def test_proxy_and_browser_limits_say_why(db, file, make_user):
    with pytest.raises(PermissionDenied) as refused:
        file(make_user("resident"), proxy_for="王大爷")
    assert str(refused.value) == "只有社区工作人员可以代录。"
    for _ in range(workflow.RATE_LIMIT):
        file(GUEST_USER, device_key="a" * 32)
    with pytest.raises(RateLimited) as limited:
        file(GUEST_USER, device_key="a" * 32)
    assert str(limited.value) == "提交太频繁，请 10 分钟后再试。"
    file(GUEST_USER, device_key="b" * 32)  # another browser is not affected


def test_a_failed_filing_leaves_no_photo_and_a_plain_report_no_proxy_name(db, file, tmp_path,
                                                                          monkeypatch):
    plain = file(device_key="d" * 70)
    assert plain["proxy_for"] == "" and plain["device_key"] == "d" * 64
    files = uploads(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing the audit log")

    monkeypatch.setattr(workflow.audit, "record", broken)
    with pytest.raises(RuntimeError):
        file(photo_files=[jpeg(color="blue")])
    assert uploads(tmp_path) == files and count(db) == 1
