"""AppTest of the 公示 tab (everyone, guests too) and 管理 › 众筹账目 › 支出登记 (staff)."""
import json

from lib.core.db import scalar
from lib.crowdfund import books
from tests.app.conftest import by_label, texts
from tests.app.crowdfund_pages import open_books, open_tab, user
from tests.crowdfund_helpers import make_project
from tests.test_crowdfund_books import attend, jpeg, receive






def a_project(db, *, money: bool = True) -> dict:
    place = scalar(db, "SELECT id FROM places WHERE code = '1-1'")
    project = make_project(db, created_by=user(db, "staff").id, place_id=place,
                           title="车棚地面硬化", tasks=({"name": "平整地面", "days": -1},))
    if money:
        receive(db, project["id"], user(db, "resident"), 10_000)
        receive(db, project["id"], user(db, "zhangwei"), 20_000, anonymous=1)
        receive(db, project["id"], user(db, "wangxiulan"), 30_000, status="pledged")
        attend(db, project["tasks"][0], user(db, "zhangwei"))
    return project


def open_ledger(app, username: str | None, project_id: int):
    return open_tab(app, username, project_id, "公示")


def frame_text(at) -> str:
    return json.dumps([frame.value.to_dict() for frame in at.dataframe], ensure_ascii=False,
                      default=str)


def test_a_guest_reads_the_totals_the_masked_lines_and_the_wechat_text(app, portal_db):
    project = a_project(portal_db)
    at = open_ledger(app, None, project["id"])
    assert [(metric.label, metric.value) for metric in at.metric] == [
        ("合计（元）", "1,920.00"), ("结余（元）", "1,800.00")]
    shown = " ".join(texts(at.markdown))
    assert "居民出资 300.00 元（2 笔）" in shown and "出工 1 人次共 4 小时" in shown
    table = frame_text(at)
    assert "匿名 出资" in table and "+600.00" in table and "折120.00" in table
    real_names = [user(portal_db, name).display_name for name in ("resident", "zhangwei",
                                                                 "wangxiulan")]
    assert not [name for name in real_names if name in table or name in shown]
    assert "300.00" not in table  # the 认捐 is not money held yet
    assert at.code[0].value.startswith("【众筹公示】车棚地面硬化（众筹中）")
    assert f"crowdfund?p={project['id']}" in at.code[0].value
    chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert chart["layer"][1]["data"]["values"][-1]["结余(元)"] == 1800.0


def test_an_empty_ledger_says_what_will_appear(app, portal_db):
    project = a_project(portal_db, money=False)
    at = open_ledger(app, "resident", project["id"])
    assert any("认捐经工作人员确认到账后才会公示" in text for text in texts(at.info))
    assert not at.dataframe


def test_a_receipt_is_chosen_and_shown(app, portal_db, tmp_path):
    from lib.core.config import load_settings
    project = a_project(portal_db)
    books.record_spending(portal_db, user(portal_db, "staff"), project_id=project["id"],
                          amount="99.99", item="水泥 2 袋", spent_on="2026-01-01", key="r",
                          receipt=jpeg(), data_dir=load_settings().data_dir)
    at = open_ledger(app, None, project["id"])
    choice = by_label(at.selectbox, "查看收据照片")
    assert choice.options == ["2026-01-01 水泥 2 袋 99.99 元"]
    choice.select_index(0).run()
    assert not at.exception and len(at.get("image")) == 1


def open_spending(app, username: str = "staff"):
    return open_books(app, username, "支出登记")


def test_staff_record_a_spending_and_see_the_balance_fall(app, portal_db):
    project = a_project(portal_db)
    at = open_spending(app)
    assert by_label(at.metric, "当前结余（元）").value == "1,800.00"
    by_label(at.text_input, "金额（元）").input("1250.5")
    by_label(at.text_input, "事项").input("水泥 20 袋")
    at.button(key="FormSubmitter:crowdfund_spend_form-登记支出").click().run()
    assert not at.exception
    assert texts(at.success) == ["已登记支出：水泥 20 袋 1,250.50 元。"]
    assert by_label(at.metric, "当前结余（元）").value == "549.50"
    assert books.balance(portal_db, project["id"]) == 54_950
    assert by_label(at.text_input, "金额（元）").value == ""


def test_spending_beyond_the_balance_is_refused_in_chinese_and_nothing_is_stored(app, portal_db):
    project = a_project(portal_db)
    at = open_spending(app)
    by_label(at.text_input, "金额（元）").input("1800.01")
    by_label(at.text_input, "事项").input("水泥 20 袋")
    at.button(key="FormSubmitter:crowdfund_spend_form-登记支出").click().run()
    assert not at.exception
    assert texts(at.error) == ["金额：支出超过结余：当前结余 1,800.00 元"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM crowdfund_spending") == 0
    assert books.balance(portal_db, project["id"]) == 180_000
    assert by_label(at.text_input, "金额（元）").value == "1800.01"  # kept to correct


def test_without_an_open_project_there_is_nothing_to_record(app, portal_db):
    at = open_spending(app, "admin")
    assert any("目前没有众筹中或实施中的项目" in text for text in texts(at.info))


def test_a_long_ledger_shows_its_latest_lines_until_all_are_asked_for(app, portal_db,
                                                                      monkeypatch):
    from lib.crowdfund import ui_ledger
    monkeypatch.setattr(ui_ledger, "TABLE_ROWS", 2)
    project = a_project(portal_db)  # three lines: two contributions, one attendance
    at = open_ledger(app, None, project["id"])
    assert len(at.dataframe[0].value) == 2
    assert any("下表为最近 2 条" in text for text in texts(at.caption))
    at.toggle(key=f"crowdfund_all_rows_{project['id']}").set_value(True).run()
    assert not at.exception and len(at.dataframe[0].value) == 3
