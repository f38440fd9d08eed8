"""QR codes and posters: the printed code must open exactly the right page."""
import io
import re

import pytest
import zxingcpp
from PIL import Image

from lib.core.fonts import cjk_font
from lib.people import posters


BASE = "https://portal.example.cn"


def decode(png: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_qr_png_holds_exactly_the_place_url():
    url = posters.place_url(BASE, "1-1")
    assert url == "https://portal.example.cn/?b=1-1"
    assert decode(posters.qr_png(url)) == [url]


@pytest.mark.parametrize("code", ["gate", "4-1", "东门 A", "a/b&c=d"])
def test_odd_codes_are_encoded_and_survive_the_round_trip(code):
    from urllib.parse import parse_qs, urlsplit

    url = posters.place_url(BASE + "/", code)
    assert " " not in url and "&c" not in url
    assert parse_qs(urlsplit(url).query)["b"] == [code]
    assert decode(posters.qr_png(url)) == [url]


def test_page_url_names_the_page_and_the_place():
    assert posters.page_url(BASE, "report", "4-1") == "https://portal.example.cn/report?b=4-1"
    assert posters.page_url(BASE, "ranking") == "https://portal.example.cn/ranking"


def test_single_poster_qr_decodes_to_the_place_url():
    png = posters.poster_png("幸福里小区", "3-2", "3栋2单元", BASE)
    assert decode(png) == [posters.place_url(BASE, "3-2")]


def test_poster_sheet_has_four_posters_a_page_and_reports_progress():
    calls = []
    places = [(f"{n}-1", f"{n}栋1单元") for n in range(1, 10)]
    pdf = posters.poster_sheet_pdf("幸福里小区", places, BASE,
                              progress=lambda done, total: calls.append((done, total)))
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3
    assert calls == [(n, 9) for n in range(1, 10)]


def test_an_empty_sheet_is_refused():
    with pytest.raises(ValueError):
        posters.poster_sheet_pdf("幸福里小区", [], BASE)


def test_the_cjk_font_draws_real_chinese_glyphs():
    font = cjk_font(48)
    glyph, missing = font.getmask("幸"), font.getmask("\U0010FFFD")
    assert glyph.getbbox() is not None
    assert bytes(glyph) != bytes(missing)


def test_long_place_names_stay_inside_the_poster():
    png = posters.poster_png("幸福里小区", "P-1", "北门岗亭旁边的自行车棚和快递柜区域靠近垃圾分类站" * 2, BASE)
    assert Image.open(io.BytesIO(png)).size == posters.POSTER_SIZE
    # the name is wrapped and shortened, never drawn over the code: it still scans
    assert decode(png) == [posters.place_url(BASE, "P-1")]


def test_the_poster_shows_the_community_and_place_names_as_text():
    poster = Image.open(io.BytesIO(posters.poster_png("幸福里小区", "3-2", "3栋2单元", BASE))).convert("L")
    width = poster.width
    title = poster.crop((posters.PADDING, 10, width - posters.PADDING, 90))
    name = poster.crop((posters.PADDING, 108, width - posters.PADDING, 234))
    # white glyphs on the blue title band, dark glyphs on the white name area
    assert sum(title.histogram()[240:]) > 500
    assert sum(name.histogram()[:100]) > 500
    blank = posters.poster_png("幸福里小区", "3-2", " ", BASE)
    blank_name = Image.open(io.BytesIO(blank)).convert("L").crop(
        (posters.PADDING, 108, width - posters.PADDING, 234))
    assert sum(blank_name.histogram()[:100]) == 0


@pytest.mark.parametrize("url, origin", [
    ("http://192.168.1.20:8600/admin", "http://192.168.1.20:8600"),
    ("https://portal.example.cn/reports?n=3&t=abc#x", "https://portal.example.cn"),
    ("http://user:secret@host.example:8080/p", "http://host.example:8080"),
    ("http://[::1]:8501/", "http://[::1]:8501"),
    ("javascript:alert(1)", "http://localhost:8501"),
    ("", "http://localhost:8501"),
    (None, "http://localhost:8501"),
])
def test_the_public_address_keeps_only_scheme_host_and_port(url, origin):
    from lib.core.config import origin_of

    assert origin_of(url) == origin


@pytest.mark.parametrize("base, local", [
    ("http://localhost:8501", True), ("http://127.0.0.1:8600", True), ("http://[::1]:8501", True),
    ("http://192.168.1.20:8600", False), ("https://portal.example.cn", False),
    ("https://localhost.example.cn", False),
])
def test_only_this_machine_addresses_count_as_local(base, local):
    from lib.core.config import is_local

    assert is_local(base) is local


def test_portal_base_url_is_optional_and_wins_when_set(monkeypatch):
    from lib.core.config import load_settings

    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    assert load_settings().base_url == ""
    monkeypatch.setenv("PORTAL_BASE_URL", " https://portal.example.cn/ ")
    assert load_settings().base_url == "https://portal.example.cn"
