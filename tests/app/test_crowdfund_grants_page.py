"""AppTest: a 奖励金 (grant) shows on a project's 概况 and in its 公示, for guests too."""
import json

from lib.crowdfund import books
from tests.app.conftest import texts
from tests.app.crowdfund_pages import open_tab, user
from tests.app.test_crowdfund_books_page import a_project, frame_text


def test_a_guest_sees_the_grant_with_its_source_in_the_ledger_and_the_overview(app, portal_db):
    project = a_project(portal_db)
    books.add_grant(portal_db, user(portal_db, "staff"), project_id=project["id"],
                    amount_fen=50_000, source="2026年10月星级楼栋评比奖励（流动红旗：1-1）",
                    key="ranking:2026-10:reward")
    at = open_tab(app, None, project["id"], "公示")
    assert [(metric.label, metric.value) for metric in at.metric] == [
        ("合计（元）", "2,420.00"), ("结余（元）", "2,300.00")]
    assert "奖励金 500.00 元（2026年10月星级楼栋评比奖励（流动红旗：1-1））" in " ".join(
        texts(at.markdown))
    table = frame_text(at)
    assert "奖励金·2026年10月星级楼栋评比奖励（流动红旗：1-1）" in table and "+500.00" in table
    assert "2,300.00" in table  # the running balance after the grant
    chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert chart["layer"][1]["data"]["values"][-1]["结余(元)"] == 2300.0
    overview = open_tab(app, None, project["id"], "概况")
    assert any("另有奖励金 500.00 元（不配套）" in text for text in texts(overview.caption))
