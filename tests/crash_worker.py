"""Files reports in a loop, printing each one the moment its filer would be told it is saved.

Run by tests/test_crash.py, which kills it with SIGKILL at random moments. ``broken`` keeps the
writes in one long transaction (a bug the test must catch): confirmed reports are then lost.
"""
import io
import sys

from PIL import Image

from lib.core.config import Settings
from lib.core.db import open_db
from lib.core.roles import GUEST_USER
from lib.reports import workflow


def main(data_dir: str, mode: str, prefix: str) -> None:
    settings = Settings(data_dir=__import__("pathlib").Path(data_dir), base_url="http://x", mode="demo")
    db = open_db(settings.database_path, migrate=False)
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 40).convert("RGB").save(buffer, "JPEG", quality=85)
    photo = buffer.getvalue()
    if mode == "broken":
        db.execute("BEGIN")
    for n in range(100_000):
        key = f"{prefix}-{n}"
        workflow.file_report(db, GUEST_USER, data_dir=settings.data_dir, place_id=1 + n % 5,
                            category_id=1 + n % 9, description=f"崩溃测试第 {n} 号：楼道堆物",
                            photo_files=[photo], submission_key=key)
        print(f"CONFIRMED {key}", flush=True)
        if mode == "broken" and n % 25 == 24:
            db.conn.commit()
            db.execute("BEGIN")


if __name__ == "__main__":
    main(*sys.argv[1:4])
