"""AppTest of 管理 › 志愿审核 (/admin-volunteer): the queue, events, 代录; who may open it."""
import pytest

from lib.core.clock import local_today
from lib.core.db import scalar
from lib.people.users import load_user
from lib.points import ledger
from lib.volunteer import hours, ui_admin
from tests.app.conftest import login, texts


PAGE = "app_pages/admin/volunteer.py"


def open_page(app, username: str | None, tab: str | None = None):
    """志愿审核 as ``username``, on ``tab`` as if the person had tapped it (only that tab runs)."""
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(PAGE)
    if tab is not None:
        at.session_state[ui_admin.TAB_KEY] = tab
    at.run()
    assert not at.exception
    return at


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def logged(db, username="resident", key="app-1", half_hours=4):
    return hours.log_hours(db, user(db, username), activity="帮邻居搬运快递",
                           served_on=local_today(), half_hours=half_hours, key=key)


def test_a_guest_is_offered_login(app):
    at = open_page(app, None)
    assert "此页面需要登录后使用。" in texts(at.info)
    assert not at.tabs


def test_a_resident_cannot_open_the_review(app, portal_db):
    entry = logged(portal_db)
    at = open_page(app, "resident")
    assert "此页面仅限微网格长及以上使用，您当前的身份是居民。" in texts(at.error)
    assert not at.tabs and not [b for b in at.button if b.key == f"volunteer_approve_{entry['id']}"]


def test_the_leader_approves_a_neighbours_hours_and_points_are_awarded(app, portal_db):
    entry = logged(portal_db)
    resident = user(portal_db, "resident")
    before = ledger.balance(portal_db, resident.id)
    at = open_page(app, "leader")
    assert at.tabs[0].label == "待审核"
    assert any(c.startswith("本微网格共 ") and c.endswith(" 条待审核，通过后按规则自动发放积分。")
               for c in texts(at.caption))
    at.button(key=f"volunteer_approve_{entry['id']}").click()
    at.run()
    assert not at.exception
    assert any(m.startswith("已通过：居民 林阿姨 2 小时，+10 积分") for m in texts(at.success))
    assert hours.get(portal_db, entry["id"])["status"] == "approved"
    assert ledger.balance(portal_db, resident.id) == before + 10
    assert not [b for b in at.button if b.key == f"volunteer_approve_{entry['id']}"]


def test_the_leader_sees_only_their_micro_grid(app, portal_db):
    outside = logged(portal_db, "liuyang", key="app-out")
    inside = logged(portal_db, "zhangwei", key="app-in")
    keys = {b.key for b in open_page(app, "leader").button}
    assert f"volunteer_approve_{inside['id']}" in keys
    assert f"volunteer_approve_{outside['id']}" not in keys
    staff_keys = {b.key for b in open_page(app, "staff").button}
    assert {f"volunteer_approve_{inside['id']}", f"volunteer_approve_{outside['id']}"} <= staff_keys


def test_a_rejection_needs_a_reason_and_then_is_stored(app, portal_db):
    entry = logged(portal_db)
    at = open_page(app, "leader")
    at.button(key=f"volunteer_reject_{entry['id']}").click()
    at.run()
    assert "不通过原因：请填写不通过的原因，志愿者会看到。" in texts(at.error)
    assert hours.get(portal_db, entry["id"])["status"] == "pending"
    at.text_input(key=f"volunteer_reason_{entry['id']}").input("当天没有这项活动")
    at.button(key=f"volunteer_reject_{entry['id']}").click()
    at.run()
    stored = hours.get(portal_db, entry["id"])
    assert (stored["status"], stored["reject_reason"]) == ("rejected", "当天没有这项活动")


def test_the_leader_records_an_event_for_ticked_neighbours(app, portal_db):
    resident, zhangwei = user(portal_db, "resident"), user(portal_db, "zhangwei")
    before = ledger.balance(portal_db, zhangwei.id)
    at = open_page(app, "leader", "记录活动")
    ticks = at.multiselect(key="volunteer_event_tick")
    labels = list(ticks.options)
    assert any(label.startswith("居民 林阿姨（1-1 302）") for label in labels), labels
    assert not any("刘洋" in label for label in labels)  # another micro-grid
    at.text_input(key="volunteer_event_name").input("楼道清扫")
    at.selectbox(key="volunteer_event_hours").set_value(3)
    ticks.select(zhangwei.id)
    at.button(key="FormSubmitter:volunteer_event_form-记录并发放积分").click()
    at.run()
    assert not at.exception
    assert "已记录“楼道清扫”：1 人各 1.5 小时，各得 7 积分。" in texts(at.success)
    assert ledger.balance(portal_db, zhangwei.id) == before + 7
    assert scalar(portal_db, "SELECT COUNT(*) FROM volunteer_hours WHERE event_id ="
                             " (SELECT MAX(id) FROM volunteer_events) AND user_id = ?",
                  (resident.id,)) == 0


def test_an_event_without_anyone_ticked_is_refused(app, portal_db):
    events = scalar(portal_db, "SELECT COUNT(*) FROM volunteer_events")
    at = open_page(app, "leader", "记录活动")
    at.text_input(key="volunteer_event_name").input("楼道清扫")
    at.selectbox(key="volunteer_event_hours").set_value(2)
    at.button(key="FormSubmitter:volunteer_event_form-记录并发放积分").click()
    at.run()
    assert "参加者：请选择参加活动的居民。" in texts(at.error)
    assert scalar(portal_db, "SELECT COUNT(*) FROM volunteer_events") == events


@pytest.mark.parametrize("username, has_proxy", [("leader", False), ("staff", True),
                                                 ("admin", True)])
def test_only_staff_get_the_proxy_tab(app, username, has_proxy):
    at = open_page(app, username)
    assert ("代录时长" in [tab.label for tab in at.tabs]) == has_proxy


def test_staff_log_hours_for_a_resident_on_their_behalf(app, portal_db):
    resident = user(portal_db, "resident")
    at = open_page(app, "staff", "代录时长")
    at.text_input(key="volunteer_proxy_query").input("林阿姨").run()
    assert at.selectbox(key="volunteer_proxy_holder").value.user_id == resident.id
    at.text_input(key="volunteer_proxy_activity").input("敬老探访")
    at.selectbox(key="volunteer_proxy_hours").set_value(2)
    at.button(key="FormSubmitter:volunteer_proxy_form-代录提交").click()
    at.run()
    assert not at.exception
    assert "已为 居民 林阿姨 代录，等待审核。" in texts(at.success)
    row = portal_db.execute("SELECT user_id, proxy_by, status FROM volunteer_hours"
                            " WHERE activity = '敬老探访' AND half_hours = 2 ORDER BY id DESC"
                            ).fetchone()
    assert row == (resident.id, user(portal_db, "staff").id, "pending")


def test_the_queue_shows_a_page_of_cards_and_the_rest_on_more(app, portal_db):
    """Each card has a text box and two buttons: 120 of them made the page 13x a typical one."""
    neighbours = [row[0] for row in portal_db.execute(
        "SELECT username FROM users WHERE username NOT IN ('staff', 'admin') ORDER BY id")]
    for number in range(23):
        logged(portal_db, neighbours[number % len(neighbours)], key=f"app-page-{number}")
    waiting = scalar(portal_db, "SELECT COUNT(*) FROM volunteer_hours WHERE status = 'pending'"
                                " AND user_id != ? AND proxy_by IS NOT ?",
                     (user(portal_db, "staff").id,) * 2)
    assert waiting > 2 * ui_admin.PAGE_SIZE
    oldest = [row[0] for row in portal_db.execute(
        "SELECT id FROM volunteer_hours WHERE status = 'pending' AND user_id != ?"
        " AND proxy_by IS NOT ? ORDER BY id", (user(portal_db, "staff").id,) * 2)]

    def cards(at):
        return [b.key.removeprefix("volunteer_approve_") for b in at.button
                if b.key and b.key.startswith("volunteer_approve_")]

    at = open_page(app, "staff")
    assert f"全部微网格共 {waiting} 条待审核，通过后按规则自动发放积分。" in texts(at.caption)
    assert cards(at) == [str(i) for i in oldest[:ui_admin.PAGE_SIZE]]
    more = at.button(key="volunteer_review_more")
    assert more.label == f"显示更多（还有 {waiting - ui_admin.PAGE_SIZE} 条）"
    more.click().run()
    assert cards(at) == [str(i) for i in oldest[:2 * ui_admin.PAGE_SIZE]]
    at.button(key="volunteer_review_more").click().run()
    assert cards(at) == [str(i) for i in oldest]
    assert not [b for b in at.button if b.key == "volunteer_review_more"]


def test_the_leader_adds_a_forgotten_neighbour_and_nobody_is_credited_twice(app, portal_db):
    resident, zhangwei = user(portal_db, "resident"), user(portal_db, "zhangwei")
    at = open_page(app, "leader", "记录活动")
    at.text_input(key="volunteer_event_name").input("楼道清扫")
    at.selectbox(key="volunteer_event_hours").set_value(2)
    at.multiselect(key="volunteer_event_tick").select(zhangwei.id)
    at.button(key="FormSubmitter:volunteer_event_form-记录并发放积分").click().run()
    event_id = scalar(portal_db, "SELECT MAX(id) FROM volunteer_events")
    before = ledger.balance(portal_db, resident.id)
    at.selectbox(key="volunteer_more_event").select_index(0).run()
    assert at.selectbox(key="volunteer_more_event").value["id"] == event_id
    ticks = at.multiselect(key=f"volunteer_more_tick_{event_id}")
    assert "已记录的 1 人不再列出。" in texts(at.caption)
    assert not any(label.startswith(zhangwei.display_name) for label in ticks.options)
    ticks.select(resident.id)
    at.button(key="FormSubmitter:volunteer_more_form-补录并发放积分").click().run()
    assert not at.exception
    assert "已补录 1 人。" in texts(at.success)
    assert ledger.balance(portal_db, resident.id) == before + 5
    assert scalar(portal_db, "SELECT COUNT(*) FROM volunteer_hours WHERE event_id = ?",
                  (event_id,)) == 2
