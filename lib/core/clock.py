"""Time in one place: stored as UTC ISO-8601, shown in Asia/Shanghai."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """The current UTC time as stored in every table (sortable text)."""
    return utc_now().isoformat(timespec="seconds")


def to_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def local_text(stored: str | None, with_time: bool = True) -> str:
    """Render a stored UTC timestamp in Shanghai time for people to read."""
    if not stored:
        return ""
    moment = datetime.fromisoformat(stored).astimezone(SHANGHAI)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
