"""Pickup codes: short, unambiguous, typed in any case or scanned from their QR at the desk."""
from __future__ import annotations

import io
import re
import secrets

from PIL import Image
from sqlite_utils import Database

from lib.core import photos
from lib.core.db import scalar
from lib.core.errors import ValidationError
from lib.people import posters


# No 0/O, 1/I: the code is read aloud at the service desk and typed by older hands.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
_TYPED_NOISE = re.compile(r"[\s\-_·.]")


def new_code(db: Database) -> str:
    """A pickup code no redemption has used (32^6: a repeat is rare, and then drawn again)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if scalar(db, "SELECT 1 FROM shop_redemptions WHERE pickup_code = ?", (code,)) is None:
            return code


def normalise_code(text: object) -> str:
    """The code as typed (any case, spaces or dashes) in its stored form; raises ValidationError."""
    cleaned = _TYPED_NOISE.sub("", text if isinstance(text, str) else "")[:64].upper()
    if len(cleaned) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in cleaned):
        raise ValidationError({"code": f"取件码是 {CODE_LENGTH} 位字母和数字（没有 0、O、1、I），"
                                       "请核对后重新输入。"})
    return cleaned


def pickup_qr_png(code: str, box_size: int = 8) -> bytes:
    """The pickup code as a QR image staff can scan from the resident's screen.

    A code is 29 modules wide with its border, so the image is 29 x ``box_size`` pixels: pages
    pick the box that gives the size they show, so st.image need not resize it on every run.
    """
    return posters.qr_png(normalise_code(code), box_size=box_size)


def decode_code(image_bytes: bytes) -> str | None:
    """The pickup code in a photo of its QR (the 兑换核销 camera), or None if none is readable.

    The photo goes through the portal's photo checks first (size, pixel bombs), so a hostile
    upload costs no more here than on 随手拍. Raises PhotoRejected for what is not a photo.
    """
    import zxingcpp  # a compiled decoder only the desk's camera needs: loaded on first scan

    cleaned = photos.process_photo(image_bytes)
    for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(cleaned.image))):
        try:
            return normalise_code(found.text)
        except ValidationError:
            continue
    return None
