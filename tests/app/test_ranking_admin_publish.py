"""AppTest of 管理 › 评比发布 (/admin-ranking): completeness, the preview, 公布, 更正; who may open it."""
import pytest

from lib.core.db import scalar
from lib.people.users import load_user
from lib.points import ledger
from lib.ranking import publish, standings
from lib.ranking.months import current_month, get_month, previous_month
from lib.site.ui_navigation import admin_tasks_for
from tests.app.conftest import open_as, texts
from tests.crowdfund_helpers import make_project
from tests.ranking_world import rate


PAGE = "app_pages/admin/ranking.py"
GO = "ranking_publish_go"


def open_page(app, username: str | None):
    return open_as(app, PAGE, username)


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def place(db, code: str) -> int:
    return scalar(db, "SELECT id FROM places WHERE code = ?", (code,))


def last_month() -> str:
    return previous_month(current_month())


def rate_first_grid(db) -> None:
    """老吴 rates his four buildings: 1-1 all 5s, the others all 3s."""
    leader = user(db, "leader")
    for code, value in (("1-1", 5), ("1-2", 3), ("2-1", 3), ("2-2", 3)):
        rate(db, last_month(), place(db, code), leader.id, {1: value, 2: value, 3: value, 4: value})


def test_a_guest_is_offered_login(app):
    at = open_page(app, None)
    assert "此页面需要登录后使用。" in texts(at.info)
    assert not [b for b in at.button if b.key == GO]


@pytest.mark.parametrize("username, role", [("resident", "居民"), ("leader", "微网格长")])
def test_a_resident_or_leader_cannot_open_it_nor_find_it_in_the_menu(app, portal_db, username, role):
    at = open_page(app, username)
    assert f"此页面仅限社区工作人员及以上使用，您当前的身份是{role}。" in texts(at.error)
    assert not [b for b in at.button if b.key == GO]
    assert "admin-ranking" not in [t.url_path for t in admin_tasks_for(user(portal_db, username))]
    assert "admin-ranking" in [t.url_path for t in admin_tasks_for(user(portal_db, "staff"))]


def test_staff_see_what_is_missing_and_the_draft_ranking(app, portal_db):
    rate_first_grid(portal_db)
    at = open_page(app, "staff")
    assert at.selectbox(key="ranking_publish_month").value == last_month()
    lines = texts(at.markdown)
    assert "- 无人评分：3-1、3-2、4-1、4-2、5-1、5-2、6-1、6-2、7-1、7-2、8-1、8-2" in lines
    assert "共 16 栋，4 栋已评完，12 栋缺评分：" in texts(at.caption)
    table = at.dataframe[0].value
    assert list(table.columns) == ["名次", "楼栋", "得分", "星级", "评分", "参与度", "评分人", "备注"]
    assert table.iloc[0]["楼栋"] == "1-1" and table.iloc[0]["备注"] == "流动红旗"
    assert table.iloc[0]["星级"].startswith("★") and table.iloc[1]["备注"] == ""
    assert "状态：评分中" in texts(at.caption)
    assert "还有评分没有完成，缺少的评分按 0 计算。" in texts(at.warning)


def test_publishing_with_missing_scores_needs_the_tick_then_pays_the_points(app, portal_db):
    rate_first_grid(portal_db)
    at = open_page(app, "staff")
    at.radio(key="ranking_publish_reward_kind").set_value("points").run()
    at.number_input(key="ranking_publish_points").set_value(20).run()
    at.button(key=GO).click().run()
    assert any(m.startswith("缺少评分：还有评分没有完成：无人评分：3-1") for m in texts(at.error))
    assert not get_month(portal_db, last_month()).is_published

    at.checkbox(key="ranking_publish_confirm_missing").check().run()
    at.button(key=GO).click().run()
    assert not at.exception
    assert f"已公布{last_month()[:4]}年{int(last_month()[5:])}月的星级楼栋评比。" in texts(at.success)
    month = get_month(portal_db, last_month())
    assert month.is_published and month.reward_points == 20
    assert month.missing.startswith("无人评分：3-1")
    assert ledger.balance(portal_db, user(portal_db, "resident").id) >= 20  # 林阿姨 lives in 1-1
    assert scalar(portal_db, "SELECT COUNT(*) FROM points_ledger WHERE kind = 'ranking'") >= 1
    assert any(s.startswith(f"{last_month()[:4]}年") and "流动红旗：1-1" in s for s in texts(at.success))
    assert not [b for b in at.button if b.key == GO]  # frozen: no 公布 again
    assert not [f for f in at.text_area if f.key == "ranking_fix_reason"]  # staff: no 更正


def test_a_reward_into_a_project_is_chosen_from_the_open_projects(app, portal_db):
    rate_first_grid(portal_db)
    staff = user(portal_db, "staff")
    project = make_project(portal_db, created_by=staff.id, place_id=place(portal_db, "1-1"),
                           title="楼道刷新")
    make_project(portal_db, created_by=staff.id, place_id=place(portal_db, "1-1"), status="done",
                 title="早已完工")
    at = open_page(app, "staff")
    at.radio(key="ranking_publish_reward_kind").set_value("project").run()
    choice = at.selectbox(key="ranking_publish_project")
    titles = list(choice.options)
    assert "楼道刷新" in titles and "早已完工" not in titles
    choice.set_value(project["id"])
    at.text_input(key="ranking_publish_yuan").input("300")
    at.checkbox(key="ranking_publish_confirm_missing").check().run()
    at.button(key=GO).click().run()
    assert not at.exception
    assert scalar(portal_db, "SELECT amount_fen FROM crowdfund_grants WHERE project_id = ?",
                  (project["id"],)) == 30_000
    assert "奖励金 300.00 元已投入众筹项目“楼道刷新”。" in texts(at.caption)


def test_an_admin_corrects_a_published_month_only_with_a_reason(app, portal_db):
    rate_first_grid(portal_db)
    publish.publish(portal_db, user(portal_db, "staff"), month=last_month(), confirm_missing=True)
    at = open_page(app, "admin")
    at.selectbox(key="ranking_publish_month").set_value(last_month()).run()
    at.selectbox(key="ranking_fix_place").set_value(place(portal_db, "1-1")).run()
    at.selectbox(key="ranking_fix_star_1").set_value(1)
    at.button(key=f"FormSubmitter:ranking_fix_{last_month()}_{place(portal_db, '1-1')}_"
                  f"{user(portal_db, 'leader').id}-提交更正").click().run()
    assert "更正理由：更正已公布的评比必须填写理由。" in texts(at.error)
    assert get_month(portal_db, last_month()).corrected_at is None

    at.text_area(key="ranking_fix_reason").input("老吴把环境卫生填错了")
    at.selectbox(key="ranking_fix_star_1").set_value(1)
    at.button(key=f"FormSubmitter:ranking_fix_{last_month()}_{place(portal_db, '1-1')}_"
                  f"{user(portal_db, 'leader').id}-提交更正").click().run()
    assert not at.exception
    assert f"已更正{last_month()[:4]}年{int(last_month()[5:])}月的评比。" in texts(at.success)
    fixed = {s.code: s for s in standings.published(portal_db, last_month())}["1-1"]
    assert fixed.corrected and fixed.detail["环境卫生"] == 10
    assert get_month(portal_db, last_month()).corrected_at is not None
    table = at.dataframe[0].value
    assert [note for note in table["备注"] if "已更正" in note]
    assert "状态：已公布" in texts(at.caption)
