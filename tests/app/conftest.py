"""AppTest helpers: the whole app from app.py on a fresh demo data directory per test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.core.config import load_settings
from lib.core.db import open_db


ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "Demo@2026"


@pytest.fixture(autouse=True)
def restore_main_module():
    """AppTest leaves app.py as sys.modules['__main__']; spawned processes in later tests would
    then re-run the app on start-up, so put the real __main__ back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A factory of AppTests sharing one temporary demo data directory."""
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_MODE", "demo")
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "0")  # an empty wall; a test may ask for the history
    monkeypatch.setenv("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")

    def make() -> AppTest:
        return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)

    return make


@pytest.fixture
def portal_db(app):
    """The app's own database (seeded on first open), for asserting what a page stored."""
    app().run()
    database = open_db(load_settings().database_path)
    yield database
    database.conn.close()


def by_label(widgets, label: str):
    return next(widget for widget in widgets if widget.label == label)


def login(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Log in through the real streamlit-authenticator form on the account page."""
    at.switch_page("app_pages/account.py").run()
    by_label(at.text_input, "用户名").input(username)
    by_label(at.text_input, "密码").input(password)
    by_label(at.button, "登录").click()
    at.run()
    return at


def open_as(app, page: str, username: str | None) -> AppTest:
    """Run the portal as ``username`` (a guest when None) and switch to ``page``, as a tap would."""
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def texts(elements) -> list[str]:
    """Element values with markdown escapes removed, as a person would read them."""
    return [str(element.value).replace("\\", "") for element in elements]
