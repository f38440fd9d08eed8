"""The benchmark's burst client really makes the server run the page it asks for.

Without this a burst could time nothing: sessions refused at the handshake, a page name the
server does not know (it falls back to 首页), or a script that raised, all end quickly.
"""
import sqlite3

import pytest

from bench.burst import burst
from tests.browser.conftest import ROOT, Server


LANDING_TEXT = "看到问题，拍下来告诉社区"  # the caption of 随手拍, on no other page


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("burst-data"), env={"PORTAL_DEMO_HISTORY": "0"})
    yield running
    running.stop()


def place_name(server: Server, code: str) -> str:
    conn = sqlite3.connect(server.data_dir / "portal.db")
    try:
        return conn.execute("SELECT name FROM places WHERE code = ?", (code,)).fetchone()[0]
    finally:
        conn.close()


def test_every_session_runs_the_qr_landing_page_to_the_end(portal):
    result = burst(portal.url, 5, page="report", query="b=1-1", expect=(LANDING_TEXT,), timeout=60)
    assert [session.error for session in result.sessions] == [None] * 5
    assert all(session.latency_ms is not None and session.latency_ms > 0
               for session in result.sessions)
    assert result.wall_s >= max(result.latencies_ms) / 1000 * 0.99
    # the place picker starts on the QR code's place, so the query string was read
    place = place_name(portal, "1-1")
    assert {session.chosen["问题在哪里"] for session in result.sessions} == {f"{place}（1-1）"}
    result = burst(portal.url, 2, page="report", query="b=2-1", expect=(LANDING_TEXT,),
                   chosen={"问题在哪里": "（1-1）"}, timeout=60)
    assert [session.error for session in result.sessions] == [
        f"'问题在哪里' shows '{place_name(portal, '2-1')}（2-1）', not '（1-1）'"] * 2


def test_a_session_fails_when_the_page_is_not_the_one_asked_for(portal):
    # 首页 without a place: the landing page's caption never arrives
    result = burst(portal.url, 2, page="", query="", expect=(LANDING_TEXT,), timeout=60)
    assert len(result.failed) == 2
    assert all("page text missing" in session.error for session in result.failed)
    # an unknown page is reported as such, not timed as a success
    result = burst(portal.url, 1, page="no-such-page", query="", expect=(), timeout=60)
    assert [session.error for session in result.sessions] == ["page not found: 'no-such-page'"]


def test_a_script_error_fails_the_session(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import streamlit as st\nst.write('开始')\nraise RuntimeError('坏了')\n")
    server = Server(tmp_path, script=script)
    try:
        result = burst(server.url, 2, expect=("开始",), timeout=60)
    finally:
        server.stop()
    assert len(result.failed) == 2
    assert all(session.error.startswith("exception:") for session in result.failed)


def test_the_empty_floor_page_answers_every_session(tmp_path):
    server = Server(tmp_path, script=ROOT / "bench" / "empty_page.py")
    try:
        result = burst(server.url, 5, expect=("空白页",), timeout=60)
    finally:
        server.stop()
    assert not result.failed and len(result.latencies_ms) == 5


def test_a_burst_runs_where_an_event_loop_is_already_running(portal):
    # Earlier tests in the same session can leave a loop running; asyncio.run refuses that.
    import asyncio
    import threading

    results = []

    async def inside_a_loop():
        return burst(portal.url, 2, page="report", query="b=1-1", expect=(LANDING_TEXT,),
                     timeout=60)

    # a thread of its own, so this test has a running loop whatever ran before it
    thread = threading.Thread(target=lambda: results.append(asyncio.run(inside_a_loop())))
    thread.start()
    thread.join(timeout=120)
    assert [session.error for session in results[0].sessions] == [None, None]
