"""show_error: the one way a page turns a domain error into Chinese text beside its field."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _screen(kind: str, labelled: bool = True, placed: bool = False) -> None:
    """A tiny page raising one domain error (the arguments arrive as AppTest kwargs)."""
    import streamlit as st

    from lib.core import errors, ui

    hostile = "**粗体** [点我](javascript:alert(1)) <b>x</b> :red[红字] $x^2$"
    error = {
        "validation": errors.ValidationError({"username": "用户名已被使用", "password": "太短"}),
        "plain": errors.ValidationError("请填写内容"),
        "throttled": errors.LoginThrottled(30),
        "transition": errors.InvalidTransition("该问题已办结，不能再受理。"),
        "photo": errors.PhotoRejected("heic"),
        "hostile_field": errors.ValidationError({"username": hostile}),
        "hostile_other": errors.NotFound(hostile),
    }[kind]
    labels = {"username": "用户名", "password": "密码"} if labelled else None
    places = None
    if placed:
        st.text_input("用户名", key="name")
        places = {"username": st.empty()}
        st.text_input("密码", key="password")
        places["*"] = st.empty()
    try:
        raise error
    except errors.PortalError as caught:
        ui.show_error(caught, labels, places=places)


def run(**kwargs) -> AppTest:
    at = AppTest.from_function(_screen, kwargs=kwargs, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def unescaped(at: AppTest) -> list[str]:
    return [str(element.value).replace("\\", "") for element in at.error]


def test_each_refused_field_is_shown_after_its_label():
    at = run(kind="validation")
    assert unescaped(at) == ["用户名：用户名已被使用", "密码：太短"]


def test_a_field_without_a_label_shows_only_its_message():
    assert unescaped(run(kind="validation", labelled=False)) == ["用户名已被使用", "太短"]
    assert unescaped(run(kind="plain")) == ["请填写内容"]


@pytest.mark.parametrize("kind, message", [
    ("throttled", "尝试次数较多，为保护账号，请 30 秒后再试。"),
    ("transition", "该问题已办结，不能再受理。"),
])
def test_an_error_that_is_not_about_a_field_shows_its_chinese_message(kind, message):
    assert unescaped(run(kind=kind)) == [message]


def test_a_photo_refusal_keeps_its_chinese_reason():
    (shown,) = unescaped(run(kind="photo"))
    assert "HEIC" in shown


def test_a_placed_error_lands_in_the_placeholder_beside_its_widget():
    at = run(kind="validation", placed=True)
    # Order of the page: 用户名 input, its placeholder, 密码 input, the rest's placeholder.
    main = [node for node in at.main.children.values()]
    kinds = [node.type for node in main]
    assert kinds == ["text_input", "error", "text_input", "error"]
    assert [str(main[1].value).replace("\\", ""), str(main[3].value).replace("\\", "")] == [
        "用户名：用户名已被使用", "密码：太短"]


@pytest.mark.parametrize("kind", ["hostile_field", "hostile_other"])
def test_user_text_in_a_message_reaches_markdown_only_escaped(kind):
    at = run(kind=kind)
    (raw,) = [str(element.value) for element in at.error]
    for live in ("**粗体**", "[点我]", "(javascript:", "<b>", ":red[", "$x^2$"):
        assert live not in raw
    assert "粗体" in raw and "点我" in raw  # the words are still there, only made inert
