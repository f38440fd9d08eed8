"""Opening a page writes nothing: reads stay reads, whoever looks and however often.

A write on a read path turns every page view into a lock on the database (and every crawler
into a writer); the auto-confirm sweep once ran on page views and is a background thread now.
"""
import sqlite3

import pytest

from lib.core.config import load_settings
from lib.core.ui import PAGE_FILES
from tests.app.conftest import login

ROLES = ("guest", "resident", "leader", "staff", "admin")


def data_version(watcher: sqlite3.Connection) -> int:
    """SQLite's counter of commits made by other connections to this file."""
    return watcher.execute("PRAGMA data_version").fetchone()[0]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_writes_when_it_is_only_looked_at(app, monkeypatch, role):
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "1")  # reports in every state, photos, points
    at = app()
    at.run()
    if role != "guest":
        login(at, role)
        at.run()
    # Every page once, so first visits (cookies, remembered tabs) are behind us.
    for script in PAGE_FILES.values():
        at.query_params.clear()
        at.switch_page(script).run()
    watcher = sqlite3.connect(load_settings().database_path)
    try:
        before = data_version(watcher)
        visited = []
        for url_path, script in PAGE_FILES.items():
            for params in ({}, {"b": "1-1"}) + (({"n": "1"},) if url_path == "reports" else ()):
                at.query_params.clear()
                at.switch_page(script)
                for key, value in params.items():
                    at.query_params[key] = value
                at.run()
                assert not at.exception, (role, url_path, params, at.exception)
                visited.append(url_path)
        assert data_version(watcher) == before, f"a page wrote to the database for {role}"
        assert set(visited) == set(PAGE_FILES)
    finally:
        watcher.close()


def test_the_check_sees_a_write(app, portal_db):
    watcher = sqlite3.connect(load_settings().database_path)
    try:
        before = data_version(watcher)
        portal_db.execute("INSERT INTO settings (key, value) VALUES ('a_write', 'x')")
        portal_db.conn.commit()
        assert data_version(watcher) != before
    finally:
        watcher.close()
