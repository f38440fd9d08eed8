"""Streamlit pieces every feature shares: this run's database, stable page URLs, safe text, style.

Every feature's own Streamlit code lives in its package's ui.py / ui_*.py modules and builds on these;
the domain modules beside them never import streamlit.
"""
from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st
from sqlite_utils import Database

from lib.core.config import Settings, cookie_key, load_settings, origin_of
from lib.core.db import open_db
from lib.core import photos
from lib.core.errors import PhotoRejected, PortalError, ValidationError


PLACE_CODE = "place_code"

# url_path -> script: the stable public URLs of DESIGN §3 ("" is the home page).
PAGE_FILES = {
    "": "app_pages/home.py",
    "report": "app_pages/report.py",
    "reports": "app_pages/reports.py",
    "account": "app_pages/account.py",
    "points": "app_pages/points.py",
    "shop": "app_pages/shop.py",
    "volunteer": "app_pages/volunteer.py",
    "crowdfund": "app_pages/crowdfund.py",
    "ranking": "app_pages/ranking.py",
    "council": "app_pages/council.py",
    "admin": "app_pages/admin.py",  # old bookmarks: opens the first 管理 task the role may use
    # 管理's task pages (lib/site/ui_navigation.py lists them by role)
    "admin-households": "app_pages/admin/households.py",
    "admin-users": "app_pages/admin/users.py",
    "admin-qr": "app_pages/admin/qr.py",
    "admin-places": "app_pages/admin/places.py",
    "admin-categories": "app_pages/admin/categories.py",
    "admin-rules": "app_pages/admin/rules.py",
    "admin-backup": "app_pages/admin/backup.py",
    "admin-audit": "app_pages/admin/audit.py",
    "admin-points": "app_pages/admin/points.py",
    "admin-points-rules": "app_pages/admin/points_rules.py",
    "admin-redemptions": "app_pages/admin/redemptions.py",
    "admin-shop": "app_pages/admin/shop.py",
    "admin-volunteer": "app_pages/admin/volunteer.py",
    "admin-crowdfund": "app_pages/admin/crowdfund.py",
    "admin-crowdfund-books": "app_pages/admin/crowdfund_books.py",
    "admin-ranking": "app_pages/admin/ranking.py",
    "admin-ranking-scores": "app_pages/admin/ranking_scores.py",
    "admin-ranking-criteria": "app_pages/admin/ranking_criteria.py",
    "admin-council": "app_pages/admin/council.py",
}

# A sqlite3 connection may not cross threads, and Streamlit runs each session's scripts in
# their own thread: one connection per script thread, reused by the reruns it executes.
_thread_local = threading.local()


@dataclass(frozen=True)
class Portal:
    settings: Settings
    cookie_key: str


# One Portal per settings, for the life of the process. portal() is called several times in
# every run: a dict lookup, where st.cache_resource hashed the settings each time (0.27 ms).
_portals: dict[Settings, Portal] = {}
_portals_lock = threading.Lock()


def portal() -> Portal:
    settings = load_settings()
    known = _portals.get(settings)
    if known is None:
        with _portals_lock:
            known = _portals.get(settings) or Portal(settings, cookie_key(settings))
            _portals[settings] = known
    return known


def public_base_url() -> str:
    """The address QR codes, follow links and posters print.

    PORTAL_BASE_URL wins when set; otherwise the address this person is using (scheme, host
    and port of ``st.context.url``), so a portal served on another port or host prints codes
    that open it instead of ``localhost:8501``.
    """
    configured = portal().settings.base_url
    return configured or origin_of(st.context.url)


def portal_db() -> Database:
    """This script run's database connection (app.py migrated it once at start-up)."""
    path = str(portal().settings.database_path)
    cached = getattr(_thread_local, "db", None)
    if cached is None or _thread_local.path != path:
        _thread_local.db = open_db(path, migrate=False)
        _thread_local.path = path
    return _thread_local.db


def session_key() -> str:
    """A random id for this browser session (one +1 per session for guests)."""
    return st.session_state.setdefault("portal_session_key", uuid.uuid4().hex)


def go_to(url_path: str) -> None:
    """Switch page, keeping the scanned place in the URL."""
    code = st.session_state.get(PLACE_CODE)
    st.switch_page(PAGE_FILES[url_path], query_params={"b": code} if code else None)


def page_button(url_path: str, label: str, icon: str) -> None:
    """A big tappable link to a page, keeping the scanned place in the URL as go_to does."""
    code = st.session_state.get(PLACE_CODE)
    st.page_link(PAGE_FILES[url_path], label=label, icon=icon,
                 query_params={"b": code} if code else None, width="stretch")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def esc(text: object) -> str:
    """User or admin text made inert inside Streamlit markdown (no links, HTML, LaTeX, icons)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_error(error: PortalError, labels: dict[str, str] | None = None, *,
               places: dict[str, Any] | None = None) -> None:
    """Show any domain error in the words of the form: the one way pages report a refusal.

    A ValidationError shows each field's message after that field's label (``labels``: field
    name -> the label the form shows), drawn in ``places[field]`` when the form keeps a
    placeholder beside the widget (``places["*"]`` takes the rest), else where called. Any other
    PortalError shows its Chinese ``str()``. Messages are escaped: they may quote what the user
    typed, and st.error renders markdown.
    """
    labels = labels or {}
    places = places or {}
    fields = error.fields if isinstance(error, ValidationError) else {"_": str(error)}
    for field, message in fields.items():
        prefix = f"{labels[field]}：" if field in labels else ""
        target = places.get(field) or places.get("*") or st
        target.error(prefix + esc(message))


# Static CSS only (never user text): big touch targets on phones, no gap from hidden iframes.
_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4rem; }
[data-testid="stElementContainer"]:has(iframe[height="0"]) { display: none; }
[data-testid="stPageLink"] a { border: 1px solid #e3ddd3; border-radius: 0.8rem;
  padding: 0.9rem 1rem; background: #f6f3ee; min-height: 3.2rem; }
[data-testid="stPageLink"] a p { font-size: 1.15rem; font-weight: 600; }
/* A link inside a container keyed quiet_… is a line of a list, not a big way in. */
[class*="st-key-quiet_"] [data-testid="stPageLink"] a { border: none; background: none;
  padding: 0 0.2rem; min-height: 44px; }
[class*="st-key-quiet_"] [data-testid="stPageLink"] a p { font-size: 1rem; font-weight: 400; }
/* "Press Enter to submit form" is English and drawn over the typed text on a phone. */
[data-testid="InputInstructions"] { display: none; }
/* Touch targets for elderly fingers: every button at least 44 px tall. */
[data-testid="stButton"] button, [data-testid="stFormSubmitButton"] button,
[data-testid="stDownloadButton"] button, [data-testid="stLinkButton"] a,
[data-testid="stPopover"] button { min-height: 44px; }
</style>"""


def leave_note(key: str, text: str, ok: bool = True) -> None:
    """Keep a line for the next run to show: a button's callback runs before the page is drawn."""
    st.session_state[key] = (text, ok)


def show_note(key: str) -> None:
    """Show (once) the line a callback left under ``key``: green when it went well, else red."""
    note = st.session_state.pop(key, None)
    if note:
        (st.success if note[1] else st.error)(esc(note[0]))


def open_tab_only(parts: dict[str, Callable[..., None]], key: str, *args: Any,
                  on_change: Callable[[], None] | str = "rerun") -> None:
    """Tabs of which only the open one runs (Streamlit's stateful tabs), in ``parts``' order.

    A page's heavy tab (a queue, a chart, a board) then costs nothing while another is open.
    """
    titles = list(parts)
    for tab, title in zip(st.tabs(titles, key=key, on_change=on_change), titles):
        if tab.open:
            with tab:
                parts[title](*args)


def photo_problem(upload, cache_key: str) -> str:
    """lib's photo check of one chosen upload in Chinese ("" when it is fine).

    Each file is checked once per session (by its upload id), so a rerun never decodes it again.
    """
    checked = st.session_state.setdefault(cache_key, {})
    if upload.file_id not in checked:
        try:
            photos.process_photo(upload.getvalue())
        except PhotoRejected as error:
            checked[upload.file_id] = "；".join(error.fields.values())
        else:
            checked[upload.file_id] = ""
    return checked[upload.file_id]


def apply_style() -> None:
    st.html(_STYLE)
