"""The address printed into QR codes, posters and follow links: the one people really use."""
from tests.app.conftest import login, texts
from tests.app.test_report_page import fill


LAN = "http://192.168.1.20:8600"


def open_qr_tab(app, *, url: str | None, code: str = "2-1"):
    at = app()
    if url:
        at.context = {"url": url}
    login(at, "staff")
    at.switch_page("app_pages/admin/qr.py")
    at.query_params["b"] = code
    at.run()
    assert not at.exception
    return at


def test_without_portal_base_url_the_qr_codes_point_to_the_address_in_use(app, monkeypatch):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    at = open_qr_tab(app, url=f"{LAN}/admin")
    assert [code.value for code in at.code] == [LAN]
    assert "二维码将指向：" in texts(at.text)
    assert at.get("image")[0].proto.imgs[0].caption == f"{LAN}/?b=2-1"
    assert not any("PORTAL_BASE_URL" in message for message in texts(at.warning))


def test_a_configured_portal_base_url_wins_over_the_address_in_use(app, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.cn/")
    at = open_qr_tab(app, url=f"{LAN}/admin")
    assert [code.value for code in at.code] == ["https://portal.example.cn"]
    assert at.get("image")[0].proto.imgs[0].caption == "https://portal.example.cn/?b=2-1"


def test_a_localhost_address_suggests_setting_portal_base_url(app, monkeypatch):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    at = open_qr_tab(app, url="http://127.0.0.1:8600/admin")
    assert [code.value for code in at.code] == ["http://127.0.0.1:8600"]
    assert any("PORTAL_BASE_URL" in message for message in texts(at.warning))


def test_the_follow_link_after_filing_uses_the_address_in_use(app, monkeypatch):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    at = app()
    at.context = {"url": f"{LAN}/report"}
    at.switch_page("app_pages/report.py")
    at.query_params["b"] = "1-1"
    at.run()
    fill(at)
    assert not at.exception
    assert any(code.value.startswith(f"{LAN}/reports?n=") for code in at.code)
