"""积分存折: who may print it, what it says, how it pages, and that its QR leads to /points."""
from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from lib.core import clock, sheets
from lib.core.errors import NotFound, PermissionDenied
from lib.core.roles import GUEST_USER, RESIDENT, STAFF
from lib.people import holders
from lib.points import ledger, passbook
from tests.test_points import build_grids, placed_user


BASE = "https://portal.example.cn"


@pytest.fixture
def people(db):
    grid = build_grids(db)
    return {"alice": placed_user(db, "alice", RESIDENT, grid["place_a"]),
            "bob": placed_user(db, "bob", RESIDENT, grid["place_b"]),
            "staff": placed_user(db, "staff", STAFF, grid["place_a"])}


def grant(db, people, amount: int, reason: str, key: str) -> None:
    ledger.special(db, people["staff"], user_id=people["alice"].id, amount=amount, reason=reason,
                   key=key)


def qr_texts(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image.convert("RGB"))]


def test_the_lines_run_oldest_first_with_the_running_balance(db, people):
    grant(db, people, 20, "让出自家菜地修路", "a")
    grant(db, people, -5, "楼道堆物", "b")
    grant(db, people, 10, "协助疫苗接种登记", "c")
    lines = passbook.lines_of(db, people["alice"].id)
    assert [(line.kind, line.reason, line.amount, line.balance) for line in lines] == [
        ("特别奖励", "让出自家菜地修路", 20, 20), ("特别奖励", "楼道堆物", -5, 15),
        ("特别奖励", "协助疫苗接种登记", 10, 25)]
    assert lines[0].date == clock.local_text(clock.now_iso(), with_time=False)


def test_the_date_is_the_day_in_shanghai(db, people):
    from datetime import datetime
    with clock.pretend(datetime.fromisoformat("2025-12-31T17:30:00+00:00")):
        grant(db, people, 5, "跨年夜巡逻", "a")
    assert passbook.lines_of(db, people["alice"].id)[0].date == "2026-01-01"


def test_the_first_page_carries_a_qr_to_my_points(db, people):
    grant(db, people, 20, "让出自家菜地修路", "a")
    pages = passbook.pages_for(db, people["alice"], user_id=people["alice"].id, base_url=BASE)
    assert len(pages) == 1 and pages[0].size == sheets.PAGE_SIZE
    assert qr_texts(pages[0]) == [f"{BASE}/points"]


def test_a_long_history_runs_over_numbered_pages_and_every_page_has_ink(db, people):
    for number in range(90):
        grant(db, people, 1 + number % 3, "协助疫苗接种登记" * (1 + number % 4), f"k{number}")
    pages = passbook.pages_for(db, people["staff"], user_id=people["alice"].id, base_url=BASE)
    assert len(pages) >= 4
    pdf = passbook.to_pdf(pages)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(pages)
    for page in pages:  # nothing drawn past the footer band except the page number
        band = page.crop((0, sheets.PAGE_SIZE[1] - sheets.FOOTER + 4, sheets.PAGE_SIZE[0],
                          sheets.PAGE_SIZE[1] - sheets.FOOTER // 2 - 12))
        assert band.getextrema() == (255, 255)


def test_a_page_count_grows_with_the_entries(db, people):
    counts = []
    for batch in range(3):
        for number in range(30):
            grant(db, people, 1, "值班", f"b{batch}-{number}")
        counts.append(len(passbook.pages_for(db, people["alice"], user_id=people["alice"].id,
                                             base_url=BASE)))
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_the_header_names_the_holder_the_address_and_the_balance(db, people, monkeypatch):
    grant(db, people, 20, "修路", "a")
    seen = {}

    def spy(community, holder, balance, year_totals, lines, url, printed):
        seen.update(community=community, holder=holder, balance=balance, totals=year_totals,
                    count=len(lines), url=url)
        return [Image.new("L", (10, 10), 255)]

    monkeypatch.setattr(passbook, "render_pages", spy)
    pdf = passbook.passbook_pdf(db, people["alice"], user_id=people["alice"].id, base_url=BASE)
    assert pdf.startswith(b"%PDF")
    year = clock.local_today().year
    assert seen == {"community": "测试社区", "holder": holders.holder(db, people["alice"].id),
                    "balance": 20, "totals": [(year, 20)], "count": 1, "url": f"{BASE}/points"}
    assert seen["holder"].address == "1栋 100"


def test_wrapping_cuts_a_long_reason_after_three_lines(db):
    from lib.core.fonts import cjk_font
    font = cjk_font(sheets.BODY_SIZE)
    lines = sheets.wrap("长" * 200, font, 300)
    assert len(lines) == sheets.MAX_LINES and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 300 for line in lines)
    assert sheets.wrap("短", font, 300) == ["短"]


def test_only_the_holder_or_staff_may_print_it(db, people):
    alice, bob = people["alice"], people["bob"]
    with pytest.raises(PermissionDenied):
        passbook.passbook_pdf(db, bob, user_id=alice.id, base_url=BASE)
    with pytest.raises(PermissionDenied):
        passbook.passbook_pdf(db, GUEST_USER, user_id=alice.id, base_url=BASE)
    with pytest.raises(NotFound):
        passbook.passbook_pdf(db, people["staff"], user_id=9999, base_url=BASE)
    assert passbook.passbook_pdf(db, bob, user_id=bob.id, base_url=BASE).startswith(b"%PDF")


def test_staff_find_a_resident_by_name_username_or_building_and_room(db, people):
    staff = people["staff"]
    assert [h.username for h in holders.find(db, staff, "ali")] == ["alice"]
    assert [h.username for h in holders.find(db, staff, "1-1 100")] == ["alice"]
    assert [h.username for h in holders.find(db, staff, "１-１-100")] == ["alice"]
    assert [h.username for h in holders.find(db, staff, "2栋")] == ["bob"]
    assert holders.find(db, staff, "   ") == []
    assert holders.find(db, staff, "'; DROP TABLE users; --") == []
    with pytest.raises(PermissionDenied):
        holders.find(db, people["alice"], "bob")


def test_an_unverified_person_has_no_address_on_paper(db, people):
    db.execute("UPDATE users SET household_status = 'pending' WHERE id = ?", (people["bob"].id,))
    assert holders.holder(db, people["bob"].id).address == "未绑定住户"


def test_the_pdf_reads_back_as_images_with_the_qr(db, people):
    grant(db, people, 20, "修路", "a")
    pdf = passbook.passbook_pdf(db, people["alice"], user_id=people["alice"].id, base_url=BASE)
    # Pillow writes each page as one JPEG stream: decode the first one and scan it
    start = pdf.index(b"\xff\xd8")
    image = Image.open(io.BytesIO(pdf[start:pdf.index(b"\xff\xd9", start) + 2]))
    assert image.size == sheets.PAGE_SIZE
    assert qr_texts(image) == [f"{BASE}/points"]
