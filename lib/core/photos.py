"""Photos for 随手拍 reports: check an upload, strip it to a clean JPEG, store it and sweep orphans.

Memory is the scarce resource: decoding needs every pixel in RAM (a 162 KB PNG of 7070 x 7070
took 290 MB, eight at once 2 GB). So a JPEG is decoded at reduced scale (``draft``), formats that
cannot be (PNG, WEBP) get lower pixel caps than JPEG, and at most PHOTO_WORKERS photos are
processed at once in a server process; the rest wait briefly, then get a "busy" refusal.
"""
from __future__ import annotations

import io
import math
import os
import re
import secrets
import struct
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from lib.core.errors import PhotoRejected


MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the same 10 MB as the server's maxUploadSize
MAX_PIXELS = 50_000_000  # a 48 MP phone photo passes; a 20000 x 20000 canvas does not
# PNG and WEBP decode at full size whatever the output: a phone saves photos as JPEG (or HEIC)
# and its screenshots, even long ones, stay under 16 MP, while a flat 7070 x 7070 bomb is 50 MP.
# Pillow's WEBP decoding holds about three copies of the pixels (272 MB at 16 MP against PNG's
# 119 MB), so WEBP gets half the cap: a peak near 140 MB for either.
FULL_DECODE_MAX_PIXELS = {"PNG": 16_000_000, "WEBP": 8_000_000}
PHOTO_WORKERS = 2  # photos decoded at once per server process; each may need ~100 MB
BUSY_WAIT_SECONDS = 20.0  # how long an upload waits for a free slot before "busy"
LONG_SIDE = 1600
THUMB_SIDE = 360
JPEG_QUALITY = 82
ALLOWED_FORMATS = ["JPEG", "PNG", "WEBP"]
UPLOADS = "uploads"

_NAME = re.compile(r"[0-9a-f]{32}")
_STORED_FILE = re.compile(r"([0-9a-f]{32})(\.thumb)?\.jpg")
_TEMP_PREFIX = ".partial-"
# HEIF brands (iPhone "高效" photos); Pillow cannot read them without a plugin.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Shared by every session of this server process on purpose: it bounds the process's memory.
_WORKER_SLOTS = threading.BoundedSemaphore(PHOTO_WORKERS)


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: JPEG bytes with no metadata, and the size of the full image."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


def process_photo(data: bytes) -> ProcessedPhoto:
    """Turn uploaded bytes into an upright sRGB JPEG (long side <= LONG_SIDE) and a thumbnail.

    The file is judged by its content, never its name. EXIF (GPS included), ICC profiles and
    comments are dropped. Raises PhotoRejected.
    """
    if not data:
        raise PhotoRejected("empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected("too_large")
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise PhotoRejected("heic")
    if not _WORKER_SLOTS.acquire(timeout=BUSY_WAIT_SECONDS):
        raise PhotoRejected("busy")
    try:
        return _process(data)
    finally:
        _WORKER_SLOTS.release()


def _process(data: bytes) -> ProcessedPhoto:
    # catch_warnings is process-wide, not per thread; rejection does not rely on it, because
    # MAX_PIXELS is below Pillow's own warning threshold and is checked explicitly below.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = _decode(data)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise PhotoRejected("bomb") from None
        except Image.UnidentifiedImageError:
            known = data.startswith(_IMAGE_SIGNATURES) or (data[:4], data[8:12]) == (b"RIFF", b"WEBP")
            raise PhotoRejected("corrupt" if known else "not_an_image") from None
        except (OSError, SyntaxError, ValueError, EOFError, struct.error):
            raise PhotoRejected("corrupt") from None
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return ProcessedPhoto(image=_jpeg(img), thumbnail=_jpeg(thumb), width=img.width,
                          height=img.height)


def _decode(data: bytes) -> Image.Image:
    """Open, size-check, decode (at reduced scale for big JPEGs), orient and downscale to RGB."""
    img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    if img.width * img.height > MAX_PIXELS:
        raise PhotoRejected("too_many_pixels")
    if img.width * img.height > FULL_DECODE_MAX_PIXELS.get(img.format, MAX_PIXELS):
        raise PhotoRejected("lossless_too_many_pixels")
    icc = img.info.get("icc_profile")
    scale = LONG_SIDE / max(img.size)
    if img.format == "JPEG" and scale < 1:
        # Ceil so the DCT-scaled decode is never smaller than the final size: no upscaling.
        img.draft("RGB", (math.ceil(img.width * scale), math.ceil(img.height * scale)))
    img.load()
    ImageOps.exif_transpose(img, in_place=True)
    img = _to_rgb(img)
    img.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    if icc:
        img = _to_srgb(img, icc)
    img.info = {}
    return img


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB with transparency flattened onto white; 16-bit grey scaled rather than clipped."""
    if img.mode.startswith("I"):
        img = img.convert("I").point(lambda value: value / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA", "RGBa") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img if img.mode == "RGB" else img.convert("RGB")


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """Apply an embedded profile (an iPhone's Display P3) so colours survive dropping it."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space.strip() != "RGB":
            return img  # a CMYK or grey profile does not describe the RGB pixels we now hold
        return ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img  # a broken profile is not worth refusing the photo over


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def store(data_dir: Path, photo: ProcessedPhoto) -> str:
    """Write the photo and its thumbnail durably under data_dir/uploads; return the new name."""
    folder = Path(data_dir) / UPLOADS
    created = not folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if created:
        _fsync_dir(folder.parent)
    name = secrets.token_hex(16)
    _write_durably(path_for(data_dir, name, thumb=True), photo.thumbnail)
    _write_durably(path_for(data_dir, name), photo.image)
    _fsync_dir(folder)  # makes both renames survive a power cut
    return name


def path_for(data_dir: Path, name: str, thumb: bool = False) -> Path:
    """Where a stored photo lives; raises ValueError unless name is exactly 32 lowercase hex."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"not a photo name: {name!r}")
    return Path(data_dir) / UPLOADS / (f"{name}.thumb.jpg" if thumb else f"{name}.jpg")


def delete(data_dir: Path, name: str) -> None:
    """Remove a stored photo and its thumbnail; a photo already gone is fine."""
    path_for(data_dir, name).unlink(missing_ok=True)
    path_for(data_dir, name, thumb=True).unlink(missing_ok=True)


def sweep_orphans(data_dir: Path, referenced: set[str], *,
                  older_than_seconds: float = 3600) -> list[str]:
    """Delete stored photos no report refers to, once older than the threshold; return their names.

    The age threshold protects a photo stored just before its report's transaction commits.
    Leftover temporary files from an interrupted store are removed too.
    """
    folder = Path(data_dir) / UPLOADS
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    newest: dict[str, float] = {}
    for entry in os.scandir(folder):
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue  # removed meanwhile by a concurrent sweep or delete
        if entry.name.startswith(_TEMP_PREFIX) and mtime < cutoff:
            Path(entry.path).unlink(missing_ok=True)
        elif match := _STORED_FILE.fullmatch(entry.name):
            newest[match[1]] = max(mtime, newest.get(match[1], 0.0))
    removed = sorted(name for name, mtime in newest.items()
                     if name not in referenced and mtime < cutoff)
    for name in removed:
        delete(data_dir, name)
    return removed


def _write_durably(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
