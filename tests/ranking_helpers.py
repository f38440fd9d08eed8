"""Write 星级楼栋 months straight into the schema (m012), so each part's tests stand alone."""
from __future__ import annotations

import json

from lib.core.clock import now_iso
from lib.ranking.months import stars_for


def add_building(db, code: str, microgrid_id: int | None, *, households: int = 0) -> int:
    """A building place with ``households`` households (rooms 101, 102, ...)."""
    place_id = db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at)"
                          " VALUES (?, ?, 'building', ?, 'now')",
                          (code, f"{code.replace('-', '栋')}单元", microgrid_id)).lastrowid
    for number in range(households):
        db.execute("INSERT INTO households (place_id, room, created_at) VALUES (?, ?, 'now')",
                   (place_id, str(101 + number)))
    db.conn.commit()
    return place_id


def publish_raw(db, month: str, scores: dict[int, int], *, published_by: int | None = None,
                corrected: set[int] = frozenset()) -> None:
    """Publish ``month`` with {place_id: score in tenths}; ranks follow the scores, ties by id."""
    db.execute("INSERT INTO ranking_months (month, status, created_at) VALUES (?, 'draft', ?)"
               " ON CONFLICT (month) DO NOTHING", (month, now_iso()))
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    for rank, (place_id, tenths) in enumerate(ordered, start=1):
        db.execute(
            "INSERT INTO ranking_results (month, place_id, rank, score_tenths, stars, rated_tenths,"
            " participation_tenths, households, raters, detail, corrected)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 10, 1, ?, ?)",
            (month, place_id, rank, tenths, stars_for(tenths), tenths, tenths,
             json.dumps({"环境卫生": 40}, ensure_ascii=False), int(place_id in corrected)))
    weights = [{"id": 1, "name": "环境卫生", "kind": "stars", "weight": 70},
               {"id": 5, "name": "参与度", "kind": "participation", "weight": 30}]
    db.execute("UPDATE ranking_months SET status = 'published', published_at = ?, published_by = ?,"
               " weights = ? WHERE month = ?",
               (now_iso(), published_by, json.dumps(weights, ensure_ascii=False), month))
    db.conn.commit()
