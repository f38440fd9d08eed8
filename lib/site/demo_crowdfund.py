"""The demo community's 众筹: a finished project with its whole ledger, one raising now, one draft.

Everything goes through the real rules at the moment it happened (clock.pretend): staff set a
project up and launch it, residents pledge and staff confirm the money (the match and the points
follow the rule), residents sign up for slots and staff mark who came, staff record spending
with receipt pictures and finish with a final report. The finished project is the reference
articles' example: 40,000 yuan from residents, the street office's 5x match with no cap, 200,000,
240,000 in all. Pictures are drawn with Pillow (no binary files in the repository).
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlite_utils import Database

from lib.core import clock, fonts
from lib.core.db import immediate, scalar
from lib.core.roles import User
from lib.crowdfund import books, labour, pledges, projects
from lib.people.users import load_user


KEY = "demo-crowdfund"
SHED, PLAZA, GATES = "车棚地面硬化", "中心广场健身角", "3号楼单元门禁更换"

# (username, yuan, method, anonymous, days before the deadline, staff 代办): 40,000 yuan in all
SHED_PLEDGES = (
    ("resident", "500", "cash", False, 28), ("wangxiulan", "3000", "transfer", False, 27),
    ("lijianguo", "5000", "transfer", False, 26), ("zhaomin", "2000", "cash", False, 24),
    ("zhouxiaodong", "1500", "transfer", False, 22), ("wuguixiang", "800", "cash", False, 21),
    ("sunlijun", "4200", "transfer", True, 19), ("zhengyumei", "1000", "cash", False, 17),
    ("huangzhiqiang", "6000", "transfer", False, 15), ("machunsheng", "2500", "cash", False, 12),
    ("zhuhong", "1200", "cash", False, 10), ("hudeming", "3300", "transfer", True, 8),
    ("gaoshuzhen", "2000", "cash", False, 6), ("zhangwei", "3500", "transfer", False, 4),
    ("liuyang", "3500", "transfer", False, 2),
)
PROXIED = {"gaoshuzhen"}  # an elderly neighbour without a phone: staff pledge for her
# (item, yuan, days after the work started, receipt colour)
SHED_SPENDING = (
    ("透水混凝土及辅料（120 平方米）", "128600", 1, (236, 226, 200)),
    ("排水沟改造及雨水井", "46800", 5, (226, 236, 214)),
    ("雨棚加长及电动车充电桩（12 位）", "52300", 9, (220, 228, 240)),
    ("施工机械租赁及垃圾清运", "9800", 12, (240, 226, 226)),
)
SHED_REPORT = ("车棚地面已全部铺成透水混凝土，新修排水沟 40 米，雨天不再积水；雨棚加长 6 米，"
               "新装 12 位电动车充电桩。居民出资 40,000 元，街道办事处按 1:5 配套 200,000 元，"
               "共 240,000 元；支出 237,500 元，结余 2,500 元留作车棚日常维护。"
               "两次出工共 16 人次参加、55 小时，感谢各位邻居！")
PLAZA_CONFIRMED = (("zhangwei", "2000"), ("wangxiulan", "1000"), ("lijianguo", "3000"),
                   ("huangzhiqiang", "5000"), ("zhengyumei", "800"))
PLAZA_WAITING = (("resident", "200", "transfer"), ("zhaomin", "500", "cash"),
                 ("machunsheng", "1000", "cash"))
PLAZA_SIGNUPS = ("resident", "zhouxiaodong", "liuyang", "wuguixiang")


def seed(db: Database, data_dir: Path) -> int:
    """Write the three projects once (nothing if any project exists); returns how many."""
    if scalar(db, "SELECT 1 FROM crowdfund_projects LIMIT 1"):
        return 0
    names = {name for name, *_ in SHED_PLEDGES} | {"staff", "admin"}
    people = {name: _user(db, name) for name in names}
    if any(person is None for person in people.values()):
        return 0  # an edited demo: the history is a nicety, never worth a failed start
    now = clock.utc_now().replace(microsecond=0)
    # One transaction (each rule's own becomes a savepoint): one durable commit.
    with immediate(db):
        _finished(db, people, data_dir, now)
        _raising(db, people, data_dir, now)
        with clock.pretend(now - timedelta(days=2)):
            projects.create_project(
                db, people["staff"], title=GATES, place_id=_place(db, "3-1"), goal="18000",
                deadline=clock.local_today() + timedelta(days=60), match_ratio="4",
                match_cap="50000", match_sponsor="街道办事处", labour_hour_value="0",
                description="3 号楼两个单元的门禁老化失灵，计划更换为刷卡加人脸识别门禁。"
                            "草稿：等业主代表确认方案后发起。")
    return 3


def _finished(db: Database, people: dict[str, User], data_dir: Path, now: datetime) -> None:
    staff, admin = people["staff"], people["admin"]
    start = now - timedelta(days=100)
    with clock.pretend(start):
        today = clock.local_today()
        shed = projects.create_project(
            db, staff, title=SHED, place_id=_place(db, "bike"), goal="40000", match_ratio="5",
            match_cap="", match_sponsor="街道办事处", labour_hour_value="30",
            deadline=today + timedelta(days=30), photo=picture(_shed_before), data_dir=data_dir,
            description="车棚地面坑洼不平，雨天积水，电动车进出常有人摔倒。居民出资、街道办事处"
                        "按 1:5 配套，铺设透水混凝土地面、改造排水沟、加长雨棚并安装充电桩。"
                        "清运杂物和平整地面由居民出工完成。")
        clear = projects.add_task(db, staff, project_id=shed.id, name="清运旧车棚杂物",
                                  work_on=today + timedelta(days=25), starts_at="09:00",
                                  hours="4", headcount=8)
        level = projects.add_task(db, staff, project_id=shed.id, name="平整地面、铺设透水砖",
                                  work_on=today + timedelta(days=40), starts_at="08:30",
                                  hours="3", headcount=10)
        projects.launch(db, staff, project_id=shed.id)
    deadline = start + timedelta(days=30)
    for number, (name, yuan, method, anonymous, before) in enumerate(SHED_PLEDGES):
        moment = deadline - timedelta(days=before, hours=-2)
        proxied = name in PROXIED
        with clock.pretend(moment):
            made = pledges.pledge(db, staff if proxied else people[name], project_id=shed.id,
                                  amount=yuan, method=method, anonymous=anonymous,
                                  key=f"{KEY}:shed:{number}",
                                  for_user_id=people[name].id if proxied else None)
        with clock.pretend(moment + timedelta(days=1)):  # a 代办 pledge is checked by another
            pledges.confirm(db, admin if proxied else staff, pledge_id=made.id)
    _labour(db, people, clear.id, ("resident", "wangxiulan", "lijianguo", "zhaomin",
                                   "zhouxiaodong", "zhengyumei", "zhangwei", "liuyang"),
            absent={"zhouxiaodong"}, signed_at=start + timedelta(days=5))
    _labour(db, people, level.id, ("lijianguo", "huangzhiqiang", "machunsheng", "zhuhong",
                                   "zhangwei", "liuyang", "sunlijun", "wuguixiang",
                                   "hudeming", "zhaomin"),
            absent={"hudeming"}, signed_at=start + timedelta(days=20))
    building = deadline + timedelta(days=2)
    with clock.pretend(building):
        projects.start_building(db, staff, project_id=shed.id)
    for number, (item, yuan, after, colour) in enumerate(SHED_SPENDING):
        with clock.pretend(building + timedelta(days=after, hours=3)):
            books.record_spending(db, staff, project_id=shed.id, amount=yuan, item=item,
                                  spent_on=clock.local_today(), key=f"{KEY}:spend:{number}",
                                  receipt=receipt(item, yuan, colour), data_dir=data_dir)
    with clock.pretend(building + timedelta(days=20)):
        projects.complete(db, staff, project_id=shed.id, summary=SHED_REPORT,
                          report_photos=[picture(_shed_after), picture(_shed_chargers)],
                          data_dir=data_dir)


def _labour(db: Database, people: dict[str, User], task_id: int, names: tuple[str, ...], *,
            absent: set[str], signed_at: datetime) -> None:
    """Residents sign up over a few days; staff mark who came once the slot has started."""
    signups = []
    for number, name in enumerate(names):
        with clock.pretend(signed_at + timedelta(hours=5 * number)):
            signups.append((name, labour.sign_up(db, people[name], task_id=task_id)))
    slot = labour.get_slot(db, task_id)
    with clock.pretend(labour.starts_of(slot.work_on, slot.starts_at) + timedelta(hours=5)):
        for name, signup in signups:
            labour.mark_attendance(db, people["staff"], signup_id=signup["id"],
                                   attended=name not in absent)


def _raising(db: Database, people: dict[str, User], data_dir: Path, now: datetime) -> None:
    staff = people["staff"]
    start = now - timedelta(days=12)
    with clock.pretend(start):
        today = clock.local_today()
        plaza = projects.create_project(
            db, staff, title=PLAZA, place_id=_place(db, "plaza"), goal="30000",
            match_ratio="3", match_cap="60000", match_sponsor="街道办事处",
            labour_hour_value="30", deadline=today + timedelta(days=37),
            photo=picture(_plaza), data_dir=data_dir,
            description="中心广场东侧的旧健身器材锈蚀松动。计划更换 8 件户外健身器材、铺设"
                        "安全地垫，街道办事处按 1:3 配套，最多配套 60,000 元。拆旧和安装需要"
                        "居民出工。")
        clear = projects.add_task(db, staff, project_id=plaza.id, name="拆除旧器材",
                                  work_on=today + timedelta(days=18), starts_at="09:00",
                                  hours="3", headcount=6)
        projects.add_task(db, staff, project_id=plaza.id, name="安装健身器材、铺设地垫",
                          work_on=today + timedelta(days=25), starts_at="08:30", hours="4",
                          headcount=8)
    with clock.pretend(start + timedelta(days=1)):
        projects.launch(db, staff, project_id=plaza.id)
    for number, (name, yuan) in enumerate(PLAZA_CONFIRMED):
        moment = start + timedelta(days=2 + number, hours=3)
        with clock.pretend(moment):
            made = pledges.pledge(db, people[name], project_id=plaza.id, amount=yuan,
                                  method="transfer", anonymous=False,
                                  key=f"{KEY}:plaza:{number}")
        with clock.pretend(moment + timedelta(days=1)):
            pledges.confirm(db, staff, pledge_id=made.id)
    for number, (name, yuan, method) in enumerate(PLAZA_WAITING):  # 认捐: staff confirm them
        with clock.pretend(now - timedelta(days=2 - number, hours=4)):
            pledges.pledge(db, people[name], project_id=plaza.id, amount=yuan, method=method,
                           anonymous=False, key=f"{KEY}:plaza-waiting:{number}")
    for number, name in enumerate(PLAZA_SIGNUPS):
        with clock.pretend(now - timedelta(days=6 - number)):
            labour.sign_up(db, people[name], task_id=clear.id)


def _place(db: Database, code: str) -> int:
    return scalar(db, "SELECT id FROM places WHERE code = ?", (code,))


def _user(db: Database, username: str) -> User | None:
    user_id = scalar(db, "SELECT id FROM users WHERE username = ?", (username,))
    return load_user(db, user_id) if user_id else None


# --- pictures -----------------------------------------------------------------------------

Draw = Callable[[ImageDraw.ImageDraw], None]
SKY, ROOF, POST, MUD, CONCRETE = (190, 214, 232), (70, 110, 150), (90, 90, 90), (150, 120, 84), \
    (176, 176, 170)
WATER, BIKE, GREEN, GRASS = (110, 150, 190), (40, 40, 40), (46, 125, 50), (120, 170, 90)


def picture(draw: Draw) -> bytes:
    image = Image.new("RGB", (640, 480), SKY)
    draw(ImageDraw.Draw(image))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _shed(draw: ImageDraw.ImageDraw, ground: tuple[int, int, int]) -> None:
    draw.rectangle((0, 300, 640, 480), fill=ground)
    draw.polygon(((20, 90), (620, 90), (600, 150), (40, 150)), fill=ROOF)
    for x in (60, 320, 580):
        draw.rectangle((x - 6, 150, x + 6, 330), fill=POST)


def _bike(draw: ImageDraw.ImageDraw, x: int) -> None:
    for wheel in (x, x + 70):
        draw.ellipse((wheel - 26, 340, wheel + 26, 392), outline=BIKE, width=5)
    draw.line((x, 366, x + 35, 330, x + 70, 366), fill=BIKE, width=5)
    draw.line((x + 35, 330, x + 30, 312), fill=BIKE, width=5)


def _shed_before(draw: ImageDraw.ImageDraw) -> None:
    _shed(draw, MUD)
    for left, top, width in ((80, 380, 160), (300, 420, 220), (420, 340, 120)):  # puddles
        draw.ellipse((left, top, left + width, top + 40), fill=WATER)
    for x, y in ((200, 330), (500, 450), (60, 440)):  # broken bricks
        draw.polygon(((x, y), (x + 30, y - 10), (x + 40, y + 12), (x + 8, y + 18)), fill=POST)
    _bike(draw, 360)


def _shed_after(draw: ImageDraw.ImageDraw) -> None:
    _shed(draw, CONCRETE)
    for x in range(0, 640, 80):  # the joints of the new floor
        draw.line((x, 300, x - 40, 480), fill=(150, 150, 146), width=2)
    draw.rectangle((0, 462, 640, 480), fill=POST)  # the drain
    for x in (110, 250, 390):
        _bike(draw, x)


def _shed_chargers(draw: ImageDraw.ImageDraw) -> None:
    _shed(draw, CONCRETE)
    for x in range(90, 600, 80):
        draw.rounded_rectangle((x, 200, x + 40, 280), radius=6, fill=(240, 240, 236),
                               outline=POST, width=3)
        draw.rectangle((x + 12, 214, x + 28, 226), fill=GREEN)
    _bike(draw, 200)


def _plaza(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 300, 640, 480), fill=GRASS)
    draw.rectangle((80, 200, 96, 400), fill=(150, 90, 60))  # a rusty bar
    draw.rectangle((80, 200, 300, 214), fill=(150, 90, 60))
    draw.rectangle((284, 200, 300, 400), fill=(150, 90, 60))
    draw.ellipse((380, 260, 560, 420), outline=(150, 90, 60), width=12)  # a rusty wheel


def receipt(item: str, yuan: str, colour: tuple[int, int, int]) -> bytes:
    """A drawn receipt: 收据, the item and the amount, and the seller's red stamp."""
    image = Image.new("RGB", (640, 480), (90, 90, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 40, 580, 440), fill=colour, outline=(120, 120, 120), width=3)
    try:
        title, line = fonts.cjk_font(40, bold=True), fonts.cjk_font(24)
    except fonts.FontMissing:
        title = line = None  # lines instead of words: the picture still reads as a receipt
    if title is not None:
        draw.text((260, 60), "收 据", fill=(40, 40, 40), font=title)
        draw.text((90, 150), item[:18], fill=(40, 40, 40), font=line)
        draw.text((90, 220), f"金额：{int(yuan):,}.00 元", fill=(40, 40, 40), font=line)
        draw.text((90, 290), "收款单位：幸福里建材商行", fill=(40, 40, 40), font=line)
    for y in (200, 270, 340):
        draw.line((90, y, 550, y), fill=(150, 150, 150), width=2)
    draw.ellipse((420, 320, 540, 440), outline=(200, 40, 40), width=6)
    draw.line((445, 380, 515, 380), fill=(200, 40, 40), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
