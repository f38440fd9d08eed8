"""Admin-tunable rules: defaults, ranges, and that the report rules follow them."""
import pytest

from lib.core import rules
from lib.core.errors import PermissionDenied, ValidationError


def test_defaults_apply_until_an_admin_changes_a_rule(db, make_user):
    assert rules.get(db, "reports.accept_within_hours") == 24
    rules.set_rule(db, make_user("admin"), key="reports.accept_within_hours", value=48)
    assert rules.get(db, "reports.accept_within_hours") == 48


@pytest.mark.parametrize("value", [0, -1, 241, "12", 2.5])
def test_values_outside_the_range_are_refused_and_nothing_changes(db, make_user, value):
    with pytest.raises(ValidationError):
        rules.set_rule(db, make_user("admin"), key="reports.accept_within_hours", value=value)
    assert rules.get(db, "reports.accept_within_hours") == 24


def test_only_admins_set_rules_and_unknown_rules_are_refused(db, make_user):
    with pytest.raises(PermissionDenied):
        rules.set_rule(db, make_user("staff"), key="points.report_accepted", value=10)
    with pytest.raises(ValidationError):
        rules.set_rule(db, make_user("admin"), key="no.such.rule", value=1)


def test_a_corrupt_stored_value_falls_back_to_the_default(db):
    db.execute("UPDATE settings SET value = 'lots' WHERE key = 'points.report_accepted'")
    db.conn.commit()
    assert rules.get(db, "points.report_accepted") == 5
