"""AppTest of 筹劳: the 出工 tab of a project's page and 管理 › 众筹账目 › 出勤登记."""
from datetime import timedelta

from lib.core.clock import pretend
from lib.core.db import scalar
from lib.crowdfund import labour
from lib.points import ledger
from tests.app.conftest import login, texts
from tests.app.crowdfund_pages import DETAIL, BOOKS, open_books, open_tab, user
from tests.crowdfund_helpers import make_project






def a_project(db, **terms) -> dict:
    """A raising project at 1-1: a morning slot with room, a full one, one that has started."""
    place = scalar(db, "SELECT id FROM places WHERE code = '1-1'")
    project = make_project(db, created_by=user(db, "staff").id, place_id=place,
                           title="楼道扶手加装", labour_hour_fen=3_000, tasks=(
                               dict(name="搬运材料", days=7, starts_at="09:00", half_hours=4,
                                    headcount=3),
                               dict(name="刷漆", days=8, starts_at="14:00", headcount=1),
                               dict(name="安装扶手", days=-1, starts_at="08:30", half_hours=3,
                                    headcount=4)), **terms)
    labour.sign_up(db, user(db, "zhangwei"), task_id=project["tasks"][1])
    started = labour.get_slot(db, project["tasks"][2]).starts
    with pretend(started - timedelta(days=2)):
        labour.sign_up(db, user(db, "resident"), task_id=project["tasks"][2])
        labour.sign_up(db, user(db, "staff"), task_id=project["tasks"][2])
    return project


def open_detail(app, username: str | None, project_id: int):
    return open_tab(app, username, project_id, "出工")


def test_a_guest_sees_the_slots_and_is_offered_to_log_in(app, portal_db):
    project = a_project(portal_db)
    at = open_detail(app, None, project["id"])
    shown = texts(at.text)
    assert "剩余 3 个名额" in shown and "已满" in shown and "剩余 2 个名额" in shown
    assert any("开始 · 2 小时" in line for line in shown)
    assert any("每出工 1 小时折合 30.00 元计入项目，到场后每小时得 5 积分" in c.value
               for c in at.caption)
    assert not [b for b in at.button if b.key and b.key.startswith("labour_join_")]
    assert "登录后可以报名出工" in at.info[0].value
    at.button(key="labour_login").click().run()
    assert not at.exception
    assert at.session_state["after_login"] == "crowdfund"
    assert "用户名" in [t.label for t in at.text_input]


def test_a_resident_signs_up_sees_it_and_withdraws(app, portal_db):
    project = a_project(portal_db)
    first, full, started = project["tasks"]
    at = open_detail(app, "resident", project["id"])
    keys = {b.key for b in at.button}
    # a full slot and a started one have no 报名; the started one shows the resident's place
    assert f"labour_join_{first}" in keys
    assert f"labour_join_{full}" not in keys and f"labour_join_{started}" not in keys
    assert "您已报名" in [c.value for c in at.caption]
    at.button(key=f"labour_join_{first}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("报名成功：搬运材料")
    resident = user(portal_db, "resident").id
    mine = labour.my_signups(portal_db, resident, project_id=project["id"])
    row = next(r for r in mine if r["task_id"] == first)
    assert row["status"] == "signed"
    assert "剩余 2 个名额" in texts(at.text)
    assert "我的报名" in [s.value for s in at.subheader]
    # only a slot still to come can be left
    assert f"labour_leave_{row['id']}" in {b.key for b in at.button}
    assert not [b for b in at.button if b.key and b.key.startswith("labour_leave_")
                and b.key != f"labour_leave_{row['id']}"]
    at.button(key=f"labour_leave_{row['id']}").click().run()
    assert not at.exception
    assert at.success[0].value == "已取消报名：搬运材料。"
    assert labour.get_signup(portal_db, row["id"])["status"] == "withdrawn"
    assert "剩余 3 个名额" in texts(at.text)


def test_a_refusal_is_said_in_chinese_and_changes_nothing(app, portal_db):
    project = a_project(portal_db)
    first = project["tasks"][0]
    at = open_detail(app, "resident", project["id"])
    # the slot fills up while the resident looks at the page
    for name in ("wangxiulan", "zhangwei", "leader"):
        labour.sign_up(portal_db, user(portal_db, name), task_id=first)
    at.button(key=f"labour_join_{first}").click().run()
    assert not at.exception
    assert at.error[0].value == "该时段名额已满"
    assert labour.get_slot(portal_db, first).taken == 3
    assert "已满" in texts(at.text)


def test_a_project_not_running_shows_its_slots_without_buttons(app, portal_db):
    project = a_project(portal_db)
    portal_db.execute("UPDATE crowdfund_projects SET status = 'done' WHERE id = ?",
                      (project["id"],))
    portal_db.conn.commit()
    at = open_detail(app, "resident", project["id"])
    assert "这个项目现在不接受出工报名。" in [i.value for i in at.info]
    assert not [b for b in at.button if b.key and b.key.startswith("labour_join_")]


def books(app, db, username: str, project: dict, task_id: int):
    """出勤登记 as ``username`` with the project and slot picked as staff would."""
    at = open_books(app, username, "出勤登记")
    box = at.selectbox(key="labour_books_project")
    box.select(next(p for p in box.options if p.startswith("楼道扶手加装"))).run()
    box = at.selectbox(key=f"labour_books_slot_{project['id']}")
    index = [slot.id for slot in labour.tasks_of(db, project["id"])].index(task_id)
    box.select(box.options[index]).run()
    assert not at.exception
    return at


def test_staff_mark_attendance_and_the_resident_earns_points(app, portal_db):
    project = a_project(portal_db)
    started = project["tasks"][2]
    at = books(app, portal_db, "staff", project, started)
    roster = {r["username"]: r for r in labour.roster(portal_db, started)}
    mine, theirs = roster["staff"]["id"], roster["resident"]["id"]
    shown = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "报名名单**（2/4 人）" in shown and "residentname" not in shown
    # never one's own attendance: no buttons on the staff member's own line
    assert f"labour_came_{mine}" not in {b.key for b in at.button}
    resident = user(portal_db, "resident").id
    before = ledger.balance(portal_db, resident)
    at.button(key=f"labour_came_{theirs}").click().run()
    assert not at.exception
    assert "到场" in at.success[0].value
    assert labour.get_signup(portal_db, theirs)["status"] == "attended"
    assert ledger.balance(portal_db, resident) == before + 7  # 1.5 h at 5 an hour
    # attended: no more buttons on that line (a mistake is the admin's 积分更正)
    assert f"labour_missed_{theirs}" not in {b.key for b in at.button}
    assert f"labour_came_{theirs}" not in {b.key for b in at.button}


def test_staff_mark_absent_and_a_slot_to_come_has_no_attendance_buttons(app, portal_db):
    project = a_project(portal_db)
    started = project["tasks"][2]
    at = books(app, portal_db, "admin", project, started)
    theirs = next(r["id"] for r in labour.roster(portal_db, started) if r["username"] == "staff")
    at.button(key=f"labour_missed_{theirs}").click().run()
    assert not at.exception
    assert labour.get_signup(portal_db, theirs)["status"] == "absent"
    # absent may still become attended; no 未到 button any more
    assert {f"labour_came_{theirs}"} <= {b.key for b in at.button}
    assert f"labour_missed_{theirs}" not in {b.key for b in at.button}
    at = books(app, portal_db, "admin", project, project["tasks"][1])
    assert "时段开始后才能登记到场或未到。" in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key and b.key.startswith("labour_came_")]


def test_staff_sign_up_a_resident_found_by_name(app, portal_db):
    project = a_project(portal_db)
    first = project["tasks"][0]
    at = books(app, portal_db, "staff", project, first)
    at.text_input(key="labour_proxy_query").input("resident").run()
    assert not at.exception
    at.button(key="labour_proxy_go").click().run()
    assert not at.exception
    resident = user(portal_db, "resident").id
    [row] = labour.my_signups(portal_db, resident, project_id=project["id"])[:1]
    assert (row["task_id"], row["proxy_by"]) == (first, user(portal_db, "staff").id)
    assert at.success[0].value.startswith("已为 ")
    # the full slot offers no 代办
    at = books(app, portal_db, "staff", project, project["tasks"][1])
    assert "该时段名额已满。" in [c.value for c in at.caption]
    assert not [t for t in at.text_input if t.key == "labour_proxy_query"]


def test_a_resident_cannot_open_the_books(app, portal_db):
    at = login(app(), "resident")
    at.switch_page(BOOKS).run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("labour_")]
    assert not [s for s in at.selectbox if s.key == "labour_books_project"]


def test_the_list_reminds_a_resident_of_their_coming_slots_and_opens_the_project(app, portal_db):
    project = a_project(portal_db)
    first = project["tasks"][0]
    mine = labour.sign_up(portal_db, user(portal_db, "resident"), task_id=first)
    at = login(app(), "resident")
    at.switch_page(DETAIL).run()
    assert not at.exception
    assert "我的出工报名" in [s.value for s in at.subheader]
    # the slot that has started (signed two days before it) is no longer "coming"
    coming = [b for b in at.button if b.key and b.key.startswith("labour_coming_open_")]
    assert [b.key for b in coming] == [f"labour_coming_open_{mine['id']}"]
    assert coming[0].label.replace("\\", "") == "楼道扶手加装 · 搬运材料"
    coming[0].click().run()
    assert not at.exception
    assert at.query_params["p"] == str(project["id"])
    assert at.title[0].value.replace("\\", "") == "楼道扶手加装"


def test_the_list_has_no_reminder_for_a_guest_or_after_withdrawing(app, portal_db):
    project = a_project(portal_db)
    mine = labour.sign_up(portal_db, user(portal_db, "resident"), task_id=project["tasks"][0])
    at = app()
    at.run()
    at.switch_page(DETAIL).run()
    assert "我的出工报名" not in [s.value for s in at.subheader]
    labour.withdraw(portal_db, user(portal_db, "resident"), signup_id=mine["id"])
    at = login(app(), "resident")
    at.switch_page(DETAIL).run()
    assert not at.exception
    assert "我的出工报名" not in [s.value for s in at.subheader]
