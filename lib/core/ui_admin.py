"""管理 screens of the shared core: the community's rules and backups, and the admin screens' one
way of trying an action (any domain error shown in Chinese, else a success note).

Each feature's admin screens live in its own package (lib/people/ui_admin.py, lib/reports/ui_admin.py);
the thin pages in app_pages/admin/ call them, one task a page.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlite_utils import Database

from lib.core import backup, rules, ui
from lib.core.errors import PortalError
from lib.core.roles import User


def attempt(action: Callable[[], object], success: str,
            labels: dict[str, str] | None = None) -> bool:
    """Run a form's action; a refusal is shown beside the form in Chinese, and nothing else.

    Returns whether the action went through, for the few forms that do more after it.
    """
    try:
        action()
    except PortalError as error:
        ui.show_error(error, labels)
        return False
    st.success(success)
    return True


def community_rules(db: Database, actor: User, prefix: str = "reports.") -> None:
    """The rules whose key starts with ``prefix`` (reports.*: time limits; points.*: 积分规则)."""
    with st.form(f"admin_rules_{prefix}"):
        values = {key: st.number_input(f"{rule.label}（{rule.unit}）", min_value=rule.low,
                                       max_value=rule.high, step=1, value=rules.get(db, key),
                                       key=f"admin_rule_{key}")
                  for key, rule in rules.RULES.items() if key.startswith(prefix)}
        if st.form_submit_button("保存规则"):
            def save() -> None:
                for key, value in values.items():
                    if value != rules.get(db, key):
                        rules.set_rule(db, actor, key=key, value=int(value))
            attempt(save, "规则已保存。")


def backups(db: Database, actor: User) -> None:
    """A consistent copy of the database and photos, taken while the portal keeps running."""
    settings = ui.portal().settings
    folder = settings.data_dir / "backups"
    st.caption(f"备份包含数据库和全部照片，保存在服务器的 {ui.esc(folder)}；"
               "恢复请停止平台后运行 python -m lib.core.backup restore 备份文件。")
    if st.button("立即备份", key="admin_backup", type="primary"):
        try:
            with st.spinner("正在备份…"):
                archive = backup.create(settings, actor=actor)
        except PortalError as error:  # e.g. the backups folder is not writable
            ui.show_error(error)
        else:
            size_mb = archive.stat().st_size / 1024 / 1024
            st.success(f"已备份：{ui.esc(archive.name)}（{size_mb:.1f} MB）")
            if size_mb <= 200:
                st.download_button("下载备份", archive.read_bytes(), file_name=archive.name,
                                   mime="application/zip", key="admin_backup_download",
                                   on_click="ignore")
    existing = sorted(folder.glob("portal-backup-*.zip"), reverse=True) if folder.is_dir() else []
    if existing:
        st.dataframe([{"备份文件": path.name, "大小 (MB)": round(path.stat().st_size / 1024 / 1024, 1)}
                      for path in existing[:20]], hide_index=True, width="stretch")
