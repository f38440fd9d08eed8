"""`make soak`: the real server killed with SIGKILL in the middle of browser submissions.

Thirty times: a resident files a 随手拍 report with a photo in Chromium, the server is killed
at a random moment around the submission, and then every report number the browser had shown
must be in the database, the file must pass integrity_check, and the portal must start again.
Photos of submissions that never committed are orphans that the start-up sweep removes.
"""
import os
import random
import re
import signal
from pathlib import Path

from lib.core import photos
from lib.core.db import open_db, scalar
from tests.browser.conftest import PHONE, Server, wait_ready


HERE = Path(__file__).resolve().parent.parent / "browser"
KILLS = 30


def submit(page, url: str) -> None:
    page.goto(f"{url}/report?b=1-1")
    wait_ready(page)
    page.get_by_role("combobox", name="问题类别").click()
    page.get_by_role("option", name="楼道堆物").click()
    wait_ready(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "before.jpg"))
    page.get_by_text("before.jpg").wait_for()
    page.get_by_role("textbox", name="问题描述").fill("断电测试：楼道堆满纸箱")
    page.get_by_role("button", name="提交").click()


def test_killing_the_server_mid_submission_loses_nothing_confirmed(browser, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rnd = random.Random(2026)
    confirmed: set[int] = set()
    for kill in range(KILLS):
        server = Server(data_dir)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            submit(page, server.url)
            page.wait_for_timeout(rnd.uniform(0, 1500))
        finally:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
        shown = page.get_by_text(re.compile(r"问题编号：\d+")).all_inner_texts()
        confirmed |= {int(re.search(r"问题编号：(\d+)", text)[1]) for text in shown}
        context.close()
        db = open_db(data_dir / "portal.db")
        assert scalar(db, "PRAGMA integrity_check") == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM reports")}
        assert confirmed <= stored, f"confirmed but lost after kill {kill}: {confirmed - stored}"
        db.conn.close()
    assert len(confirmed) >= KILLS // 3  # the kills did fall around real submissions

    server = Server(data_dir)  # the portal starts again and still works
    try:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(f"{server.url}/reports")
        wait_ready(page)
        assert page.get_by_text("问题墙").count()
        context.close()
    finally:
        server.stop()
    db = open_db(data_dir / "portal.db")
    referenced = {row[0] for row in db.execute("SELECT name FROM report_photos")}
    photos.sweep_orphans(data_dir, referenced, older_than_seconds=0)
    on_disk = {path.name[:32] for path in (data_dir / photos.UPLOADS).glob("*.jpg")}
    assert on_disk == referenced
