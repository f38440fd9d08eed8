"""Run-time settings, read from the environment so one code base serves demo and production."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_SEED_DIR = PROJECT_ROOT / "data" / "demo"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    base_url: str
    mode: str  # "demo" or "production"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "portal.db"

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"


def load_settings() -> Settings:
    """Read PORTAL_DATA_DIR, PORTAL_BASE_URL and PORTAL_MODE; defaults suit a local demo."""
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR") or PROJECT_ROOT / "data" / "live")
    base_url = (os.environ.get("PORTAL_BASE_URL") or "http://localhost:8501").rstrip("/")
    mode = (os.environ.get("PORTAL_MODE") or "demo").strip().lower()
    if mode not in ("demo", "production"):
        raise ValueError(f"PORTAL_MODE must be 'demo' or 'production', not {mode!r}")
    return Settings(data_dir=data_dir, base_url=base_url, mode=mode)
