"""Time in one place: stored as UTC ISO-8601, shown in Asia/Shanghai."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo


SHANGHAI = ZoneInfo("Asia/Shanghai")

# Set only while the demo seeding replays a past month through the real rules (see pretend).
_pretended: ContextVar[datetime | None] = ContextVar("pretended_now", default=None)


def utc_now() -> datetime:
    return _pretended.get() or datetime.now(timezone.utc)


def local_today() -> date:
    """Today's date in the community (Asia/Shanghai), e.g. for "not in the future" checks."""
    return utc_now().astimezone(SHANGHAI).date()


@contextmanager
def pretend(moment: datetime) -> Iterator[None]:
    """Let the current thread's rules run as at ``moment``.

    The demo community's year of history goes through the real rules (the append-only ledger
    among them) with the time it happened, instead of being written past them. Never used by
    the portal's own requests.
    """
    if moment.tzinfo is None:
        raise ValueError("pretend() needs an aware datetime")
    token = _pretended.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _pretended.reset(token)


def as_day(value: object) -> date | None:
    """The calendar day a form or caller gave: a date, an ISO "YYYY-MM-DD" text, or a moment
    (its day in Shanghai, never compared as a moment); None for anything else."""
    if isinstance(value, datetime):
        return (value.astimezone(SHANGHAI) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


DAYS_AHEAD_MAX = 730  # a date more than two years out is a typo


def not_a_day_ahead(day: date, what: str) -> str | None:
    """Why ``day`` cannot be planned for (before today in Shanghai, or more than two years
    ahead), in Chinese naming ``what``; None when it can. Meetings, deadlines and task days
    share this rule."""
    today = local_today()
    if day < today:
        return f"{what}不能早于今天。"
    if day > today + timedelta(days=DAYS_AHEAD_MAX):
        return f"{what}不能晚于两年之后。"
    return None


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
