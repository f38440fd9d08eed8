"""Simple drawings standing in for residents' photos in the demo community (no real photo).

Drawn with Pillow at seed time, so the repository carries no binary files and every demo
report still has a picture a newcomer recognises: boxes in a stairwell, a broken lamp, a
charging cable hanging from a window, an overflowing bin, a car on the fire lane, a leak.
"""
from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageDraw


SIZE = (640, 480)
WALL, FLOOR, SKY, NIGHT = (226, 221, 208), (170, 160, 146), (168, 205, 232), (44, 52, 82)
CARDBOARD, CARDBOARD_DARK = (196, 154, 98), (150, 112, 66)
GREY, DARK, WHITE = (128, 128, 128), (60, 60, 60), (250, 250, 250)
GREEN, RED, YELLOW = (46, 125, 50), (198, 40, 40), (244, 200, 66)


def _stairwell(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=WALL)
    for step in range(6):  # stairs rising to the right
        top = 300 - step * 40
        draw.rectangle((360 + step * 46, top, 640, top + 40), fill=FLOOR, outline=GREY)
    draw.rectangle((0, 380, 640, 480), fill=FLOOR)
    draw.line((360, 300, 640, 60), fill=DARK, width=6)  # hand rail


def boxes(draw: ImageDraw.ImageDraw) -> None:
    _stairwell(draw)
    for left, top, width, height in ((60, 300, 150, 100), (200, 290, 140, 110), (100, 210, 130, 92),
                                      (240, 200, 110, 92), (150, 130, 120, 82)):
        draw.rectangle((left, top, left + width, top + height), fill=CARDBOARD,
                       outline=CARDBOARD_DARK, width=4)
        draw.line((left, top + 16, left + width, top + 16), fill=CARDBOARD_DARK, width=3)
        draw.rectangle((left + width // 2 - 12, top, left + width // 2 + 12, top + height),
                       fill=(210, 180, 130))


def clean_stairwell(draw: ImageDraw.ImageDraw) -> None:
    _stairwell(draw)
    draw.rectangle((40, 180, 150, 300), outline=GREEN, width=8)  # a notice board, nothing piled
    draw.line((60, 240, 90, 270, 135, 205), fill=GREEN, width=10)


def _lamp_post(draw: ImageDraw.ImageDraw, lit: bool) -> None:
    draw.rectangle((0, 0, 640, 480), fill=NIGHT)
    draw.rectangle((0, 400, 640, 480), fill=(70, 70, 70))
    draw.rectangle((300, 150, 320, 420), fill=GREY)
    draw.rectangle((300, 140, 420, 156), fill=GREY)
    if lit:
        draw.polygon(((360, 170), (480, 400), (300, 400)), fill=(92, 92, 70))
        draw.ellipse((380, 150, 440, 200), fill=YELLOW, outline=WHITE, width=3)
    else:
        draw.ellipse((380, 150, 440, 200), fill=(90, 90, 100), outline=GREY, width=3)
        draw.line((392, 160, 412, 178, 402, 192), fill=WHITE, width=3)  # the crack
        draw.line((416, 158, 408, 176, 428, 190), fill=WHITE, width=3)
        for x, y in ((370, 360), (395, 380), (430, 370)):  # glass on the ground
            draw.polygon(((x, y), (x + 12, y + 6), (x + 4, y + 14)), fill=(200, 200, 210))


def broken_lamp(draw: ImageDraw.ImageDraw) -> None:
    _lamp_post(draw, lit=False)


def lit_lamp(draw: ImageDraw.ImageDraw) -> None:
    _lamp_post(draw, lit=True)


def charging_cable(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((40, 0, 300, 480), fill=(214, 196, 170))  # the building
    for row in range(3):
        draw.rectangle((90, 40 + row * 130, 230, 130 + row * 130), fill=(120, 150, 180),
                       outline=WHITE, width=6)
    draw.rectangle((0, 400, 640, 480), fill=(120, 120, 120))
    draw.line((230, 190, 330, 260, 420, 330, 470, 370), fill=(20, 20, 20), width=6)  # the cable
    draw.ellipse((430, 360, 530, 440), outline=DARK, width=10)  # an e-bike
    draw.ellipse((540, 360, 640, 440), outline=DARK, width=10)
    draw.line((480, 400, 520, 330, 590, 400), fill=RED, width=10)
    draw.rectangle((505, 320, 545, 335), fill=DARK)


def tidy_bike_shed(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.polygon(((20, 120), (620, 120), (580, 60), (60, 60)), fill=(80, 120, 90))  # shed roof
    draw.rectangle((0, 400, 640, 480), fill=(120, 120, 120))
    draw.rectangle((40, 180, 110, 300), fill=(90, 90, 90), outline=DARK, width=4)  # charging post
    draw.rectangle((58, 200, 92, 230), fill=GREEN)
    for left in (170, 330, 490):
        draw.ellipse((left, 350, left + 60, 410), outline=DARK, width=8)
        draw.ellipse((left + 70, 350, left + 130, 410), outline=DARK, width=8)
        draw.line((left + 30, 380, left + 60, 320, left + 100, 380), fill=(30, 90, 160), width=8)


def _bin(draw: ImageDraw.ImageDraw, left: int, full: bool) -> None:
    draw.polygon(((left, 220), (left + 150, 220), (left + 135, 420), (left + 15, 420)), fill=GREEN)
    draw.rectangle((left - 8, 205, left + 158, 225), fill=(30, 95, 35))
    if full:
        for x, y, r in ((left + 30, 190, 40), (left + 100, 180, 45), (left + 65, 150, 40)):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=DARK)


def overflowing_bin(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((0, 400, 640, 480), fill=(150, 150, 140))
    _bin(draw, 120, full=True)
    _bin(draw, 330, full=True)
    for x, y in ((80, 430), (300, 445), (520, 425), (560, 450)):  # bags on the ground
        draw.ellipse((x - 30, y - 22, x + 30, y + 22), fill=DARK)


def tidy_bins(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((0, 400, 640, 480), fill=(150, 150, 140))
    _bin(draw, 120, full=False)
    _bin(draw, 330, full=False)


def blocked_lane(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=(110, 110, 110))
    for x in range(-200, 640, 80):  # the yellow hatching of a fire lane
        draw.line((x, 480, x + 200, 200), fill=YELLOW, width=14)
    draw.rectangle((0, 0, 640, 200), fill=(200, 190, 170))
    draw.rounded_rectangle((140, 230, 520, 380), radius=40, fill=(40, 90, 170))  # the car
    draw.polygon(((220, 230), (260, 170), (420, 170), (460, 230)), fill=(40, 90, 170))
    draw.polygon(((240, 228), (270, 182), (410, 182), (440, 228)), fill=(170, 210, 235))
    for x in (210, 450):
        draw.ellipse((x - 42, 340, x + 42, 424), fill=(25, 25, 25))


def clear_lane(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=(110, 110, 110))
    for x in range(-200, 640, 80):
        draw.line((x, 480, x + 200, 200), fill=YELLOW, width=14)
    draw.rectangle((0, 0, 640, 200), fill=(200, 190, 170))
    draw.ellipse((270, 60, 370, 160), fill=WHITE, outline=RED, width=14)  # a no-parking sign
    draw.line((290, 80, 350, 140), fill=RED, width=12)
    draw.rectangle((314, 160, 326, 230), fill=GREY)


def ceiling_leak(draw: ImageDraw.ImageDraw) -> None:
    _stairwell(draw)
    draw.ellipse((140, -60, 420, 120), fill=(150, 140, 110))  # the stain
    for x, y in ((270, 160), (300, 230), (250, 290), (285, 340)):
        draw.polygon(((x, y - 22), (x - 12, y + 6), (x + 12, y + 6)), fill=(70, 120, 200))
        draw.ellipse((x - 12, y - 6, x + 12, y + 18), fill=(70, 120, 200))
    draw.ellipse((180, 390, 380, 440), fill=(110, 150, 200))  # the puddle


def barking_dog(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=(190, 220, 170))
    draw.rectangle((0, 380, 640, 480), fill=(120, 160, 90))
    draw.ellipse((180, 230, 420, 360), fill=(150, 100, 60))  # body
    draw.ellipse((360, 160, 480, 270), fill=(150, 100, 60))  # head
    draw.polygon(((370, 170), (350, 120), (400, 165)), fill=(110, 70, 40))  # ear
    draw.ellipse((430, 195, 446, 211), fill=DARK)
    for x in (210, 260, 330, 380):
        draw.rectangle((x, 340, x + 22, 400), fill=(150, 100, 60))
    draw.line((180, 270, 120, 220), fill=(150, 100, 60), width=14)  # tail
    draw.ellipse((470, 460 - 240, 500, 490 - 240), fill=WHITE)  # "woof" puffs
    draw.ellipse((510, 190, 550, 230), fill=WHITE)


def broken_railing(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((0, 360, 640, 480), fill=(140, 140, 130))
    draw.line((0, 200, 260, 200), fill=DARK, width=12)
    draw.line((380, 200, 640, 200), fill=DARK, width=12)
    draw.line((260, 200, 300, 300), fill=DARK, width=12)  # the bent end
    for x in range(20, 640, 60):
        if not 250 < x < 390:
            draw.line((x, 200, x, 360), fill=DARK, width=8)
    draw.polygon(((300, 330), (340, 260), (380, 330)), fill=YELLOW, outline=DARK)  # warning sign


def fixed_railing(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((0, 360, 640, 480), fill=(140, 140, 130))
    draw.line((0, 200, 640, 200), fill=DARK, width=12)
    for x in range(20, 640, 60):
        draw.line((x, 200, x, 360), fill=DARK, width=8)


def _gate(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 640, 480), fill=SKY)
    draw.rectangle((0, 400, 640, 480), fill=(150, 150, 140))
    draw.rectangle((60, 150, 130, 400), fill=WALL, outline=GREY, width=4)  # the gate's pillars
    draw.rectangle((510, 150, 580, 400), fill=WALL, outline=GREY, width=4)
    for x in range(150, 500, 40):  # the bars of the sliding gate
        draw.line((x, 250, x, 400), fill=DARK, width=6)
    draw.line((130, 250, 510, 250), fill=DARK, width=8)


def canopy_frame(draw: ImageDraw.ImageDraw) -> None:
    _gate(draw)
    for x in (90, 550):  # steel posts and beams, no roof yet
        draw.rectangle((x - 8, 110, x + 8, 150), fill=GREY)
    draw.line((60, 110, 580, 110), fill=GREY, width=10)
    for x in range(100, 560, 90):
        draw.line((x, 110, x + 40, 80), fill=GREY, width=6)
    draw.rectangle((250, 330, 390, 400), fill=YELLOW, outline=DARK)  # a works sign


def gate_canopy(draw: ImageDraw.ImageDraw) -> None:
    _gate(draw)
    draw.polygon(((40, 140), (600, 140), (560, 90), (80, 90)), fill=(70, 130, 170),
                 outline=DARK)  # the finished canopy
    draw.rectangle((40, 140, 600, 152), fill=GREY)


DRAWINGS: dict[str, Callable[[ImageDraw.ImageDraw], None]] = {
    "boxes": boxes, "clean_stairwell": clean_stairwell, "broken_lamp": broken_lamp,
    "lit_lamp": lit_lamp, "charging_cable": charging_cable, "tidy_bike_shed": tidy_bike_shed,
    "overflowing_bin": overflowing_bin, "tidy_bins": tidy_bins, "blocked_lane": blocked_lane,
    "clear_lane": clear_lane, "ceiling_leak": ceiling_leak, "barking_dog": barking_dog,
    "broken_railing": broken_railing, "fixed_railing": fixed_railing,
    "canopy_frame": canopy_frame, "gate_canopy": gate_canopy,
}


def picture(name: str) -> bytes:
    """The named drawing as a JPEG, the way a phone would upload it."""
    image = Image.new("RGB", SIZE, WHITE)
    DRAWINGS[name](ImageDraw.Draw(image))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
