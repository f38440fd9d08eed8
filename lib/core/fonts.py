"""Find a font with Chinese glyphs on the server, so posters never print empty boxes."""
from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont


NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
# Index 2 of the Noto Sans CJK collection is the Simplified Chinese face (0 is Japanese).
NOTO_SC_INDEX = 2
WQY_MICROHEI = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# A character every Chinese font has, and one no font has: if both render the same bitmap, the
# "Chinese" glyph is really the missing-glyph box.
_PROBE = "幸"
_MISSING = "\U0010FFFD"


class FontMissing(RuntimeError):
    """No font with Chinese glyphs is installed; an operator has to install one."""

    def __init__(self) -> None:
        super().__init__(
            "No font with Chinese glyphs found. Install the Debian package fonts-noto-cjk "
            "(or the smaller fonts-wqy-microhei): apt-get install fonts-noto-cjk"
        )


def _has_chinese(font: ImageFont.FreeTypeFont) -> bool:
    """True if the font draws a real glyph for a common Chinese character."""
    probe, missing = font.getmask(_PROBE), font.getmask(_MISSING)
    return probe.size != missing.size or bytes(probe) != bytes(missing)


def _fc_match(bold: bool) -> tuple[str, int] | None:
    """Ask fontconfig for a Simplified Chinese face; it answers with a fallback if it has none."""
    if shutil.which("fc-match") is None:
        return None
    pattern = "Noto Sans CJK SC:lang=zh-cn" + (":bold" if bold else "")
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}", pattern],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = out.partition("|")
    return (path, int(index or 0)) if path else None


def _candidates(bold: bool) -> list[tuple[str, int]]:
    """Known font files first (no subprocess), fontconfig last."""
    weights = ["Bold", "Regular"] if bold else ["Regular"]
    found = [(str(NOTO_DIR / f"NotoSansCJK-{w}.ttc"), NOTO_SC_INDEX) for w in weights]
    found.append((str(WQY_MICROHEI), 0))
    return found


@lru_cache(maxsize=64)
def cjk_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Return a Chinese-capable font at ``size`` pixels; bold when the server has a bold face.

    Raises FontMissing rather than falling back to a font that would draw boxes for 汉字.
    """
    candidates = [c for c in _candidates(bold) if Path(c[0]).is_file()]
    matched = _fc_match(bold)
    if matched is not None:
        candidates.append(matched)
    for path, index in candidates:
        try:
            font = ImageFont.truetype(path, size, index=index)
        except OSError:
            continue
        if _has_chinese(font):
            return font
    raise FontMissing()
