"""The organisation: community → grid → micro-grid → place (building unit or common area) → household."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import ADMIN, User, require_role


BUILDING, COMMON = "building", "common"
PLACE_KINDS = {BUILDING: "楼栋单元", COMMON: "公共区域"}
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}")
NAME_MAX, ROOM_MAX, HEAD_NAME_MAX = 40, 10, 20
MEMBERS_MIN, MEMBERS_MAX = 1, 30
# Codes arrive from QR-code URLs; anything longer than this is junk and never reaches SQL.
_JUNK_LENGTH = 100

_PLACE_SELECT = """
    SELECT places.id, places.code, places.name, places.kind, places.microgrid_id,
           COALESCE(microgrids.name, '') AS microgrid_name, COALESCE(grids.name, '') AS grid_name
    FROM places
    LEFT JOIN microgrids ON microgrids.id = places.microgrid_id
    LEFT JOIN grids ON grids.id = microgrids.grid_id
"""


@dataclass(frozen=True)
class Place:
    """A building unit (code ``4-1``) or a common area (``gate``); names are '' when unassigned."""

    id: int
    code: str
    name: str
    kind: str
    microgrid_id: int | None
    microgrid_name: str
    grid_name: str

    @property
    def is_building(self) -> bool:
        return self.kind == BUILDING

    @property
    def label(self) -> str:
        return f"{self.name}（{self.code}）"


def natural_key(code: str) -> tuple:
    """Sort key that puts 9-2 before 10-1: digit runs compare as numbers, the rest as text."""
    parts = re.split(r"(\d+)", code.lower())
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts if part)


def normalise_code(code: object) -> str:
    """Trimmed, NFKC-folded text, so a full-width ４-１ typed on a phone matches 4-1."""
    return unicodedata.normalize("NFKC", str(code or "")).strip()


ROOM_PATTERN = re.compile(r"[0-9A-Z][0-9A-Z-]*")
_ROOM_SUFFIX = re.compile(r"[室号]$")
_SPACES = re.compile(r"[ \t]+")  # not line breaks: 302\n303 is two rooms, not 302303


def normalise_room(room: object) -> str:
    """The one room-number rule, for registration, household requests, the roster and admins.

    A phone types ３０２ (full-width), a roster says 302室 or has a stray space, a resident types
    b1-02: all must meet as one household. So: NFKC-fold, drop every space and one trailing
    室 or 号, upper-case the letters. What is left must be 1-10 digits, letters or hyphens,
    starting with a digit or letter. Raises ValidationError({"room": …}) in Chinese otherwise.
    """
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(room if room is not None else "")))
    text = _ROOM_SUFFIX.sub("", text).upper()
    if not text:
        raise ValidationError({"room": "请填写房号，例如 302。"})
    if len(text) > ROOM_MAX:
        raise ValidationError({"room": f"房号最多{ROOM_MAX}个字符，例如 302。"})
    if not text.isascii() or not ROOM_PATTERN.fullmatch(text):
        raise ValidationError({"room": "房号只能包含数字、字母和短横线，例如 302 或 B1-02。"})
    return text


def community_name(db: Database) -> str:
    """The name of the (single) community, or '' before it is set up."""
    return scalar(db, "SELECT name FROM community ORDER BY id LIMIT 1") or ""


def list_places(db: Database, *, kind: str | None = None) -> list[Place]:
    """All places, buildings first, each group in natural code order (1-1, 1-2, …, 10-1)."""
    sql, params = _PLACE_SELECT, []
    if kind is not None:
        sql += " WHERE places.kind = ?"
        params.append(kind)
    places = [Place(**row) for row in db.query(sql, params)]
    return sorted(places, key=lambda p: (p.kind != BUILDING, natural_key(p.code)))


def place_by_code(db: Database, code: str) -> Place | None:
    """The place with this code (case-insensitive, trimmed); None for unknown or junk codes."""
    if not isinstance(code, str) or len(code) > _JUNK_LENGTH:
        return None
    code = normalise_code(code)
    if not CODE_PATTERN.fullmatch(code):
        return None
    # places.code is COLLATE NOCASE, so = matches 'GATE' to 'gate'
    row = one(db, _PLACE_SELECT + " WHERE places.code = ?", (code,))
    return Place(**row) if row else None


def place_by_id(db: Database, place_id: int) -> Place | None:
    row = one(db, _PLACE_SELECT + " WHERE places.id = ?", (place_id,))
    return Place(**row) if row else None


def _check_code(code: object, errors: dict[str, str]) -> str:
    code = normalise_code(code)
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = "编号为1-20位字母、数字或短横线，如 4-1 或 gate"
    return code


def _check_name(name: object, errors: dict[str, str]) -> str:
    name = str(name or "").strip()
    if not name:
        errors["name"] = "请填写名称"
    elif len(name) > NAME_MAX:
        errors["name"] = f"名称最多{NAME_MAX}个字"
    return name


def add_place(db: Database, actor: User, *, code: str, name: str, kind: str,
              microgrid_id: int | None) -> Place:
    """Create a building unit or common place; admins only.

    Raises PermissionDenied, or ValidationError keyed by code/name/kind/microgrid_id.
    """
    require_role(actor, ADMIN)
    errors: dict[str, str] = {}
    code = _check_code(code, errors)
    name = _check_name(name, errors)
    if kind not in PLACE_KINDS:
        errors["kind"] = "类型应为楼栋单元或公共区域"
    elif kind == BUILDING and microgrid_id is None:
        errors["microgrid_id"] = "请选择楼栋所属的微网格"
    if errors:
        raise ValidationError(errors)
    with immediate(db):
        if microgrid_id is not None and not scalar(
                db, "SELECT 1 FROM microgrids WHERE id = ?", (microgrid_id,)):
            raise ValidationError({"microgrid_id": "所选微网格不存在"})
        if scalar(db, "SELECT 1 FROM places WHERE code = ?", (code,)):
            raise ValidationError({"code": "编号已存在"})
        place_id = db.execute(
            "INSERT INTO places (code, name, kind, microgrid_id, created_at) VALUES (?, ?, ?, ?, ?)",
            (code, name, kind, microgrid_id, now_iso()),
        ).lastrowid
        audit.record(db, actor.id, "place.add", "place", place_id, code=code, name=name, kind=kind)
    return place_by_id(db, place_id)  # type: ignore[return-value]


def rename_place(db: Database, actor: User, *, place_id: int, name: str) -> Place:
    """Give a place a new display name (its code, printed on QR codes, never changes).

    Raises PermissionDenied, NotFound or ValidationError({"name": …}).
    """
    require_role(actor, ADMIN)
    errors: dict[str, str] = {}
    name = _check_name(name, errors)
    if errors:
        raise ValidationError(errors)
    with immediate(db):
        old = scalar(db, "SELECT name FROM places WHERE id = ?", (place_id,))
        if old is None:
            raise NotFound("找不到该楼栋或地点。")
        if old != name:
            db.execute("UPDATE places SET name = ? WHERE id = ?", (name, place_id))
            audit.record(db, actor.id, "place.rename", "place", place_id, old=old, new=name)
    return place_by_id(db, place_id)  # type: ignore[return-value]


def household_for(db: Database, place_id: int, room: str) -> dict | None:
    """The household in this room of this place, or None (also for a room that cannot exist)."""
    try:
        room = normalise_room(room)
    except ValidationError:
        return None
    return one(db, "SELECT * FROM households WHERE place_id = ? AND room = ?", (place_id, room))


def check_household(room: object, head_name: object, members: object) -> tuple[str, str, int]:
    """Clean a household's fields; raise ValidationError keyed by room/head_name/members."""
    errors: dict[str, str] = {}
    try:
        room = normalise_room(room)
    except ValidationError as error:
        errors.update(error.fields)
    head_name = str(head_name or "").strip()
    if len(head_name) > HEAD_NAME_MAX:
        errors["head_name"] = f"户主姓名最多{HEAD_NAME_MAX}个字"
    count = parse_members(members)
    if count is None:
        errors["members"] = f"人数应为{MEMBERS_MIN}到{MEMBERS_MAX}之间的整数"
    if errors:
        raise ValidationError(errors)
    return room, head_name, count  # type: ignore[return-value]


def parse_members(value: object) -> int | None:
    """A member count from a form or spreadsheet cell (blank means 1); None if not 1-30."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        text = text[:-2] if text.endswith(".0") else text
        value = int(text) if text.isascii() and text.isdigit() else None
    if isinstance(value, int) and MEMBERS_MIN <= value <= MEMBERS_MAX:
        return value
    return None


def add_household(db: Database, actor: User, *, place_id: int, room: str, head_name: str = "",
                  members: int = 1) -> dict:
    """Register a household (a room of a place); admins only.

    Raises PermissionDenied, NotFound for an unknown place, ValidationError (duplicate room too).
    """
    require_role(actor, ADMIN)
    room, head_name, members = check_household(room, head_name, members)
    with immediate(db):
        if not scalar(db, "SELECT 1 FROM places WHERE id = ?", (place_id,)):
            raise NotFound("找不到该楼栋或地点。")
        if household_for(db, place_id, room):
            raise ValidationError({"room": "该房号已登记"})
        household_id = db.execute(
            "INSERT INTO households (place_id, room, head_name, members, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (place_id, room, head_name, members, now_iso()),
        ).lastrowid
        audit.record(db, actor.id, "household.add", "household", household_id,
                     place_id=place_id, room=room)
    return one(db, "SELECT * FROM households WHERE id = ?", (household_id,))  # type: ignore[return-value]


def seed_organisation(db: Database, spec: dict) -> None:
    """Create the community, grids, micro-grids, places and households in ``spec`` if missing.

    Start-up seeding: no permission check, no audit, and safe to run again (natural keys:
    community name, grid name, micro-grid name within its grid, place code, place + room).
    Existing rows are left as they are. Shape (as data/demo/community.json)::

        {"community": {"name": …, "address": …},
         "grids": [{"name": …, "microgrids": [{"name": …, "places": [
             {"code": "1-1", "name": "1栋1单元", "kind": "building",
              "households": [{"room": "101", "head_name": …, "members": 3}]}]}]}],
         "places": [{"code": "gate", "name": "大门", "kind": "common"}]}

    Raises ValidationError for a malformed place or household, ValueError if the database
    already holds a different community.
    """
    now = now_iso()
    with immediate(db):
        community = spec["community"]
        community_id = scalar(db, "SELECT id FROM community WHERE name = ?", (community["name"],))
        if community_id is None:
            if scalar(db, "SELECT count(*) FROM community"):
                raise ValueError(f"数据库中已有其他社区：{community_name(db)}")
            community_id = db.execute(
                "INSERT INTO community (name, address) VALUES (?, ?)",
                (community["name"], community.get("address", "")),
            ).lastrowid
        for grid in spec.get("grids", []):
            db.execute("INSERT INTO grids (community_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (community_id, grid["name"]))
            grid_id = scalar(db, "SELECT id FROM grids WHERE community_id = ? AND name = ?",
                             (community_id, grid["name"]))
            for microgrid in grid.get("microgrids", []):
                db.execute("INSERT INTO microgrids (grid_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (grid_id, microgrid["name"]))
                microgrid_id = scalar(db, "SELECT id FROM microgrids WHERE grid_id = ? AND name = ?",
                                      (grid_id, microgrid["name"]))
                for place in microgrid.get("places", []):
                    _seed_place(db, place, microgrid_id, now)
        for place in spec.get("places", []):
            _seed_place(db, place, None, now)


def _seed_place(db: Database, place: dict, microgrid_id: int | None, now: str) -> None:
    errors: dict[str, str] = {}
    code, name = _check_code(place["code"], errors), _check_name(place["name"], errors)
    kind = place.get("kind", BUILDING)
    if kind not in PLACE_KINDS:
        errors["kind"] = "类型应为楼栋单元或公共区域"
    if errors:
        raise ValidationError({field: f"{place['code']}：{message}" for field, message in errors.items()})
    db.execute(
        "INSERT INTO places (code, name, kind, microgrid_id, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (code, name, kind, microgrid_id, now),
    )
    place_id = scalar(db, "SELECT id FROM places WHERE code = ?", (code,))
    for household in place.get("households", []):
        room, head_name, members = check_household(
            household["room"], household.get("head_name", ""), household.get("members", 1))
        db.execute(
            "INSERT INTO households (place_id, room, head_name, members, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (place_id, room, head_name, members, now),
        )


# --- the community itself: its name, grids and micro-grids (admins build them) ---

ORGANISATION_NAME_MAX = 30  # a community, grid or micro-grid name


def _clean_name(name: object, field: str) -> str:
    name = str(name or "").strip()
    if not name or len(name) > ORGANISATION_NAME_MAX or not name.isprintable():
        raise ValidationError({field: f"请填写 1-{ORGANISATION_NAME_MAX} 个字的名称。"})
    return name


def set_community(db: Database, actor: User, *, name: str, address: str = "") -> None:
    """Name the community (created on first use); shown at the top of every home page."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "name")
    address = str(address or "").strip()[:100]
    with immediate(db):
        community_id = scalar(db, "SELECT id FROM community ORDER BY id LIMIT 1")
        if community_id is None:
            db.execute("INSERT INTO community (name, address) VALUES (?, ?)", (name, address))
        else:
            db.execute("UPDATE community SET name = ?, address = ? WHERE id = ?",
                       (name, address, community_id))
        audit.record(db, actor.id, "community.set", "community", community_id or 1, name=name)


def add_grid(db: Database, actor: User, *, name: str) -> int:
    """Add a grid (网格); the community must be named first."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "grid")
    with immediate(db):
        community_id = scalar(db, "SELECT id FROM community ORDER BY id LIMIT 1")
        if community_id is None:
            raise ValidationError({"grid": "请先填写社区名称。"})
        return _add_level(db, actor, "grid", community_id, name)


def add_microgrid(db: Database, actor: User, *, grid_id: int | None, name: str) -> int:
    """Add a micro-grid (微网格) to a grid; leaders and buildings are then assigned to it."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "microgrid")
    with immediate(db):
        if grid_id is None or scalar(db, "SELECT 1 FROM grids WHERE id = ?", (grid_id,)) is None:
            raise ValidationError({"grid": "请选择所属网格。"})
        return _add_level(db, actor, "microgrid", grid_id, name)


# A grid's name is unique within the community, a micro-grid's within its grid: (is the name
# taken under this parent, insert under this parent, what to say when it is taken).
_LEVELS = {
    "grid": ("SELECT 1 FROM grids WHERE community_id = ? AND name = ?",
             "INSERT INTO grids (community_id, name) VALUES (?, ?)", "该网格已存在。"),
    "microgrid": ("SELECT 1 FROM microgrids WHERE grid_id = ? AND name = ?",
                  "INSERT INTO microgrids (grid_id, name) VALUES (?, ?)", "该网格下已有同名微网格。"),
}


def _add_level(db: Database, actor: User, level: str, parent_id: int, name: str) -> int:
    """Insert a grid or micro-grid under its parent, refusing a name the parent already has,
    and audit it; inside the caller's transaction, which has checked the parent exists."""
    taken_sql, insert_sql, taken = _LEVELS[level]
    if scalar(db, taken_sql, (parent_id, name)):
        raise ValidationError({level: taken})
    level_id = db.execute(insert_sql, (parent_id, name)).lastrowid
    audit.record(db, actor.id, f"{level}.add", level, level_id, name=name)
    return level_id


def list_grids(db: Database) -> list[dict]:
    """Every grid (id, name), in the order they were set up: the choices for a new micro-grid."""
    return list(db.query("SELECT id, name FROM grids ORDER BY id"))


def list_microgrids(db: Database) -> list[dict]:
    """Every micro-grid with its grid's name, in the order they were set up."""
    return list(db.query(
        "SELECT microgrids.id, microgrids.name, grids.name AS grid_name FROM microgrids"
        " JOIN grids ON grids.id = microgrids.grid_id ORDER BY grids.id, microgrids.id"
    ))
