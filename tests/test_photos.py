"""Photo pipeline: refuse what is not a usable photo, strip metadata, resize, store and sweep."""
import io
import os
import re
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from lib.core import photos
from lib.core.errors import ValidationError
from lib.core.errors import PhotoRejected
from lib.core.photos import process_photo


RED = (255, 0, 0)


def jpeg(size=(400, 300), color=(40, 120, 200), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=92, **save)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with no pixel data at all."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) \
        + chunk(b"IEND", b"")


def swapped_primaries_profile() -> bytes:
    """A minimal ICC v2 RGB profile whose red primary is sRGB's green and vice versa."""
    def fixed(*values: float) -> bytes:
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    xyz = {b"rXYZ": (0.3851, 0.7169, 0.0971), b"gXYZ": (0.4361, 0.2225, 0.0139),
           b"bXYZ": (0.1431, 0.0606, 0.7141), b"wtpt": (0.9642, 1.0, 0.8249)}
    tags = {sig: b"XYZ \0\0\0\0" + fixed(*v) for sig, v in xyz.items()}
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags.update({sig: curve for sig in (b"rTRC", b"gTRC", b"bTRC")})
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags.items():
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + fixed(0.9642, 1.0, 0.8249) + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + body


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def rejected(data: bytes) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data)
    return caught.value


def close_to(pixel, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def test_a_text_file_renamed_jpg_is_refused_by_its_content(tmp_path):
    renamed = tmp_path / "photo.jpg"
    renamed.write_text("这不是照片，只是改了扩展名的文本文件。\n" * 20, encoding="utf-8")
    error = rejected(renamed.read_bytes())
    assert error.reason == "not_an_image"
    assert error.fields == {"photo": "文件不是照片，请上传 JPG、PNG 或 WEBP 格式的图片"}
    assert isinstance(error, ValidationError)


def test_an_image_in_a_format_we_do_not_accept_is_refused_as_not_a_photo():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "GIF")
    assert rejected(out.getvalue()).reason == "not_an_image"


def test_an_iphone_heic_photo_is_refused_with_advice_to_use_a_compatible_format():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    error = rejected(heic)
    assert error.reason == "heic"
    assert "兼容" in error.fields["photo"] and "截图" in error.fields["photo"]
    assert "JPG" in error.fields["photo"]


def test_an_empty_file_is_refused():
    error = rejected(b"")
    assert error.reason == "empty" and set(error.fields) == {"photo"}


def test_eleven_megabytes_are_refused_before_anything_is_decoded(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a file over the limit must not reach Pillow")

    monkeypatch.setattr(photos.Image, "open", never)
    error = rejected(b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024))
    assert error.reason == "too_large"
    assert error.fields == {"photo": "照片不能超过 10 MB"}


def test_exactly_ten_megabytes_is_not_refused_for_its_size():
    padded = jpeg() + b"\x00" * (photos.MAX_UPLOAD_BYTES - len(jpeg()))
    assert len(padded) == photos.MAX_UPLOAD_BYTES
    assert process_photo(padded).width == 400


@pytest.mark.parametrize("width, height, reason", [
    (8000, 8000, "too_many_pixels"),  # over our cap, under Pillow's warning threshold
    (10000, 10000, "bomb"),  # Pillow warns; the warning is turned into a refusal
    (20000, 20000, "bomb"),  # Pillow raises DecompressionBombError itself
])
def test_a_header_claiming_too_many_pixels_is_refused_quickly_without_decoding(
        width, height, reason):
    data = png_header_only(width, height)
    assert len(data) < 100
    started = time.perf_counter()
    error = rejected(data)
    assert time.perf_counter() - started < 1
    assert error.reason == reason and set(error.fields) == {"photo"}


def test_a_bilevel_20000_square_png_is_refused_quickly():
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    started = time.perf_counter()
    assert rejected(out.getvalue()).reason == "bomb"
    assert time.perf_counter() - started < 1


def test_a_48_megapixel_phone_photo_passes_and_is_decoded_at_reduced_scale_quickly():
    data = jpeg((8000, 6000))
    started = time.perf_counter()
    photo = process_photo(data)
    assert time.perf_counter() - started < 1
    assert (photo.width, photo.height) == (1600, 1200)


@pytest.mark.parametrize("whole", [jpeg((2000, 1500)), jpeg((300, 200))], ids=["big", "small"])
def test_a_truncated_jpeg_is_refused_as_corrupt(whole):
    error = rejected(whole[: len(whole) // 2])
    assert error.reason == "corrupt"
    assert "损坏" in error.fields["photo"]


def test_a_truncated_png_is_refused_as_corrupt():
    out = io.BytesIO()
    Image.effect_noise((300, 300), 50).save(out, "PNG")
    assert rejected(out.getvalue()[:2000]).reason == "corrupt"


@pytest.mark.parametrize("stub", [
    jpeg()[:3], jpeg()[:12], b"\x89PNG\r\n\x1a\n\x00\x00", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
], ids=["jpeg-3", "jpeg-12", "png", "webp"])
def test_a_photo_cut_inside_its_header_is_called_corrupt_not_a_non_photo(stub):
    assert rejected(stub).reason == "corrupt"


def test_gps_and_all_exif_are_gone_and_orientation_6_is_applied():
    stored = Image.new("RGB", (400, 200), (0, 0, 255))
    stored.paste(RED, (0, 0, 50, 50))  # top-left as stored; top-right once rotated upright
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Apple"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.2)}
    out = io.BytesIO()
    stored.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home")
    data = out.getvalue()
    assert opened(data).getexif().get_ifd(0x8825)[2] == (31.0, 14.0, 5.5)

    photo = process_photo(data)

    for result in (photo.image, photo.thumbnail):
        assert b"Exif" not in result and b"GPS" not in result
        assert b"taken at home" not in result
        image = opened(result)
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
    assert (photo.width, photo.height) == (200, 400) == opened(photo.image).size
    upright = opened(photo.image).convert("RGB")
    assert close_to(upright.getpixel((190, 10)), RED, 40)
    assert close_to(upright.getpixel((10, 10)), (0, 0, 255), 40)


def test_a_transparent_png_becomes_an_rgb_jpeg_on_white():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (100, 0, 200, 100))
    out = io.BytesIO()
    image.save(out, "PNG")

    photo = process_photo(out.getvalue())

    result = opened(photo.image)
    assert result.format == "JPEG" and result.mode == "RGB"
    assert close_to(result.getpixel((20, 50)), (255, 255, 255))
    assert close_to(result.getpixel((180, 50)), (0, 0, 255))


def test_a_palette_png_with_a_transparent_colour_is_flattened_on_white():
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (50, 0, 100, 100))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    result = opened(process_photo(out.getvalue()).image)
    assert close_to(result.getpixel((10, 50)), (255, 255, 255))
    assert close_to(result.getpixel((90, 50)), RED)


def test_a_16_bit_grey_png_keeps_its_tones_instead_of_clipping_to_white():
    out = io.BytesIO()
    Image.new("I;16", (64, 64), 32768).save(out, "PNG")
    assert close_to(opened(process_photo(out.getvalue()).image).getpixel((5, 5)), (128,) * 3, 4)


def test_a_cmyk_jpeg_comes_out_as_rgb():
    out = io.BytesIO()
    Image.new("CMYK", (120, 80), (0, 255, 255, 0)).save(out, "JPEG")
    result = opened(process_photo(out.getvalue()).image)
    assert result.mode == "RGB" and close_to(result.getpixel((60, 40)), RED, 30)


def test_an_embedded_colour_profile_is_applied_and_then_dropped():
    photo = process_photo(jpeg((300, 200), RED, icc_profile=swapped_primaries_profile()))
    result = opened(photo.image)
    assert "icc_profile" not in result.info and b"ICC_PROFILE" not in photo.image
    assert close_to(result.getpixel((150, 100)), (0, 255, 0), 40)
    assert close_to(opened(photo.thumbnail).getpixel((50, 50)), (0, 255, 0), 40)


def test_an_embedded_srgb_profile_leaves_colours_as_they_were():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = process_photo(jpeg((300, 200), (200, 80, 40), icc_profile=srgb))
    assert "icc_profile" not in opened(photo.image).info
    assert close_to(opened(photo.image).getpixel((150, 100)), (200, 80, 40), 6)


def test_a_profile_that_is_not_rgb_is_dropped_without_being_applied():
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    photo = process_photo(jpeg((300, 200), (200, 80, 40), icc_profile=lab))
    result = opened(photo.image)
    assert "icc_profile" not in result.info
    assert close_to(result.getpixel((150, 100)), (200, 80, 40), 6)


def test_a_webp_upload_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 200, 10)).save(out, "WEBP")
    photo = process_photo(out.getvalue())
    assert (photo.width, photo.height) == (640, 480)
    assert opened(photo.image).format == "JPEG"


@pytest.mark.parametrize("size, expected, thumb", [
    ((4000, 3000), (1600, 1200), (360, 270)),
    ((3000, 4000), (1200, 1600), (270, 360)),
    ((3264, 2448), (1600, 1200), (360, 270)),
    ((6000, 1000), (1600, 267), (360, 60)),
])
def test_a_big_jpeg_is_downscaled_to_the_long_side_and_the_thumbnail_to_360(
        size, expected, thumb):
    photo = process_photo(jpeg(size))
    assert (photo.width, photo.height) == expected == opened(photo.image).size
    assert opened(photo.thumbnail).size == thumb
    assert close_to(opened(photo.image).getpixel((10, 10)), (40, 120, 200))


def test_a_big_png_is_downscaled_too():
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), "gray").save(out, "PNG")
    photo = process_photo(out.getvalue())
    assert opened(photo.image).size == (1600, 1200)


def test_a_small_image_is_not_upscaled():
    photo = process_photo(jpeg((800, 600)))
    assert (photo.width, photo.height) == (800, 600) == opened(photo.image).size
    assert opened(photo.thumbnail).size == (360, 270)
    tiny = process_photo(jpeg((100, 50)))
    assert opened(tiny.image).size == opened(tiny.thumbnail).size == (100, 50)


def test_processed_photo_cannot_be_changed_after_the_fact():
    photo = process_photo(jpeg())
    with pytest.raises(AttributeError):
        photo.width = 1  # type: ignore[misc]


def test_store_writes_image_and_thumbnail_under_a_random_32_hex_name(tmp_path):
    photo = process_photo(jpeg())

    name = photos.store(tmp_path, photo)
    other = photos.store(tmp_path, photo)

    assert re.fullmatch(r"[0-9a-f]{32}", name) and name != other
    assert photos.path_for(tmp_path, name) == tmp_path / "uploads" / f"{name}.jpg"
    assert photos.path_for(tmp_path, name).read_bytes() == photo.image
    assert photos.path_for(tmp_path, name, thumb=True) == tmp_path / "uploads" / f"{name}.thumb.jpg"
    assert photos.path_for(tmp_path, name, thumb=True).read_bytes() == photo.thumbnail
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted(
        f"{n}{suffix}" for n in (name, other) for suffix in (".jpg", ".thumb.jpg"))


@pytest.mark.parametrize("name", [
    "../etc/passwd", "", "abc", "a" * 31, "a" * 33, "A" * 32, "g" * 32,
    "../" + "a" * 29, "a" * 32 + "\n", "/" + "a" * 31, None,
])
def test_path_for_refuses_anything_but_32_lowercase_hex(tmp_path, name):
    with pytest.raises(ValueError):
        photos.path_for(tmp_path, name)
    with pytest.raises(ValueError):
        photos.delete(tmp_path, name)


def test_delete_removes_both_files_and_repeating_it_is_harmless(tmp_path):
    name = photos.store(tmp_path, process_photo(jpeg()))
    keep = photos.store(tmp_path, process_photo(jpeg()))

    photos.delete(tmp_path, name)
    photos.delete(tmp_path, name)

    assert not photos.path_for(tmp_path, name).exists()
    assert not photos.path_for(tmp_path, name, thumb=True).exists()
    assert photos.path_for(tmp_path, keep).exists()


def age(data_dir, name, seconds):
    then = time.time() - seconds
    for thumb in (False, True):
        os.utime(photos.path_for(data_dir, name, thumb=thumb), (then, then))


def test_sweep_removes_only_unreferenced_photos_older_than_the_threshold(tmp_path):
    photo = process_photo(jpeg())
    old_orphan, old_used, fresh_orphan = (photos.store(tmp_path, photo) for _ in range(3))
    age(tmp_path, old_orphan, 7200)
    age(tmp_path, old_used, 7200)

    removed = photos.sweep_orphans(tmp_path, {old_used})

    assert removed == [old_orphan]
    assert not photos.path_for(tmp_path, old_orphan).exists()
    assert not photos.path_for(tmp_path, old_orphan, thumb=True).exists()
    for kept in (old_used, fresh_orphan):
        assert photos.path_for(tmp_path, kept).exists()
        assert photos.path_for(tmp_path, kept, thumb=True).exists()
    assert photos.sweep_orphans(tmp_path, {old_used}) == []


def test_sweep_honours_a_custom_threshold_and_a_lone_thumbnail(tmp_path):
    name = photos.store(tmp_path, process_photo(jpeg()))
    photos.path_for(tmp_path, name).unlink()  # as if a crash came between the two writes
    then = time.time() - 120
    os.utime(photos.path_for(tmp_path, name, thumb=True), (then, then))

    assert photos.sweep_orphans(tmp_path, set()) == []
    assert photos.sweep_orphans(tmp_path, set(), older_than_seconds=60) == [name]
    assert list((tmp_path / "uploads").iterdir()) == []


def test_sweep_keeps_a_photo_while_either_of_its_files_is_recent(tmp_path):
    name = photos.store(tmp_path, process_photo(jpeg()))
    then = time.time() - 7200
    os.utime(photos.path_for(tmp_path, name), (then, then))

    assert photos.sweep_orphans(tmp_path, set()) == []
    assert photos.path_for(tmp_path, name).exists()


def test_sweep_clears_stale_temporary_files_and_leaves_other_files_alone(tmp_path):
    photos.store(tmp_path, process_photo(jpeg()))
    folder = tmp_path / "uploads"
    stale, fresh, stranger = folder / ".partial-abc", folder / ".partial-def", folder / "notes.txt"
    for path in (stale, fresh, stranger):
        path.write_bytes(b"x")
    then = time.time() - 7200
    for path in (stale, stranger):
        os.utime(path, (then, then))

    photos.sweep_orphans(tmp_path, set())

    assert not stale.exists() and fresh.exists() and stranger.exists()


def test_sweep_of_a_data_dir_without_uploads_removes_nothing(tmp_path):
    assert photos.sweep_orphans(tmp_path, set()) == []


# --- memory: lower caps where decoding needs every pixel, and few decodes at once ----------------


def flat(size, fmt, **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize("fmt, save", [("PNG", {}), ("WEBP", {"lossless": True}), ("WEBP", {})],
                         ids=["png", "webp-lossless", "webp-lossy"])
def test_a_tiny_flat_image_over_its_formats_cap_is_refused_before_decoding(fmt, save):
    side = int(photos.FULL_DECODE_MAX_PIXELS[fmt] ** 0.5) + 1
    data = flat((side, side), fmt, **save)
    assert len(data) < 300_000  # the bomb's whole point: a small file, a huge decode
    started = time.perf_counter()
    error = rejected(data)
    assert time.perf_counter() - started < 0.5
    assert error.reason == "lossless_too_many_pixels"
    assert "JPG" in error.fields["photo"]


def test_caps_stay_where_phones_never_reach_and_bombs_always_do():
    long_screenshot = 1290 * 12000
    assert long_screenshot <= photos.FULL_DECODE_MAX_PIXELS["PNG"] < 7070 * 7070
    assert 1080 * 2400 <= photos.FULL_DECODE_MAX_PIXELS["WEBP"] < photos.FULL_DECODE_MAX_PIXELS["PNG"]


def test_a_png_at_its_cap_still_passes_and_a_jpeg_of_the_same_size_too():
    side = int(photos.FULL_DECODE_MAX_PIXELS["PNG"] ** 0.5)
    assert process_photo(flat((side, side), "PNG")).width == photos.LONG_SIDE
    assert process_photo(flat((side + 1, side + 1), "JPEG")).width == photos.LONG_SIDE


def test_a_big_jpeg_is_decoded_at_reduced_scale_not_at_full_size(monkeypatch):
    decoded_sizes = []
    real = photos.ImageOps.exif_transpose

    def spy(img, **options):
        decoded_sizes.append(img.size)
        return real(img, **options)

    monkeypatch.setattr(photos.ImageOps, "exif_transpose", spy)
    process_photo(jpeg((8000, 6000)))
    (width, height), = decoded_sizes
    assert photos.LONG_SIDE <= width <= 2 * photos.LONG_SIDE
    assert width * height <= 8000 * 6000 / 4


def _track_concurrency(monkeypatch, hold_seconds=0.05):
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def slow(data):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(hold_seconds)
        with lock:
            state["now"] -= 1
        return "done"

    monkeypatch.setattr(photos, "_process", slow)
    return state


def test_at_most_two_photos_are_processed_at_once_and_the_rest_wait_their_turn(monkeypatch):
    state = _track_concurrency(monkeypatch)
    results = []
    threads = [threading.Thread(target=lambda: results.append(process_photo(b"x" * 10)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["done"] * 8
    assert state["most"] == photos.PHOTO_WORKERS == 2


def test_an_upload_that_waits_too_long_is_told_the_server_is_busy_in_chinese(monkeypatch):
    monkeypatch.setattr(photos, "BUSY_WAIT_SECONDS", 0.05)
    for _ in range(photos.PHOTO_WORKERS):
        assert photos._WORKER_SLOTS.acquire(timeout=1)
    try:
        error = rejected(jpeg())
    finally:
        for _ in range(photos.PHOTO_WORKERS):
            photos._WORKER_SLOTS.release()
    assert error.reason == "busy" and "服务器繁忙" in error.fields["photo"]
    assert process_photo(jpeg()).width == 400  # the slots are free again


def test_a_refused_photo_gives_its_slot_back():
    for _ in range(photos.PHOTO_WORKERS + 3):
        assert rejected(b"\x89PNG\r\n\x1a\n broken").reason == "corrupt"
    for _ in range(photos.PHOTO_WORKERS):
        assert photos._WORKER_SLOTS.acquire(timeout=0)
    for _ in range(photos.PHOTO_WORKERS):
        photos._WORKER_SLOTS.release()


# --- behaviour pinned down after mutation testing ----------------------------------------------


def test_heif_brand_bytes_without_an_ftyp_box_are_not_called_heic():
    error = rejected(b"\0\0\0\x18abcdheic" + b"\0" * 40)
    assert error.reason == "not_an_image"


def test_a_broken_webp_is_called_corrupt_not_a_non_photo():
    for payload in (b"VP8 " + b"\0" * 40, b"xxxx" + b"\0" * 40):
        assert rejected(b"RIFF\x40\0\0\0WEBP" + payload).reason == "corrupt"
    assert rejected(b"RIFX\x40\0\0\0WEBPxxxx" + b"\0" * 40).reason == "not_an_image"
    assert rejected(b"RIFF\x40\0\0\0WEBQxxxx" + b"\0" * 40).reason == "not_an_image"


def test_an_image_of_exactly_the_pixel_cap_passes(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 400 * 300)
    assert process_photo(jpeg((400, 300))).width == 400
    assert rejected(jpeg((401, 300))).reason == "too_many_pixels"


def test_the_full_image_is_a_lanczos_downscale_saved_as_an_optimised_quality_82_jpeg():
    source = Image.new("RGB", (3200, 800), "white")
    for x in range(0, 3200, 7):
        source.paste((200, 30, 60), (x, 0, x + 3, 800))
    upload = io.BytesIO()
    source.save(upload, "PNG")

    expected = Image.open(io.BytesIO(upload.getvalue())).convert("RGB")
    expected.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    expected.save(out, "JPEG", quality=82, optimize=True)

    assert process_photo(upload.getvalue()).image == out.getvalue()


def test_a_16_bit_grey_value_is_divided_by_256_exactly():
    out = io.BytesIO()
    Image.new("I;16", (64, 64), 25600).save(out, "PNG")
    assert opened(process_photo(out.getvalue()).image).getpixel((5, 5)) == (100, 100, 100)


def test_a_grey_png_with_an_alpha_channel_is_flattened_on_white():
    out = io.BytesIO()
    Image.new("LA", (64, 64), (0, 0)).save(out, "PNG")
    assert opened(out.getvalue()).mode == "LA"
    assert close_to(opened(process_photo(out.getvalue()).image).getpixel((5, 5)), (255,) * 3, 2)


@pytest.mark.parametrize("mode, transparent_black", [
    ("LA", (0, 0)), ("PA", (0, 0)), ("RGBa", (0, 0, 0, 0)), ("RGBA", (0, 0, 0, 0))])
def test_every_mode_with_alpha_is_flattened_on_white(mode, transparent_black):
    flat_image = photos._to_rgb(Image.new(mode, (8, 8), transparent_black))
    assert flat_image.mode == "RGB" and flat_image.getpixel((3, 3)) == (255, 255, 255)


def test_store_creates_a_missing_data_dir_with_its_parents(tmp_path):
    data_dir = tmp_path / "not" / "yet" / "there"
    name = photos.store(data_dir, process_photo(jpeg()))
    assert photos.path_for(data_dir, name).exists()
    assert photos.path_for(data_dir, name, thumb=True).exists()


def test_store_syncs_the_parent_folder_only_when_it_creates_uploads(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(photos, "_fsync_dir", lambda folder: synced.append(Path(folder)))
    photo = process_photo(jpeg())

    photos.store(tmp_path, photo)
    assert synced == [tmp_path, tmp_path / "uploads"]
    synced.clear()
    photos.store(tmp_path, photo)
    assert synced == [tmp_path / "uploads"]


def test_path_for_says_which_name_it_refused(tmp_path):
    with pytest.raises(ValueError, match="not a photo name: 'ABC'"):
        photos.path_for(tmp_path, "ABC")


def test_the_default_sweep_threshold_is_one_hour(tmp_path):
    name = photos.store(tmp_path, process_photo(jpeg()))
    age(tmp_path, name, 3600.5)
    assert photos.sweep_orphans(tmp_path, set()) == [name]


def test_sweep_judges_a_symlink_by_its_own_age_not_its_target(tmp_path):
    target = tmp_path / "elsewhere.jpg"
    target.write_bytes(b"x")
    then = time.time() - 7200
    os.utime(target, (then, then))
    (tmp_path / "uploads").mkdir()
    link = tmp_path / "uploads" / ("a" * 32 + ".jpg")
    link.symlink_to(target)

    assert photos.sweep_orphans(tmp_path, set()) == []
    assert link.is_symlink() and target.exists()


class _Gone:
    """A directory entry removed by someone else between the listing and our look at it."""

    def __init__(self, name, path, mtime=None):
        self.name, self.path, self._mtime = name, path, mtime

    def stat(self, follow_symlinks=True):
        if self._mtime is None:
            raise FileNotFoundError(self.path)
        return os.stat_result((0,) * 8 + (self._mtime, self._mtime))


def test_sweep_carries_on_past_files_that_vanish_under_it(tmp_path, monkeypatch):
    name = photos.store(tmp_path, process_photo(jpeg()))
    age(tmp_path, name, 7200)
    folder = tmp_path / "uploads"
    real_scandir = os.scandir
    old = time.time() - 7200
    vanished = [_Gone("b" * 32 + ".jpg", str(folder / ("b" * 32 + ".jpg"))),
                _Gone(".partial-gone", str(folder / ".partial-gone"), old)]
    monkeypatch.setattr(photos.os, "scandir",
                        lambda path: vanished + sorted(real_scandir(path), key=lambda e: e.name))

    assert photos.sweep_orphans(tmp_path, set()) == [name]
    assert list(folder.iterdir()) == []


def test_sweep_keeps_a_photo_whose_image_is_recent_whatever_the_listing_order(
        tmp_path, monkeypatch):
    name = photos.store(tmp_path, process_photo(jpeg()))
    then = time.time() - 7200
    os.utime(photos.path_for(tmp_path, name, thumb=True), (then, then))
    real_scandir = os.scandir
    monkeypatch.setattr(photos.os, "scandir",
                        lambda path: sorted(real_scandir(path), key=lambda e: e.name))

    assert photos.sweep_orphans(tmp_path, set()) == []
    assert photos.path_for(tmp_path, name).exists()


@pytest.mark.parametrize("leftover", [".partial-xyz", "c" * 32 + ".jpg"])
def test_sweep_keeps_a_file_exactly_at_the_cutoff(tmp_path, monkeypatch, leftover):
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / leftover).write_bytes(b"x")
    now = 2_000_000_000
    os.utime(folder / leftover, (now - 3600, now - 3600))
    monkeypatch.setattr(photos.time, "time", lambda: float(now))

    assert photos.sweep_orphans(tmp_path, set()) == []
    assert (folder / leftover).exists()


def test_a_photo_is_written_to_a_sweepable_temporary_file_beside_it_then_renamed(
        tmp_path, monkeypatch):
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(photos.os, "replace",
                        lambda src, dst: (renames.append((Path(src), Path(dst))),
                                          real_replace(src, dst)))
    name = photos.store(tmp_path, process_photo(jpeg()))

    assert [dst for _, dst in renames] == [photos.path_for(tmp_path, name, thumb=True),
                                           photos.path_for(tmp_path, name)]
    for src, dst in renames:
        assert src.parent == dst.parent and src.name.startswith(".partial-")


class _DiskGone(Exception):
    pass


@pytest.mark.parametrize("remove_first", [False, True])
def test_a_failed_write_leaves_no_temporary_file_and_raises_the_original_error(
        tmp_path, monkeypatch, remove_first):
    def failing_replace(src, dst):
        if remove_first:
            os.unlink(src)
        raise _DiskGone()

    monkeypatch.setattr(photos.os, "replace", failing_replace)
    with pytest.raises(_DiskGone):
        photos.store(tmp_path, process_photo(jpeg()))
    assert list((tmp_path / "uploads").iterdir()) == []


def test_a_photo_whose_exif_only_draws_a_pillow_warning_is_still_accepted():
    entries = struct.pack("<HHII", 0x010E, 2, 100, 1000)  # a description pointing past the end
    exif = b"Exif\0\0II*\0" + struct.pack("<IH", 8, 1) + entries + struct.pack("<I", 0)
    with pytest.warns(UserWarning, match="Skipping tag"):
        photo = process_photo(jpeg((40, 30), exif=exif))
    assert (photo.width, photo.height) == (40, 30)
    assert "exif" not in opened(photo.image).info
