"""Run-time settings, read from the environment so one code base serves demo and production."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_SEED_DIR = PROJECT_ROOT / "data" / "demo"


FALLBACK_BASE_URL = "http://localhost:8501"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    # PORTAL_BASE_URL, or "" when not configured: then the address the person is using counts.
    base_url: str
    mode: str  # "demo" or "production"
    # Seed a few months of 随手拍 history into a new demo community (PORTAL_DEMO_HISTORY=0: not).
    # Off unless asked for, so tests that build Settings by hand start from an empty wall.
    demo_history: bool = False

    @property
    def database_path(self) -> Path:
        return self.data_dir / "portal.db"

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"


def load_settings() -> Settings:
    """Read PORTAL_DATA_DIR, PORTAL_BASE_URL, PORTAL_MODE and PORTAL_DEMO_HISTORY.

    The defaults suit a local demo.
    """
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "data" / "live")
    base_url = (os.environ.get("PORTAL_BASE_URL") or "").strip().rstrip("/")
    mode = (os.environ.get("PORTAL_MODE") or "demo").strip().lower()
    if mode not in ("demo", "production"):
        raise ValueError(f"PORTAL_MODE must be 'demo' or 'production', not {mode!r}")
    demo_history = (os.environ.get("PORTAL_DEMO_HISTORY") or "1").strip() not in ("0", "no", "false")
    return Settings(data_dir=data_dir, base_url=base_url, mode=mode, demo_history=demo_history)


def origin_of(url: str | None) -> str:
    """Scheme, host and port of ``url`` (no path, query or user info); the fallback if unusable.

    QR codes printed from the browser's address must not carry the page the admin was on.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return FALLBACK_BASE_URL
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def is_local(base_url: str) -> bool:
    """True for an address only this machine can open (a QR code with it works nowhere else)."""
    host = urlsplit(base_url).netloc.rpartition("@")[2].lower()
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return host in LOCAL_HOSTS


COOKIE_KEY_FILE = "cookie_key"


def cookie_key(settings: Settings) -> str:
    """The cookie signing key, generated once and kept in the data directory (never in git)."""
    path = settings.data_dir / COOKIE_KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
