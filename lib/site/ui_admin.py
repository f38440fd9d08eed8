"""管理 › 审计日志: the one admin screen that reads across every feature, so it sits on top.

The other admin screens live inside their features (lib/people/ui_admin.py, lib/reports/ui_admin.py,
lib/core/ui_admin.py); app_pages/admin/ holds one thin page per task.
"""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import local_text
from lib.core.roles import ADMIN, User, require_role
from lib.site.audit_log import readable


def audit_log(db: Database, actor: User) -> None:
    """The newest 200 recorded actions, in Chinese (times in Asia/Shanghai)."""
    require_role(actor, ADMIN)  # the log names people and what they did: admins only
    rows = readable(db, audit.recent(db, limit=200))
    # st.dataframe shows cells as plain text: names typed by users stay inert here.
    st.dataframe([{"时间": local_text(r["at"]), "操作人": r["actor"], "操作": r["action"],
                   "对象": r["target"], "详情": r["detail"]} for r in rows],
                 hide_index=True, width="stretch")
