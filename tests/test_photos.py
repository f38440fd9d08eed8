"""The photo pipeline: judged by content, bomb-safe, upright, stripped of metadata, stored safely."""
import io
import os
import time

import pytest
from PIL import Image

from lib import photos
from lib.photos import PhotoRejected


def encoded(img: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def reason(data: bytes) -> str:
    with pytest.raises(PhotoRejected) as refused:
        photos.process_photo(data)
    assert refused.value.fields["photo"]  # a Chinese message for the page
    return refused.value.reason


def test_a_text_file_renamed_jpg_is_refused_by_content():
    assert reason(b"Just some notes, saved as photo.jpg\n" * 10) == "not_an_image"


def test_empty_and_oversized_uploads_are_refused_before_decoding():
    assert reason(b"") == "empty"
    started = time.perf_counter()
    assert reason(b"\xff\xd8\xff" + b"\0" * (photos.MAX_UPLOAD_BYTES + 1)) == "too_large"
    assert time.perf_counter() - started < 0.5


def test_a_huge_canvas_is_refused_without_decoding_its_pixels():
    bomb = encoded(Image.new("1", (20_000, 20_000)), "PNG")
    assert len(bomb) < photos.MAX_UPLOAD_BYTES
    started = time.perf_counter()
    assert reason(bomb) in ("too_many_pixels", "bomb")
    assert time.perf_counter() - started < 1


def test_a_truncated_jpeg_is_refused():
    whole = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), quality=90)
    assert reason(whole[: len(whole) // 2]) == "corrupt"


def test_heic_gets_its_own_advice():
    assert reason(b"\0\0\0\x18ftypheic" + b"\0" * 100) == "heic"


def test_exif_and_gps_are_removed_and_the_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif.get_ifd(0x8825)[2] = (30.0, 40.0, 12.0)  # GPS latitude
    exif[0x010F] = "PhoneMaker"
    original = encoded(Image.new("RGB", (400, 200), "red"), exif=exif.tobytes())
    assert b"PhoneMaker" in original

    result = photos.process_photo(original)
    out = Image.open(io.BytesIO(result.image))
    assert out.size == (200, 400) and (result.width, result.height) == (200, 400)
    assert not out.getexif() and b"Exif" not in result.image and b"PhoneMaker" not in result.image
    assert "icc_profile" not in out.info
    assert b"Exif" not in result.thumbnail


def test_a_transparent_png_becomes_an_rgb_jpeg_on_white():
    png = encoded(Image.new("RGBA", (100, 80), (0, 0, 0, 0)), "PNG")
    out = Image.open(io.BytesIO(photos.process_photo(png).image))
    assert out.format == "JPEG" and out.mode == "RGB"
    assert out.getpixel((50, 40))[0] > 240


def test_big_photos_are_downscaled_and_small_ones_are_not_upscaled():
    big = photos.process_photo(encoded(Image.new("RGB", (4000, 3000), "blue"), quality=90))
    assert (big.width, big.height) == (1600, 1200)
    assert max(Image.open(io.BytesIO(big.thumbnail)).size) == photos.THUMB_SIDE
    small = photos.process_photo(encoded(Image.new("RGB", (320, 240), "blue")))
    assert (small.width, small.height) == (320, 240)


def test_store_writes_both_files_under_a_random_name(tmp_path):
    result = photos.process_photo(encoded(Image.new("RGB", (64, 48), "green")))
    first, second = photos.store(tmp_path, result), photos.store(tmp_path, result)
    assert first != second and len(first) == 32 and int(first, 16) >= 0
    assert photos.path_for(tmp_path, first).read_bytes() == result.image
    assert photos.path_for(tmp_path, first, thumb=True).read_bytes() == result.thumbnail
    photos.delete(tmp_path, first)
    assert not photos.path_for(tmp_path, first).exists()
    assert photos.path_for(tmp_path, second).exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "g" * 32, "0" * 31, "0" * 33, "", "../" + "0" * 29])
def test_crafted_names_cannot_reach_outside_the_uploads_folder(tmp_path, name):
    with pytest.raises(ValueError):
        photos.path_for(tmp_path, name)


def test_sweep_removes_only_old_unreferenced_photos(tmp_path):
    result = photos.process_photo(encoded(Image.new("RGB", (64, 48), "green")))
    kept, orphan, fresh = (photos.store(tmp_path, result) for _ in range(3))
    old = time.time() - 7200
    for name in (kept, orphan):
        for thumb in (False, True):
            os.utime(photos.path_for(tmp_path, name, thumb=thumb), (old, old))
    assert photos.sweep_orphans(tmp_path, {kept}) == [orphan]
    assert photos.path_for(tmp_path, kept).exists() and photos.path_for(tmp_path, fresh).exists()
    assert not photos.path_for(tmp_path, orphan, thumb=True).exists()
