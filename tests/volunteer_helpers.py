"""Two micro-grids with their leaders, residents and staff: the cast of the volunteer tests and
of the points matrix (a leader grants only inside their own micro-grid)."""
from __future__ import annotations

from lib.core.clock import now_iso
from lib.core.roles import ADMIN, GUEST_USER, LEADER, RESIDENT, STAFF, User
from lib.people.users import load_user


def build_grids(db) -> dict:
    """Micro-grids A and B, a building in each."""
    db.execute("INSERT INTO community (name) VALUES ('测试社区')")
    db.execute("INSERT INTO grids (community_id, name) VALUES (1, '一网格')")
    mg_a = db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, 'A')").lastrowid
    mg_b = db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, 'B')").lastrowid
    place_a = db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at)"
                         " VALUES ('1-1', '1栋', 'building', ?, 'now')", (mg_a,)).lastrowid
    place_b = db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at)"
                         " VALUES ('2-1', '2栋', 'building', ?, 'now')", (mg_b,)).lastrowid
    db.conn.commit()
    return {"mg_a": mg_a, "mg_b": mg_b, "place_a": place_a, "place_b": place_b}


def placed_user(db, username: str, role: str, place_id: int, *, leads: int | None = None,
                status: str = "verified") -> User:
    """A user living in a new room of ``place_id``; ``status`` is their household check."""
    room = str(100 + db.execute("SELECT COUNT(*) FROM households").fetchone()[0])
    household_id = db.execute("INSERT INTO households (place_id, room, created_at)"
                              " VALUES (?, ?, 'now')", (place_id, room)).lastrowid
    user_id = db["users"].insert({
        "username": username, "display_name": f"{username}名", "password_hash": "x", "role": role,
        "leads_microgrid_id": leads, "created_at": now_iso(), "password_changed_at": now_iso(),
        "household_id": household_id if status == "verified" else None,
        "household_status": status, "requested_place_id": place_id, "requested_room": room,
    }).last_pk
    db.conn.commit()
    return load_user(db, user_id)


def make_cast(db) -> dict:
    """Everyone: residents in A (in), in B (out), unverified in A; leaders of A and B; staff."""
    grid = build_grids(db)
    a, b = grid["place_a"], grid["place_b"]
    return {
        "grid": grid,
        "in": placed_user(db, "neighbour", RESIDENT, a),
        "in2": placed_user(db, "neighbour2", RESIDENT, a),
        "out": placed_user(db, "stranger", RESIDENT, b),
        "unverified": placed_user(db, "newcomer", RESIDENT, a, status="pending"),
        LEADER: placed_user(db, "leader", LEADER, a, leads=grid["mg_a"]),
        "leader_b": placed_user(db, "leader_b", LEADER, b, leads=grid["mg_b"]),
        "leader_none": placed_user(db, "leader_none", LEADER, a),
        STAFF: placed_user(db, "staff", STAFF, a),
        "staff2": placed_user(db, "staff2", STAFF, b),
        ADMIN: placed_user(db, "admin", ADMIN, b),
        "guest": GUEST_USER,
    }


def matrix_cast(db) -> dict:
    """The points matrix's actors: all in micro-grid A (which ``leader`` leads), plus a
    neighbour in A ("in") and a stranger in B ("out"); "system" is None."""
    grid = build_grids(db)
    return {
        "in": placed_user(db, "neighbour", RESIDENT, grid["place_a"]),
        "out": placed_user(db, "stranger", RESIDENT, grid["place_b"]),
        RESIDENT: placed_user(db, "resident", RESIDENT, grid["place_a"]),
        LEADER: placed_user(db, "leader", LEADER, grid["place_a"], leads=grid["mg_a"]),
        STAFF: placed_user(db, "staff", STAFF, grid["place_a"]),
        ADMIN: placed_user(db, "admin", ADMIN, grid["place_a"]),
        "system": None,
        "guest": GUEST_USER,
        "grid": grid,
    }
