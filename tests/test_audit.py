"""The audit log reads in Chinese: every action code has a label, every target a name."""
import ast
import json
import re
from pathlib import Path

from lib.core import audit, rules
from lib.core.roles import ADMIN
from lib.people import org
from lib.site import audit_log


ROOT = Path(__file__).resolve().parent.parent


def _strings(node: ast.AST) -> set[str]:
    """String constants an expression can evaluate to (a literal, or either side of an if)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def written_action_codes() -> set[str]:
    """Every action code a module of lib/ passes to audit.record, read from the source."""
    codes: set[str] = set()
    for path in sorted((ROOT / "lib").rglob("*.py")):
        tree = ast.parse(path.read_text())
        move_kinds = {call.args[4].value for call in ast.walk(tree) if isinstance(call, ast.Call)
                      and getattr(call.func, "id", "") == "_move" and len(call.args) > 4
                      and isinstance(call.args[4], ast.Constant)}
        # helpers that take the action code as a parameter, e.g. _store_password(..., action)
        passes_action = {fn.name: [a.arg for a in fn.args.args].index("action")
                         for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                         and "action" in [a.arg for a in fn.args.args]}
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            position = passes_action.get(getattr(call.func, "id", ""))
            if position is not None and len(call.args) > position:
                codes |= _strings(call.args[position])
            if getattr(call.func, "attr", "") == "record" and len(call.args) > 2:
                action = call.args[2]
                if isinstance(action, ast.JoinedStr):  # f"report.{kind}" from _move
                    codes |= {f"report.{kind}" for kind in move_kinds}
                codes |= {code for code in _strings(action) if "." in code}
            codes |= {code for keyword in call.keywords if keyword.arg == "action"
                      for code in _strings(keyword.value)}
    return codes


def test_every_action_code_written_in_lib_has_a_chinese_label():
    codes = written_action_codes()
    assert {"household.verify", "report.accepted", "user.role", "points.award"} <= codes
    missing = sorted(code for code in codes if code not in audit_log.ACTION_LABELS)
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in audit_log.ACTION_LABELS.values())


def test_an_unknown_code_is_shown_as_it_is():
    assert audit_log.action_label("made.up") == "made.up"
    assert audit_log.action_label("household.verify") == "核实住户通过"


def test_targets_are_named_as_people_read_them(db, make_user):
    admin = make_user(ADMIN, username="chen", display_name="陈主任")
    zhang = make_user(username="zhang", display_name="张三")
    org.seed_organisation(db, {"community": {"name": "幸福里"}, "grids": [{"name": "第一网格",
                          "microgrids": [{"name": "第一微网格", "places": [
                              {"code": "1-1", "name": "1栋1单元", "kind": "building",
                               "households": []}]}]}], "places": []})
    place = org.place_by_code(db, "1-1")
    audit.record(db, admin.id, "user.role", "user", zhang.id, old="resident", new="leader")
    audit.record(db, admin.id, "report.accepted", "report", 12, to="accepted")
    audit.record(db, admin.id, "place.rename", "place", place.id, old="1栋", new="1栋1单元")
    audit.record(db, admin.id, "rule.set", "setting", "points.report_accepted", old=5, new=8)
    audit.record(db, None, "report.auto_confirmed", "report", 13)
    audit.record(db, None, "made.up", "thing", 7)
    audit.record(db, None, "report.file", "report", 14)
    db.execute("UPDATE audit_log SET at = '2020-01-01T00:00:00+00:00' WHERE action = 'report.file'")
    rows = audit_log.readable(db, audit.recent(db))
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        ("系统", "made.up", "thing 7"),
        ("系统", "逾期视为已解决", "问题 第 13 号"),
        ("陈主任（chen）", "修改规则", f"规则 {rules.RULES['points.report_accepted'].label}"),
        ("陈主任（chen）", "重命名楼栋或地点", "楼栋 1-1"),
        ("陈主任（chen）", "受理问题", "问题 第 12 号"),
        ("陈主任（chen）", "修改身份", "用户 张三（zhang）"),
        ("访客", "提交随手拍", "问题 第 14 号"),  # the oldest last, though written last
    ]
    assert rows[-2]["detail"] == "原：居民，新：微网格长"
    assert rows[-3]["detail"] == "状态：已受理"


def test_a_detail_that_is_not_json_is_shown_unchanged():
    assert audit_log.detail_text("x.y", "free text") == "free text"
    assert audit_log.detail_text("x.y", json.dumps([1, 2])) == "[1, 2]"
    assert audit_log.detail_text("x.y", "") == ""
