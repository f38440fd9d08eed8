"""AppTest of 一户一票: a topic's 表决 tab (vote, change, refusals, the public count) and
管理 › 议事 › 投票 (open a vote, paper ballots, the record), for each role."""
from __future__ import annotations

import json
from datetime import timedelta

import pyarrow
import pytest

from lib.core.clock import utc_now
from lib.core.db import scalar
from lib.core.errors import PermissionDenied
from lib.council import ui_vote, votes
from lib.council import ui as council_ui
from lib.council import ui_admin as council_admin_ui
from lib.council.tally import tally
from lib.people.users import load_user
from tests.app.conftest import login, texts
from tests.council_helpers import counted, make_plan, make_topic, make_vote


COUNCIL = "app_pages/council.py"
ADMIN = "app_pages/admin/council.py"


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """This part's two registry lines, set here too so the tests hold with or without them."""
    monkeypatch.setitem(council_ui.TOPIC_TABS, "表决", ui_vote.vote_tab)
    monkeypatch.setitem(council_admin_ui.ADMIN_TABS, "投票", ui_vote.votes_admin)


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def world(db, **vote_kw) -> dict:
    """A topic with a plan under an open vote (同意/不同意); resident and resident2 share 1-1 302."""
    staff = user(db, "staff")
    topic = make_topic(db, proposed_by=user(db, "resident").id, box="urgent_important")
    plan = make_plan(db, topic_id=topic, created_by=staff.id)
    vote = make_vote(db, plan_id=plan, created_by=staff.id, **vote_kw)
    return {"staff": staff, "topic": topic, "plan": plan, "vote": vote}


def open_tab(app, username: str | None, topic: int):
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(COUNCIL)
    at.query_params["t"] = str(topic)
    at.session_state[council_ui.TAB_KEY] = "表决"
    at.run()
    assert not at.exception
    return at


def successes(at) -> list[str]:
    return texts(at.success)


def test_a_member_votes_and_the_other_member_sees_your_home_voted(app, portal_db):
    w = world(portal_db)
    at = open_tab(app, "resident", w["topic"])
    assert "是否同意在大门加装雨棚？" in " ".join(texts(at.markdown))
    radio = next(r for r in at.radio if r.label == "你家的选择")
    assert list(radio.options) == ["同意", "不同意"]
    radio.set_value(w["vote"]["options"][0])
    next(b for b in at.button if b.label == "投票").click()
    at.run()
    assert any("已投票：同意（首次投票）" in s for s in successes(at))
    assert any(s.startswith("你家已投：同意（线上，居民 林阿姨") for s in successes(at))
    household = user(portal_db, "resident").household_id
    assert counted(portal_db, w["vote"]["id"]) == [(household, w["vote"]["options"][0], "online")]
    # the other member of 1-1 302 sees it, and may change it: the last choice counts
    other = open_tab(app, "resident2", w["topic"])
    assert any(s.startswith("你家已投：同意（线上，居民 林阿姨") for s in successes(other))
    next(r for r in other.radio if r.label == "你家的选择").set_value(w["vote"]["options"][1])
    next(b for b in other.button if b.label == "改票").click()
    other.run()
    assert any("已改票：不同意（改票，以最后一次为准）" in s for s in successes(other))
    assert counted(portal_db, w["vote"]["id"]) == [(household, w["vote"]["options"][1], "online")]
    assert [o.households for o in tally(portal_db, w["vote"]["id"]).options] == [0, 1]


def test_the_public_count_shows_totals_quorum_and_the_chart(app, portal_db):
    w = world(portal_db, quorum=2)
    votes.cast(portal_db, user(portal_db, "zhangwei"), vote_id=w["vote"]["id"],
               option_id=w["vote"]["options"][0], key="z")
    at = open_tab(app, None, w["topic"])  # a guest reads the count too
    metrics = {m.label: m.value for m in at.metric}
    eligible = scalar(portal_db, "SELECT COUNT(*) FROM households")
    assert metrics == {"已投户数": f"1 / {eligible}", "法定户数": "2户"}
    assert "同意：1户（100.0%）" in texts(at.caption)
    chart = at.get("vega_lite_chart")[0]
    assert json.loads(chart.proto.spec)["encoding"]["y"]["field"] == "选项"
    rows = pyarrow.ipc.open_stream(chart.proto.data.data).read_all().to_pylist()
    assert {row["选项"]: row["户数"] for row in rows} == {"同意": 1, "不同意": 0}
    assert any(b.label == "登录后投票" for b in at.button)
    assert not [r for r in at.radio if r.label == "你家的选择"]
    # the drawn count is kept until a new ballot comes in, never longer
    votes.cast(portal_db, user(portal_db, "wangxiulan"), vote_id=w["vote"]["id"],
               option_id=w["vote"]["options"][1], key="w")
    at.run()
    assert {m.label: m.value for m in at.metric}["已投户数"] == f"2 / {eligible}"
    assert "不同意：1户（50.0%）" in texts(at.caption)


@pytest.mark.parametrize("username, message", [
    ("newcomer", "住户核实后才能投票"),
])
def test_an_unverified_account_is_refused_and_nothing_counts(app, portal_db, username, message):
    w = world(portal_db)
    at = open_tab(app, username, w["topic"])
    next(r for r in at.radio if r.label == "你家的选择").set_value(w["vote"]["options"][0])
    next(b for b in at.button if b.label == "投票").click()
    at.run()
    assert any(message in e for e in texts(at.error))
    assert counted(portal_db, w["vote"]["id"]) == []


def test_a_closed_vote_shows_no_form_and_the_rule_result(app, portal_db):
    w = world(portal_db, quorum=1)
    votes.cast(portal_db, user(portal_db, "zhangwei"), vote_id=w["vote"]["id"],
               option_id=w["vote"]["options"][0], key="z")
    portal_db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?",
                      ((utc_now() - timedelta(minutes=1)).isoformat(timespec="seconds"),
                       w["vote"]["id"]))
    portal_db.conn.commit()
    at = open_tab(app, "resident", w["topic"])
    assert not [r for r in at.radio if r.label == "你家的选择"]
    assert any("计票结果（按规则）：通过" in i for i in texts(at.info))


def test_a_household_that_voted_on_paper_is_told_to_ask_the_office(app, portal_db):
    w = world(portal_db)
    household = user(portal_db, "resident").household_id
    votes.enter_paper(portal_db, w["staff"], vote_id=w["vote"]["id"], household_id=household,
                      option_id=w["vote"]["options"][1], signed_by="林阿姨",
                      collected_at=utc_now(), key="p")
    at = open_tab(app, "resident2", w["topic"])
    assert any(s.startswith("你家已投：不同意（纸质选票，林阿姨") for s in successes(at))
    assert "你家已交纸质选票，如需更改请联系社区。" in texts(at.info)
    assert not [r for r in at.radio if r.label == "你家的选择"]


# --- 管理 › 议事 › 投票 --------------------------------------------------------------------------


def open_admin(app, username: str):
    at = login(app(), username)
    at.switch_page(ADMIN)
    at.session_state[council_admin_ui.TAB_KEY] = "投票"
    at.run()
    assert not at.exception
    return at


def fill(at, **values):
    for key, value in values.items():
        widget = next(w for kind in ("text_input", "text_area", "number_input", "selectbox",
                                     "radio") for w in getattr(at, kind) if w.key == key)
        widget.set_value(value)


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_staff_open_a_vote_on_a_draft_plan(app, portal_db, username):
    staff = user(portal_db, "staff")
    plan = make_plan(portal_db, topic_id=make_topic(portal_db, proposed_by=None),
                     created_by=staff.id, title="楼道加装扶手")
    at = open_admin(app, username)
    fill(at, council_open_plan=plan, council_open_question="是否同意楼道加装扶手？",
         council_open_quorum=3)
    next(b for b in at.button if b.label == "发起表决").click()
    at.run()
    assert not at.exception
    assert "已发起表决，住户可以在议题的“表决”页投票。" in texts(at.success)
    vote_id = scalar(portal_db, "SELECT id FROM council_votes WHERE plan_id = ?", (plan,))
    vote = votes.get_vote(portal_db, vote_id)
    assert [(o.label, o.adopts) for o in vote.options] == [("同意", True), ("不同意", False),
                                                           ("弃权", False)]
    assert (vote.quorum, vote.state_label) == (3, "投票中")


def test_a_vote_without_a_question_is_refused(app, portal_db):
    staff = user(portal_db, "staff")
    make_plan(portal_db, topic_id=make_topic(portal_db, proposed_by=None), created_by=staff.id)
    at = open_admin(app, "staff")
    next(b for b in at.button if b.label == "发起表决").click()
    at.run()
    assert "表决事项：请填写表决事项。" in texts(at.error)
    assert scalar(portal_db, "SELECT COUNT(*) FROM council_votes") == 0


def test_staff_enter_paper_ballots_and_the_warning_for_an_online_household(app, portal_db):
    w = world(portal_db)
    resident = user(portal_db, "resident")
    votes.cast(portal_db, resident, vote_id=w["vote"]["id"], option_id=w["vote"]["options"][0],
               key="online")
    before = tally(portal_db, w["vote"]["id"])
    building = scalar(portal_db, "SELECT id FROM places WHERE code = '1-1'")
    at = open_admin(app, "staff")
    # 1-1 101 (王秀兰) has not voted: the paper ballot counts
    fill(at, council_paper_building=building, council_paper_room="101",
         council_paper_signed="王秀兰", council_paper_option=w["vote"]["options"][1])
    next(b for b in at.button if b.label == "录入纸质选票").click()
    at.run()
    assert not at.exception
    assert any(s.startswith("已录入") and s.endswith("101的纸质选票：不同意，已计入。")
               for s in texts(at.success)), texts(at.success)
    after_first = tally(portal_db, w["vote"]["id"])
    assert [o.households for o in after_first.options] == [1, 1] and after_first.paper == 1
    # 1-1 302 voted online: recorded, not counted, and the page says the count is unchanged
    fill(at, council_paper_building=building, council_paper_room="302",
         council_paper_signed="林阿姨", council_paper_option=w["vote"]["options"][1])
    next(b for b in at.button if b.label == "录入纸质选票").click()
    at.run()
    assert any("该户已在线投票，纸质票不计入。这张纸质选票已记录在案，计票不变。" in e
               for e in texts(at.error))
    assert tally(portal_db, w["vote"]["id"]) == after_first
    assert before.voted + 1 == after_first.voted
    rules = [b.rule for b in votes.ballots(portal_db, w["staff"], w["vote"]["id"])]
    assert rules == ["该户已在线投票，纸质票不计入", "纸质选票，该户首次投票", "首次投票"]
    # a room that does not exist is refused beside the form, nothing written
    fill(at, council_paper_building=building, council_paper_room="9999",
         council_paper_signed="某某", council_paper_option=w["vote"]["options"][0])
    next(b for b in at.button if b.label == "录入纸质选票").click()
    at.run()
    assert "房号：该楼栋没有 9999 这一户，请核对房号。" in texts(at.error)
    assert len(votes.ballots(portal_db, w["staff"], w["vote"]["id"])) == 3


@pytest.mark.parametrize("username", ["resident", "leader"])
def test_residents_and_leaders_get_no_votes_admin(app, portal_db, username):
    world(portal_db)
    at = login(app(), username)
    at.switch_page(ADMIN)
    at.run()
    assert not [b for b in at.button if b.label == "录入纸质选票"]
    # and lib refuses on its own, should the page guard ever be lifted
    with pytest.raises(PermissionDenied):
        votes.ballots(portal_db, user(portal_db, username), 1)
