"""Small Streamlit pieces every part of 议事 shares (kept apart from ui.py, which imports the
parts' tabs, so a part can use these without an import cycle)."""
from __future__ import annotations

import streamlit as st

from lib.core import photos, ui
from lib.people.ui import AFTER_LOGIN


TOPIC_PARAM = "t"  # /council?t=<id>: a topic's page
MEETING_PARAM = "m"  # /council?m=<id>: a meeting's page


def open_topic(topic_id: int) -> None:
    """A button's on_click: open a topic's page (the URL changes, so Back works)."""
    st.query_params.pop(MEETING_PARAM, None)
    st.query_params[TOPIC_PARAM] = str(topic_id)


def open_meeting(meeting_id: int) -> None:
    """A button's on_click: open a meeting's page."""
    st.query_params.pop(TOPIC_PARAM, None)
    st.query_params[MEETING_PARAM] = str(meeting_id)


def back_to_board() -> None:
    """A button's on_click: back to the board from a topic or a meeting."""
    st.query_params.pop(TOPIC_PARAM, None)
    st.query_params.pop(MEETING_PARAM, None)


def photo(name: str | None, *, thumb: bool = False) -> None:
    """A stored photo (nothing when there is none or its file is gone)."""
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=thumb)
    if path.exists():
        st.image(str(path), width="stretch")


RETURN_TOPIC = "council_return_topic"  # the topic a guest was on when they went to log in


def log_in_to_act(label: str, *, key: str, topic_id: int | None = None) -> None:
    """A guest's button to log in and come back here (to this topic, if any) to take part."""
    if st.button(label, type="primary", key=key):
        st.session_state[AFTER_LOGIN] = "council"
        if topic_id is not None:
            st.session_state[RETURN_TOPIC] = topic_id
        ui.go_to("account")
