"""AppTest of 筹资: the 认捐 tab of a project's page and 管理 › 众筹账目 › 到账确认."""
from lib.core.db import scalar
from lib.crowdfund import pledges
from lib.points import ledger
from tests.app.conftest import login, texts
from tests.app.crowdfund_pages import BOOKS, open_books, open_tab, user
from tests.crowdfund_helpers import make_project






def a_project(db, **terms) -> int:
    place = scalar(db, "SELECT id FROM places WHERE code = '1-1'")
    return make_project(db, created_by=user(db, "staff").id, place_id=place, title="车棚地面硬化",
                        **terms)["id"]


def open_detail(app, username: str | None, project_id: int):
    return open_tab(app, username, project_id, "认捐")


def open_confirmations(app, username: str):
    return open_books(app, username, "到账确认")


def pledge_rows(db) -> list[tuple]:
    return db.execute("SELECT user_id, amount_fen, method, anonymous, status, proxy_by"
                      " FROM crowdfund_pledges ORDER BY id").fetchall()


def markdown(at) -> list[str]:
    return texts(at.markdown)


def test_a_guest_sees_the_terms_and_is_offered_to_log_in(app, portal_db):
    project_id = a_project(portal_db)
    at = open_detail(app, None, project_id)
    assert not at.text_input  # no amount to type before logging in
    assert "登录后可以认捐" in texts(at.info)[0]
    at.button(key="pledge_login").click().run()
    assert not at.exception
    assert at.session_state["after_login"] == "crowdfund"
    assert "用户名" in [t.label for t in at.text_input]
    login(at, "resident").run()
    assert not at.exception
    # back on the project, on the tab they were reading, now with the amount to type
    assert texts(at.title)[0] == "车棚地面硬化"
    assert at.text_input(key="pledge_amount").value == ""


def test_a_resident_sees_100_become_600_and_pledges(app, portal_db):
    project_id = a_project(portal_db)
    at = open_detail(app, "resident", project_id)
    assert any("输入金额后" in c for c in texts(at.caption))
    at.text_input(key="pledge_amount").input("100").run()
    assert "#### 你的100元 → 600元" in markdown(at)
    assert any("街道办事处配套 500.00 元" in c for c in texts(at.caption))
    assert any("配套资金不设上限" in c for c in texts(at.caption))
    at.radio(key="pledge_method").set_value("transfer")
    at.checkbox(key="pledge_anonymous").check()
    at.button(key="pledge_submit").click().run()
    assert not at.exception
    resident = user(portal_db, "resident").id
    assert pledge_rows(portal_db) == [(resident, 10_000, "transfer", 1, "pledged", None)]
    assert "认捐已登记：100.00 元（转账）" in texts(at.success)[0]
    assert at.text_input(key="pledge_amount").value == ""  # emptied for the next one
    assert "**100.00 元** · 转账 · 认捐" in markdown(at)
    assert any("公示匿名" in c for c in texts(at.caption))
    at.button(key="pledge_submit").click().run()  # an empty form stores nothing more
    assert len(pledge_rows(portal_db)) == 1
    assert any("请输入金额" in e for e in texts(at.error))


def test_bad_amounts_show_the_chinese_message_and_store_nothing(app, portal_db):
    at = open_detail(app, "resident", a_project(portal_db))
    for typed, message in (("0", "金额必须大于 0。"), ("0.001", "金额最多精确到分"),
                           ("abc", "请输入金额，例如 100")):
        at.text_input(key="pledge_amount").input(typed).run()
        assert any(message in w for w in texts(at.warning)), typed  # the live preview says so
        at.button(key="pledge_submit").click().run()
        assert not at.exception
        assert any(message in e for e in texts(at.error)), typed
    assert pledge_rows(portal_db) == []


def test_with_a_cap_the_page_says_where_the_match_stops(app, portal_db):
    project_id = a_project(portal_db, match_cap_fen=100_000)
    staff, zhang = user(portal_db, "staff"), user(portal_db, "zhangwei")
    first = pledges.pledge(portal_db, zhang, project_id=project_id, amount="150", method="cash",
                           anonymous=False, key="z1")
    pledges.confirm(portal_db, staff, pledge_id=first.id)
    at = open_detail(app, "resident", project_id)
    at.text_input(key="pledge_amount").input("100").run()
    assert "#### 你的100元 → 350元" in markdown(at)
    assert any("配套资金只剩 250.00 元，配套到此为止" in w for w in texts(at.warning))
    second = pledges.pledge(portal_db, zhang, project_id=project_id, amount="50", method="cash",
                            anonymous=False, key="z2")
    pledges.confirm(portal_db, staff, pledge_id=second.id)
    at.run()
    assert "#### 你的100元 → 100元" in markdown(at)
    assert any("配套资金已达上限，配套到此为止" in w for w in texts(at.warning))


def test_a_closed_project_says_so_and_has_no_form(app, portal_db):
    at = open_detail(app, "resident", a_project(portal_db, deadline_days=-1))
    assert "该项目已结束认捐" in texts(at.info)[0]
    assert not [b for b in at.button if b.key == "pledge_submit"]


def test_a_resident_withdraws_a_waiting_pledge(app, portal_db):
    project_id = a_project(portal_db)
    made = pledges.pledge(portal_db, user(portal_db, "resident"), project_id=project_id,
                          amount="30", method="cash", anonymous=False, key="r1")
    at = open_detail(app, "resident", project_id)
    at.button(key=f"pledge_withdraw_{made.id}").click().run()
    assert not at.exception
    assert "认捐已撤回" in texts(at.success)[0]
    assert "**30.00 元** · 现金 · 已撤回" in markdown(at)
    assert pledges.get(portal_db, made.id).withdrawn


def test_staff_confirm_the_money_and_the_resident_earns_points(app, portal_db):
    project_id = a_project(portal_db)
    resident = user(portal_db, "resident")
    made = pledges.pledge(portal_db, resident, project_id=project_id, amount="100",
                          method="cash", anonymous=False, key="r1")
    lost = pledges.pledge(portal_db, user(portal_db, "zhangwei"), project_id=project_id,
                          amount="20", method="transfer", anonymous=True, key="z1")
    before = ledger.balance(portal_db, resident.id)
    at = open_confirmations(app, "staff")
    assert at.selectbox(key="pledge_books_project").value["count"] == 2
    assert any("120.00 元" in option for option in at.selectbox(key="pledge_books_project")
               .options)
    at.button(key=f"pledge_received_{made.id}").click().run()
    assert not at.exception
    assert "已确认到账" in texts(at.success)[0] and "配套 500.00 元，积分 +10" in texts(at.success)[0]
    assert ledger.balance(portal_db, resident.id) == before + 10
    at.button(key=f"pledge_missing_{lost.id}").click().run()
    assert "已标记未到账" in texts(at.success)[0]
    assert "没有等待确认到账的认捐" in texts(at.info)[0]
    assert [p.status for p in (pledges.get(portal_db, made.id), pledges.get(portal_db, lost.id))] \
        == ["received", "not_received"]


def test_staff_cannot_confirm_their_own_pledge_and_are_told_why(app, portal_db):
    project_id = a_project(portal_db)
    own = pledges.pledge(portal_db, user(portal_db, "staff"), project_id=project_id,
                         amount="10", method="cash", anonymous=False, key="s1")
    at = open_confirmations(app, "staff")
    at.button(key=f"pledge_received_{own.id}").click().run()
    assert "不能确认自己的认捐" in texts(at.error)[0]
    assert pledges.get(portal_db, own.id).is_pending


def test_staff_pledge_for_a_resident_found_by_name(app, portal_db):
    a_project(portal_db)
    at = open_confirmations(app, "staff")
    assert "没有等待确认到账的认捐" in texts(at.info)[0]
    at.text_input(key="pledge_proxy_query").input("resident").run()
    at.text_input(key="pledge_proxy_amount").input("50").run()
    at.button(key="pledge_proxy_submit").click().run()
    assert not at.exception
    resident, staff = user(portal_db, "resident"), user(portal_db, "staff")
    assert pledge_rows(portal_db) == [(resident.id, 5_000, "cash", 0, "pledged", staff.id)]
    assert "请由其他工作人员确认到账" in texts(at.success)[0]
    assert at.text_input(key="pledge_proxy_amount").value == ""


def test_a_resident_cannot_open_the_books(app, portal_db):
    at = login(app(), "resident")
    at.switch_page(BOOKS).run()
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("pledge_")]


def test_a_confirmed_pledges_points_link_to_its_project(app, portal_db):
    project_id = a_project(portal_db)
    made = pledges.pledge(portal_db, user(portal_db, "resident"), project_id=project_id,
                          amount="100", method="cash", anonymous=False, key="r1")
    pledges.confirm(portal_db, user(portal_db, "staff"), pledge_id=made.id)
    at = login(app(), "resident")
    at.switch_page("app_pages/points.py").run()
    assert not at.exception
    links = [link for link in at.get("page_link") if link.proto.label == "查看众筹项目"]
    assert len(links) == 1
    assert (links[0].proto.page, links[0].proto.query_string) == ("crowdfund", f"p={project_id}")


def test_every_source_an_entry_links_to_has_a_label():
    from lib.points import boards
    from lib.points import ui as points_ui
    assert {page for page, _ in boards._SOURCE_PAGES.values()} <= set(points_ui.SOURCE_LABELS)
