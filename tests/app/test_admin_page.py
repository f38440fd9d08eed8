"""AppTest of 管理: its section of task pages by role, role gates, and each task's screens."""
from collections.abc import Sequence

import pytest
import streamlit

from lib.core.db import scalar
from tests.app.conftest import by_label, login, texts


# The 管理 section, each role's pages in menu order (DESIGN §2: leaders verify households,
# staff add users and QR posters, admins everything).
LEADER_TASKS = ["住户核实", "志愿审核", "楼栋评分"]
STAFF_TASKS = LEADER_TASKS + ["用户", "二维码", "积分发放", "兑换核销", "众筹项目", "众筹账目",
                              "评比发布", "议事"]
ADMIN_TASKS = STAFF_TASKS + ["楼栋与地点", "问题类别", "规则", "积分规则", "评比标准", "积分商品",
                             "备份", "审计日志"]
TASK_FILES = {"住户核实": "households", "用户": "users", "二维码": "qr", "楼栋与地点": "places",
              "问题类别": "categories", "规则": "rules", "备份": "backup", "审计日志": "audit",
              "积分发放": "points", "积分规则": "points_rules", "兑换核销": "redemptions",
              "积分商品": "shop", "志愿审核": "volunteer", "众筹项目": "crowdfund",
              "众筹账目": "crowdfund_books", "楼栋评分": "ranking_scores", "评比发布": "ranking",
              "评比标准": "ranking_criteria", "议事": "council"}
TASK_URLS = {"住户核实": "admin-households", "用户": "admin-users", "二维码": "admin-qr",
             "楼栋与地点": "admin-places", "问题类别": "admin-categories", "规则": "admin-rules",
             "备份": "admin-backup", "审计日志": "admin-audit", "积分发放": "admin-points",
             "积分规则": "admin-points-rules", "兑换核销": "admin-redemptions",
             "积分商品": "admin-shop", "志愿审核": "admin-volunteer",
             "众筹项目": "admin-crowdfund", "众筹账目": "admin-crowdfund-books",
             "楼栋评分": "admin-ranking-scores", "评比发布": "admin-ranking",
             "评比标准": "admin-ranking-criteria", "议事": "admin-council"}
LOWEST_ROLE = {**{task: "leader" for task in LEADER_TASKS},
               **{task: "staff" for task in STAFF_TASKS[len(LEADER_TASKS):]},
               **{task: "admin" for task in ADMIN_TASKS[len(STAFF_TASKS):]}}
BELOW = {"leader": ["resident"], "staff": ["resident", "leader"],
         "admin": ["resident", "leader", "staff"]}


def open_task(at, title: str):
    """Open one 管理 task page, as its menu entry does."""
    at.switch_page(f"app_pages/admin/{TASK_FILES[title]}.py").run()
    assert not at.exception
    return at


def guest(app):
    """A new browser that has opened the portal once (so the app's pages are registered)."""
    at = app()
    at.run()
    return at


def open_admin(at):
    """The old address /admin, which goes on to the first task the role may use."""
    at.switch_page("app_pages/admin.py").run()
    assert not at.exception
    return at


@pytest.fixture
def menus(monkeypatch):
    """What app.py hands st.navigation on each run: {section: [(title, url_path, visible)]}."""
    seen = []
    real = streamlit.navigation

    def spy(pages, **kwargs):
        seen.append({section: [(page.title, page.url_path, page.visibility == "visible")
                               for page in section_pages]
                     for section, section_pages in pages.items()})
        return real(pages, **kwargs)

    monkeypatch.setattr(streamlit, "navigation", spy)
    return seen


def shown(menu) -> dict[str, list[str]]:
    return {section: [title for title, _, visible in pages if visible]
            for section, pages in menu.items() if any(visible for *_, visible in pages)}


@pytest.mark.parametrize("username, tasks", [
    ("guest", []), ("resident", []), ("leader", LEADER_TASKS), ("staff", STAFF_TASKS),
    ("admin", ADMIN_TASKS)])
def test_the_menu_has_a_section_of_the_tasks_the_role_may_use(app, menus, username, tasks):
    at = app()
    at.run() if username == "guest" else login(at, username).run()  # the run after logging in
    menu = menus[-1]
    assert shown(menu).get("管理", []) == tasks
    assert "管理" not in [title for title, *_ in menu[""] if _[1]]  # no separate 管理 entry
    # every task page and /admin stay registered (hidden) so their addresses always answer
    registered = {url for pages in menu.values() for _, url, _ in pages}
    assert registered >= set(TASK_URLS.values()) | {"admin"}
    assert [url for title, url, _ in menu.get("管理", [])] == [TASK_URLS[t] for t in tasks]


def test_guest_is_asked_to_log_in_and_brought_back(app):
    at = open_admin(app())
    assert any("需要登录" in message for message in texts(at.info))
    assert not at.title
    at.button(key="admin_login_first").click()
    at.run()
    login(at, "leader")
    at.run()  # the browser's rerun once the cookie is stored
    assert texts(at.title) == ["住户核实"]


def test_a_guest_on_a_task_page_is_brought_back_to_that_task(app):
    at = open_task(guest(app), "用户")
    assert any("需要登录" in message for message in texts(at.info))
    at.button(key="admin-users_login_first").click()
    at.run()
    login(at, "staff")
    at.run()
    assert texts(at.title) == ["用户"]


def test_resident_is_refused(app):
    at = open_admin(login(app(), "resident"))
    assert any("此页面仅限" in message for message in texts(at.error))
    assert not at.title


@pytest.mark.parametrize("username", ["leader", "staff", "admin"])
def test_admin_opens_the_first_task_the_role_may_use(app, username):
    at = login(app(), username)
    at.switch_page("app_pages/admin.py")
    at.query_params["b"] = "2-1"  # a bookmark with the scanned place keeps it
    at.run()
    assert not at.exception
    assert texts(at.title) == ["住户核实"]
    assert at.query_params["b"] == "2-1"


@pytest.mark.parametrize("title", ADMIN_TASKS)
def test_each_task_refuses_a_lower_role_and_shows_nothing_of_it(app, portal_db, title):
    actions = "SELECT COUNT(*) FROM audit_log WHERE action != 'account.login'"
    audited = scalar(portal_db, actions)
    for username in BELOW[LOWEST_ROLE[title]]:
        at = open_task(login(app(), username), title)
        assert any("此页面仅限" in message for message in texts(at.error)), username
        assert not at.title and not at.dataframe and not at.text_input and not at.selectbox
        assert [button.label for button in at.button] == ["返回首页"]
    at = open_task(guest(app), title)  # a guest is asked to log in
    assert any("需要登录" in message for message in texts(at.info))
    assert not at.title and not at.dataframe
    assert scalar(portal_db, actions) == audited  # nothing but the logins was recorded
    at = open_task(login(app(), LOWEST_ROLE[title]), title)  # the lowest role that may: it opens
    assert texts(at.title) == [title]


def test_leader_approves_the_pending_newcomer(app, portal_db):
    at = open_task(login(app(), "leader"), "住户核实")
    assert any("newcomer" in text for text in texts(at.markdown))
    newcomer = scalar(portal_db, "SELECT id FROM users WHERE username = 'newcomer'")
    at.button(key=f"admin_approve_{newcomer}").click()
    at.run()
    assert not at.exception
    assert scalar(portal_db, "SELECT household_status FROM users WHERE id = ?", (newcomer,)) == "verified"
    assert "目前没有待核实的住户。" in texts(at.info)


def test_a_demoted_leader_loses_the_admin_page_at_once(app, portal_db):
    at = open_admin(login(app(), "leader"))
    portal_db.execute("UPDATE users SET role = 'resident' WHERE username = 'leader'")
    portal_db.conn.commit()
    at.run()
    assert any("此页面仅限" in message for message in texts(at.error))


def test_admin_cannot_demote_the_last_admin(app, portal_db):
    at = open_task(login(app(), "admin"), "用户")
    at.text_input(key="admin_user_query").input("admin").run()
    at.selectbox(key="admin_user_pick").set_value(
        next(option for option in at.selectbox(key="admin_user_pick").options if "admin" in option))
    at.run()
    at.selectbox(key="admin_role").set_value("resident")
    by_label(at.button, "保存身份").click()
    at.run()
    assert any("最后一位管理员" in message for message in texts(at.error))
    assert scalar(portal_db, "SELECT role FROM users WHERE username = 'admin'") == "admin"


def test_roster_import_reports_bad_rows_and_imports_good_ones(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    before = scalar(portal_db, "SELECT COUNT(*) FROM households")
    csv = "楼栋编号,房号,户主,人数\n1-1,901,赵一,3\nno-such,902,钱二,2\n1-2,903,孙三,abc\n".encode()
    at.file_uploader(key="admin_roster_file").set_value(("roster.csv", csv, "text/csv"))
    at.run()
    at.button(key="admin_roster_import").click()
    at.run()
    assert not at.exception
    # rows were left out: a warning with the reasons, never a green success
    assert not any("新导入" in message for message in texts(at.success))
    assert any("新导入 1 户" in message and "有问题 2 行" in message for message in texts(at.warning))
    assert scalar(portal_db, "SELECT COUNT(*) FROM households") == before + 1
    errors = next(frame.value for frame in at.dataframe if "行号" in frame.value.columns)
    assert list(errors["行号"]) == [3, 4]
    assert all(reason for reason in errors["原因"])


def test_a_roster_imported_in_full_is_a_success(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    csv = "楼栋编号,房号,户主,人数\n1-1,901,赵一,3\n1-2,903,孙三,2\n".encode()
    at.file_uploader(key="admin_roster_file").set_value(("roster.csv", csv, "text/csv"))
    at.run()
    at.button(key="admin_roster_import").click()
    at.run()
    assert any("新导入 2 户" in message for message in texts(at.success))
    assert not any("有问题" in message for message in texts(at.warning))


def test_a_roster_that_is_not_a_table_changes_nothing(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    before = scalar(portal_db, "SELECT COUNT(*) FROM households")
    at.file_uploader(key="admin_roster_file").set_value(("roster.csv", b"\x89PNG\r\n\x1a\n\0\0", "text/csv"))
    at.run()
    at.button(key="admin_roster_import").click()
    at.run()
    assert at.error
    assert scalar(portal_db, "SELECT COUNT(*) FROM households") == before


def test_staff_generate_the_poster_sheet(app):
    at = open_task(login(app(), "staff"), "二维码")
    at.button(key="admin_qr_sheet").click()
    at.run()
    assert not at.exception
    assert at.get("download_button")


def test_admin_adds_a_place_and_a_duplicate_code_is_refused(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    at.text_input(key="admin_place_code").input("9-1")
    at.text_input(key="admin_place_name").input("9栋1单元")
    at.selectbox(key="admin_place_microgrid").select_index(0)
    by_label(at.button, "新增").click()
    at.run()
    assert any("已新增" in message for message in texts(at.success))
    at.text_input(key="admin_place_code").input("1-1")
    at.text_input(key="admin_place_name").input("重复")
    at.selectbox(key="admin_place_microgrid").select_index(0)
    by_label(at.button, "新增").click()
    at.run()
    assert at.error
    assert scalar(portal_db, "SELECT COUNT(*) FROM places WHERE code IN ('9-1', '1-1')") == 2


def test_after_an_error_the_new_place_form_keeps_what_was_typed(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    at.text_input(key="admin_place_code").input("1-1")
    at.text_input(key="admin_place_name").input("新楼")
    at.selectbox(key="admin_place_microgrid").select_index(1)
    by_label(at.button, "新增").click()
    at.run()
    assert any("编号" in message for message in texts(at.error))
    assert at.text_input(key="admin_place_code").value == "1-1"
    assert at.text_input(key="admin_place_name").value == "新楼"
    assert at.selectbox(key="admin_place_microgrid").value is not None
    at.text_input(key="admin_place_code").input("9-2")  # correct only the code
    by_label(at.button, "新增").click()
    at.run()
    assert any("已新增" in message for message in texts(at.success))
    assert scalar(portal_db, "SELECT name FROM places WHERE code = '9-2'") == "新楼"
    assert at.text_input(key="admin_place_code").value == ""  # saved: ready for the next one


def test_the_scanned_place_is_preselected_for_its_qr_code(app):
    at = login(app(), "staff")
    at.switch_page("app_pages/admin/qr.py")
    at.query_params["b"] = "2-1"
    at.run()
    assert at.selectbox(key="admin_qr_place").value.code == "2-1"
    assert at.get("image")  # the QR code is shown at once
    assert {button.label for button in at.get("download_button")} >= {"下载二维码 PNG"}


def test_admin_adds_a_microgrid_to_a_grid(app, portal_db):
    at = open_task(login(app(), "admin"), "楼栋与地点")
    at.selectbox(key="admin_microgrid_grid").select_index(0)
    at.text_input(key="admin_microgrid_name").input("第六微网格")
    by_label(at.button, "新增微网格").click()
    at.run()
    assert "已新增微网格。" in texts(at.success)
    assert scalar(portal_db, "SELECT COUNT(*) FROM microgrids WHERE name = '第六微网格'") == 1


def test_admin_adds_a_report_category_that_the_report_form_then_offers(app, portal_db):
    at = open_task(login(app(), "admin"), "问题类别")
    at.text_input(key="admin_category_name").input("电梯故障")
    by_label(at.button, "新增类别").click()
    at.run()
    assert "已新增。" in texts(at.success)
    at.switch_page("app_pages/report.py").run()
    assert "电梯故障" in at.selectbox(key="report_category").options


def test_admin_changes_the_acceptance_deadline(app, portal_db):
    at = open_task(login(app(), "admin"), "规则")
    at.number_input(key="admin_rule_reports.accept_within_hours").set_value(48)
    by_label(at.button, "保存规则").click()
    at.run()
    assert "规则已保存。" in texts(at.success)
    assert scalar(portal_db, "SELECT value FROM settings WHERE key = 'reports.accept_within_hours'") == "48"


def test_admin_takes_a_backup_while_the_portal_runs(app, tmp_path):
    at = open_task(login(app(), "admin"), "备份")
    at.button(key="admin_backup").click()
    at.run()
    assert not at.exception
    assert any("已备份" in message for message in texts(at.success))
    assert list((tmp_path / "backups").glob("portal-backup-*.zip"))


def test_a_backup_that_cannot_be_written_is_refused_in_chinese(app, tmp_path):
    (tmp_path / "backups").write_text("a file where the folder should be")
    at = open_task(login(app(), "admin"), "备份")
    at.button(key="admin_backup").click()
    at.run()
    assert not at.exception
    assert any("无法写入备份目录" in message for message in texts(at.error))
    assert not any("已备份" in message for message in texts(at.success))


def test_an_unknown_code_does_not_keep_the_previous_qr_place(app):
    at = login(app(), "staff")
    at.switch_page("app_pages/admin/qr.py")
    at.query_params["b"] = "2-1"
    at.run()
    assert at.selectbox(key="admin_qr_place").value.code == "2-1"
    at.query_params["b"] = "nope"
    at.run()
    assert any("没有找到编号为" in message for message in texts(at.warning))
    assert at.selectbox(key="admin_qr_place").value is None
    assert not at.get("image")


def test_the_audit_log_reads_in_chinese(app, portal_db):
    at = open_task(login(app(), "leader"), "住户核实")
    newcomer = scalar(portal_db, "SELECT id FROM users WHERE username = 'newcomer'")
    at.button(key=f"admin_approve_{newcomer}").click()
    at.run()
    at = open_task(login(app(), "admin"), "审计日志")
    log = next(frame.value for frame in at.dataframe if "操作人" in frame.value.columns)
    assert list(log.columns) == ["时间", "操作人", "操作", "对象", "详情"]
    row = log[log["操作"] == "核实住户通过"].iloc[0]
    assert row["操作人"] == "楼栋长 老吴（leader）"
    assert row["对象"] == "用户 新住户 何先生（newcomer）"
    assert "房号：201" in row["详情"]
    assert not log["操作"].str.contains(r"^[a-z_]+\.[a-z_]+$").any()
    # Asia/Shanghai: the stored UTC time plus eight hours
    from lib.core.clock import local_text
    stored = scalar(portal_db, "SELECT at FROM audit_log WHERE action = 'household.verify'")
    assert row["时间"] == local_text(stored)


HOSTILE = "![](http://198.51.100.7/x.png)"
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}


def markdown_strings(message, found=None):
    """Every string a markdown-rendering field of the page holds (bodies, labels, help, captions)."""
    found = [] if found is None else found
    for field, value in message.ListFields():
        if field.message_type is not None:
            values = value if getattr(field, "is_repeated", False) or isinstance(
                value, Sequence) else [value]
            for item in values:
                if hasattr(item, "ListFields"):
                    markdown_strings(item, found)
        elif field.name in MARKDOWN_FIELDS and isinstance(value, str):
            found.append(value)
    return found


def all_markdown(at):
    strings = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            markdown_strings(proto, strings)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return strings


def test_markdown_in_names_never_reaches_an_admin_page_unescaped(app, portal_db):
    """A display name or place name that is a markdown image must stay text on every task page."""
    portal_db.execute("UPDATE users SET display_name = ? WHERE username IN ('newcomer', 'zhangwei')",
                      (HOSTILE,))
    portal_db.execute("UPDATE places SET name = ? WHERE code = '1-2'", (HOSTILE,))
    portal_db.conn.commit()
    at = open_task(login(app(), "admin"), "用户")
    at.text_input(key="admin_user_query").input("newcomer").run()
    at.selectbox(key="admin_user_pick").set_value(at.selectbox(key="admin_user_pick").options[0]).run()
    by_label(at.button, "保存身份").click()
    at.run()
    assert any("newcomer" in message for message in texts(at.success))
    assert [text for text in all_markdown(at) if "](" in text] == []
    at = open_task(at, "楼栋与地点")
    at.text_input(key="admin_place_code").input("9-9")
    at.text_input(key="admin_place_name").input(HOSTILE)
    at.selectbox(key="admin_place_microgrid").select_index(0)
    by_label(at.button, "新增").click()
    at.run()
    assert not at.exception
    shown = all_markdown(at)
    assert any("198" in text for text in shown)  # the names are on the page…
    leaks = [text for text in shown if "](" in text or "198.51.100.7/x.png" in text]
    assert leaks == []  # …but only escaped
    for username, tasks in (("leader", LEADER_TASKS), ("staff", STAFF_TASKS), ("admin", ADMIN_TASKS)):
        other = login(app(), username)
        for title in tasks:
            assert [text for text in all_markdown(open_task(other, title)) if "](" in text] == [], title
