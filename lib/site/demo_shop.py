"""The demo community's 积分超市: a stocked shop, and a year of redemptions through the real rules.

Goods are added by the demo admin with drawn pictures (no binary files in the repository).
The history replays redemptions at the moment they happened (clock.pretend): a resident
redeems only what their points allowed at that moment, staff hand most over a day or two later,
one is cancelled and refunded, and the newest few still wait at the service desk.
"""
from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlite_utils import Database

from lib.core import clock
from lib.core.db import immediate, scalar
from lib.core.errors import PortalError
from lib.people.users import load_user
from lib.shop import catalogue, redeem


Draw = Callable[[ImageDraw.ImageDraw], None]
WHITE, RED, CREAM, GOLD = (250, 250, 250), (196, 40, 40), (238, 226, 196), (236, 190, 60)
BLUE, GREEN, PINK, GREY = (52, 120, 200), (70, 150, 90), (236, 150, 170), (120, 120, 120)


def _rice(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((170, 70, 470, 430), radius=40, fill=CREAM, outline=GREY, width=4)
    draw.rectangle((170, 200, 470, 280), fill=RED)
    draw.polygon(((200, 70), (320, 30), (440, 70)), fill=CREAM, outline=GREY)
    for x in range(210, 440, 36):  # grains
        draw.ellipse((x, 330, x + 18, 342), fill=WHITE, outline=GREY)


def _oil(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((290, 40, 350, 90), fill=RED)
    draw.rounded_rectangle((220, 90, 420, 440), radius=30, fill=GOLD, outline=GREY, width=4)
    draw.rectangle((240, 220, 400, 320), fill=WHITE)
    draw.ellipse((295, 240, 345, 300), fill=GREEN)


def _soap(draw: ImageDraw.ImageDraw) -> None:
    for left, top, colour in ((140, 200, PINK), (330, 170, WHITE)):
        draw.rounded_rectangle((left, top, left + 180, top + 110), radius=30, fill=colour,
                               outline=GREY, width=4)
    for x, y in ((200, 140), (260, 110), (420, 120)):  # bubbles
        draw.ellipse((x, y, x + 36, y + 36), outline=BLUE, width=3)


def _towel(draw: ImageDraw.ImageDraw) -> None:
    for step, colour in enumerate((BLUE, WHITE, BLUE)):
        top = 120 + step * 90
        draw.rectangle((150, top, 490, top + 80), fill=colour, outline=GREY, width=3)
        draw.line((150, top + 60, 490, top + 60), fill=GREY, width=2)


def _detergent(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((210, 110, 450, 440), radius=36, fill=BLUE, outline=GREY, width=4)
    draw.rectangle((250, 70, 310, 110), fill=WHITE, outline=GREY)
    draw.arc((380, 140, 470, 260), 270, 90, fill=GREY, width=10)  # handle
    draw.rectangle((240, 250, 420, 330), fill=WHITE)


def _tissues(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((130, 200, 510, 420), fill=WHITE, outline=GREY, width=4)
    draw.rectangle((130, 340, 510, 370), fill=GREEN)
    draw.polygon(((280, 200), (300, 120), (340, 100), (360, 200)), fill=WHITE, outline=GREY)


def _eggs(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((120, 180, 520, 400), fill=(200, 180, 150), outline=GREY, width=4)
    for row in range(2):
        for column in range(5):
            x, y = 150 + column * 74, 200 + row * 96
            draw.ellipse((x, y, x + 56, y + 76), fill=(245, 225, 190), outline=GREY)


# name, description, price, stock, monthly limit, picture. 20 points buy a bag of rice, as in
# the reference village; the eggs are sold out, so a newcomer sees what that looks like.
GOODS = (
    ("大米 5kg", "东北大米，5 公斤一袋", 20, 30, 2, _rice),
    ("食用油 5L", "非转基因大豆油", 30, 15, 1, _oil),
    ("肥皂（两块装）", "洗衣皂一块、香皂一块", 5, 60, 0, _soap),
    ("毛巾", "纯棉，两条装", 8, 40, 2, _towel),
    ("洗衣液 2kg", "低泡易漂", 15, 25, 2, _detergent),
    ("抽纸（一提）", "三层 120 抽，6 包一提", 10, 40, 2, _tissues),
    ("鸡蛋（一板 30 枚）", "本地散养鸡蛋，每周二到货", 12, 0, 1, _eggs),
)


def picture(draw: Draw) -> bytes:
    image = Image.new("RGB", (640, 480), (244, 240, 232))
    draw(ImageDraw.Draw(image))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def seed(db: Database, data_dir: Path, *, history: bool = True) -> int:
    """Stock the shop once (nothing if it has goods) and replay a year of redemptions.

    Returns how many redemptions were made. Run after the other seeding, so residents
    redeem from the points the year gave them.
    """
    if scalar(db, "SELECT 1 FROM shop_items LIMIT 1"):
        return 0
    admin = _user(db, "admin")
    if admin is None:
        return 0
    now = clock.utc_now().replace(microsecond=0)
    with clock.pretend(now - timedelta(days=370)):
        items = [catalogue.add_item(db, admin, name=name, description=text, price=price,
                                    stock=stock, monthly_limit=limit, sort=number,
                                    photo=picture(draw), data_dir=data_dir)
                 for number, (name, text, price, stock, limit, draw) in enumerate(GOODS)]
    if not history:
        return 0
    with immediate(db):  # one durable commit; each rule's own transaction is a savepoint
        return _history(db, items, now)


def _history(db: Database, items: list[catalogue.Item], now) -> int:
    staff = _user(db, "staff")
    residents = [user for user in (
        load_user(db, row[0]) for row in db.execute(
            "SELECT id FROM users WHERE role IN ('resident', 'leader')"
            " AND household_status = 'verified'"
            " ORDER BY id")) if user is not None]
    chance = random.Random(9)
    # a delivery at the start of the year, for what the year sells
    for item in items:
        if item.stock:
            with clock.pretend(now - timedelta(days=369)):
                catalogue.change_stock(db, staff, item_id=item.id, change=10, reason="年初进货")
    made: list[redeem.Redemption] = []
    # every nine days a third of the residents come by; in the last days each one does
    for days_ago in [*range(360, 8, -9), 3, 2, 1]:
        for person in residents:
            if days_ago > 3 and chance.random() > 0.35:
                continue
            # this month's rice is left for whoever tries the demo (2 a month each)
            item = chance.choice([item for item in items
                                  if item.stock and (days_ago > 31 or item is not items[0])])
            moment = now - timedelta(days=days_ago, hours=chance.randint(0, 8))
            if _spare_at(db, person.id, moment) < item.price:
                continue  # the points were not there yet, or are spent later
            with clock.pretend(moment):
                try:
                    made.append(redeem.redeem(db, person, item_id=item.id,
                                              key=f"demo-shop:{person.id}:{days_ago}"))
                except PortalError:
                    continue  # the monthly limit, as it would have said then
    for number, one in enumerate(made):
        picked_up = datetime.fromisoformat(one.created_at) + timedelta(days=1 + number % 3)
        if picked_up >= now - timedelta(days=4):
            continue  # the newest still wait at the service desk
        with clock.pretend(picked_up):
            if number == 3:
                redeem.cancel(db, staff, one.id, "居民改换其他商品")
            else:
                redeem.fulfil(db, staff, one.pickup_code)
    return len(made)


def _spare_at(db: Database, user_id: int, moment: datetime) -> int:
    """What a person could spend at a past moment without their balance, then or at any later
    entry already written (a deduction, another redemption), going below zero."""
    at = clock.to_iso(moment)
    running, lowest = 0, None
    for created_at, amount in db.execute(
            "SELECT created_at, amount FROM points_ledger WHERE user_id = ?"
            " ORDER BY created_at, id", (user_id,)):
        if lowest is None and created_at > at:
            lowest = running
        running += amount
        if lowest is not None:
            lowest = min(lowest, running)
    return running if lowest is None else lowest


def _user(db: Database, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))
