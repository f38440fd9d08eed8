"""Streamlit pieces the 众筹 tabs share (the 管理 › 众筹账目 tabs pick a project the same way)."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.crowdfund import projects


def choose_project(db: Database, statuses: tuple[str, ...], *, key: str,
                   none_text: str) -> projects.Project | None:
    """A picker of the projects in ``statuses`` ("title（status）"), or ``none_text`` and None."""
    choices = projects.list_projects(db, statuses=statuses)
    if not choices:
        st.info(none_text)
        return None
    return st.selectbox("众筹项目", choices, key=key,
                        format_func=lambda p: f"{p.title}（{p.status_label}）")
