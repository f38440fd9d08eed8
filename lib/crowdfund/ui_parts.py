"""Streamlit pieces the 众筹 tabs share (the 管理 › 众筹账目 tabs pick a project the same way)."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.crowdfund import projects
from lib.people.ui import AFTER_LOGIN

# the project a guest was looking at when they went to log in: 众筹 reopens it afterwards
RETURN_PROJECT = "crowdfund_return_project"


def choose_project(db: Database, statuses: tuple[str, ...], *, key: str,
                   none_text: str) -> projects.Project | None:
    """A picker of the projects in ``statuses`` ("title（status）"), or ``none_text`` and None."""
    choices = projects.list_projects(db, statuses=statuses)
    if not choices:
        st.info(none_text)
        return None
    return st.selectbox("众筹项目", choices, key=key,
                        format_func=lambda p: f"{p.title}（{p.status_label}）")


def log_in_to_act(project_id: int, label: str, *, key: str) -> None:
    """A guest's button to log in and come back to this project (and tab) to pledge or sign up."""
    if st.button(label, type="primary", key=key):
        st.session_state[AFTER_LOGIN] = "crowdfund"
        st.session_state[RETURN_PROJECT] = project_id
        ui.go_to("account")
