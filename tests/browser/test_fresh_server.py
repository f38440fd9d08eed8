"""The first person to scan a QR code after the server (re)starts gets the whole portal."""
from __future__ import annotations

from lib.people.posters import place_url
from tests.browser.conftest import PHONE_USER_AGENT, Server, new_phone_context, settle


def test_the_first_qr_landing_on_a_fresh_server_runs_through_app_py(tmp_path, browser):
    server = Server(tmp_path)  # nobody has opened any page of this server yet
    context = new_phone_context(browser, user_agent=PHONE_USER_AGENT)
    try:
        page = context.new_page()
        page.goto(place_url(server.url, "1-1"))  # what the gate's poster prints
        settle(page)
        main = page.get_by_test_id("stMain")
        main.get_by_role("link", name="随手拍 · 反映问题").tap()
        settle(page)
        assert "/report?b=1-1" in page.url, page.url
        assert main.locator("h1").inner_text() == "随手拍"
        page.get_by_test_id("stExpandSidebarButton").tap()
        menu = page.get_by_test_id("stSidebarNav").inner_text()
        # app.py's menu in Chinese, not Streamlit's old pages/ folder menu of file names
        assert "问题墙" in menu and "首页" in menu
        assert not {"app", "admin", "reports"} & set(menu.split())
        # app.py's page config (centered layout) and style ran: the form fits the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
        server.stop()
