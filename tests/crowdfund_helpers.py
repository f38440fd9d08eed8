"""Crowdfunding projects in any state, written straight into the schema.

Each part of the feature is tested on its own: a pledge test needs a project that is raising,
not the project rules' whole path to launch it. Use the cast from tests/volunteer_helpers.py.
"""
from __future__ import annotations

from datetime import timedelta

from lib.core.clock import local_today, now_iso


def make_project(db, *, created_by: int, place_id: int, status: str = "raising",
                 title: str = "车棚地面硬化", goal_fen: int = 24_000_000,
                 match_percent: int = 500, match_cap_fen: int | None = None,
                 match_sponsor: str = "街道办事处", labour_hour_fen: int = 3_000,
                 deadline_days: int = 30, tasks: tuple[dict, ...] = ()) -> dict:
    """A project (``status`` as given) with its labour tasks; returns its row and task ids.

    A task dict may give name, days (from today), starts_at, half_hours, headcount.
    """
    now = now_iso()
    project_id = db["crowdfund_projects"].insert({
        "title": title, "description": "把车棚坑洼的地面铺平。", "place_id": place_id,
        "goal_fen": goal_fen, "match_percent": match_percent, "match_cap_fen": match_cap_fen,
        "match_sponsor": match_sponsor, "labour_hour_fen": labour_hour_fen,
        "deadline": (local_today() + timedelta(days=deadline_days)).isoformat(),
        "status": status, "created_by": created_by, "created_at": now, "updated_at": now,
        "launched_at": None if status == "draft" else now,
    }).last_pk
    task_ids = []
    for task in tasks:
        task_ids.append(db["crowdfund_tasks"].insert({
            "project_id": project_id, "name": task.get("name", "平整地面"),
            "work_on": (local_today() + timedelta(days=task.get("days", 7))).isoformat(),
            "starts_at": task.get("starts_at", "09:00"), "half_hours": task.get("half_hours", 8),
            "headcount": task.get("headcount", 5), "created_at": now,
        }).last_pk)
    db.conn.commit()
    return {"id": project_id, "tasks": task_ids}
