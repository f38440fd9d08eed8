"""Importing a household roster (楼栋编号, 房号, 户主, 人数) from a CSV or Excel file."""
from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate
from lib.core.errors import ValidationError
from lib.core.roles import ADMIN, User, require_role
from lib.people.org import HEAD_NAME_MAX, normalise_code, normalise_room, parse_members


MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024
# An .xlsx is a zip: refuse one that would inflate beyond this (a zip bomb) before parsing it.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
CHUNK_SIZE = 500
HEADER_SEARCH_ROWS = 10

REQUIRED = {"place_code": "楼栋编号", "room": "房号"}
HEADERS = {
    "place_code": ("楼栋编号", "楼栋", "单元编号", "编号", "place_code", "place", "building", "code"),
    "room": ("房号", "房间号", "门牌号", "room", "room_no", "room number"),
    "head_name": ("户主", "户主姓名", "姓名", "head_name", "head", "name"),
    "members": ("人数", "家庭人数", "人口", "members", "member_count", "people"),
}
_ALIASES = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
NOT_A_TABLE = "文件不是表格，请上传 CSV 或 Excel（.xlsx）文件"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    imported: int = 0
    skipped_existing: int = 0
    errors: list[RowError] = field(default_factory=list)


def _cell_text(value: object) -> str:
    """A spreadsheet cell as trimmed text; Excel's 302.0 becomes '302'."""
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        # Excel (Chinese locale) turns a typed 4-1 into the date 4月1日: give the code back
        return f"{value.month}-{value.day}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data[:8192]:
        raise ValidationError({"file": NOT_A_TABLE})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": "无法识别文件编码，请将 CSV 另存为 UTF-8 或 GBK 编码"})
    # Binary files without NUL bytes can still decode as GB18030; real tables have no controls
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:8192]):
        raise ValidationError({"file": NOT_A_TABLE})
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise ValidationError({"file": f"CSV 格式有误：{error}"}) from error


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    import openpyxl  # imported here: slow to import and only needed for uploads

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise ValidationError({"file": "Excel 文件过大，请拆分后再导入"})
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ValidationError:
        raise
    # openpyxl raises many kinds of error (zip, XML, KeyError, ValueError) on a broken file
    except Exception as error:  # noqa: BLE001
        raise ValidationError({"file": "不是有效的 Excel（.xlsx）文件"}) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        # Some exporters (WPS, old tools) write a wrong <dimension>; without this reset a
        # read-only sheet would be cut short to it.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001 - as above, while streaming the sheet
        raise ValidationError({"file": "Excel 文件已损坏，无法读取"}) from error
    finally:
        workbook.close()


def _find_header(numbered: Iterable[tuple[int, list[str]]]) -> tuple[dict[str, int], int]:
    """Map each known column to its index, looking past a title row or two above the header."""
    first_seen: list[str] | None = None
    for count, (line, cells) in enumerate(numbered):
        if count >= HEADER_SEARCH_ROWS:
            break
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = _ALIASES.get(cell.lower().replace("*", "").strip())
            if key and key not in columns:
                columns[key] = index
        if all(key in columns for key in REQUIRED):
            return columns, line
        first_seen = first_seen or cells
    if first_seen is None:
        raise ValidationError({"file": "文件是空的，没有任何数据"})
    raise ValidationError({"file": "缺少必填列："
                           + "、".join(REQUIRED.values()) + "（第一行应为表头：楼栋编号、房号、户主、人数）"})


def parse_roster(filename: str, data: bytes) -> list[dict]:
    """Read the file's rows as dicts of text (place_code, room, head_name, members, line).

    The format is decided by content (an .xlsx is a zip, b"PK…"), not by ``filename``.
    Raises ValidationError({"file": …}) when the file is not a table, is empty, lacks the
    楼栋编号 or 房号 column, or has more than 20,000 rows.
    """
    if not data or not data.strip():
        raise ValidationError({"file": "文件是空的，没有任何数据"})
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": f"文件过大（最大 {MAX_BYTES // 1024 // 1024} MB）"})
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError({"file": "不支持旧版 Excel（.xls），请另存为 .xlsx 或 CSV 后再上传"})
    raw = _xlsx_rows(data) if data.startswith(b"PK") else _csv_rows(data)
    numbered = (
        (line, [_cell_text(value) for value in cells])
        for line, cells in enumerate(raw, start=1)
    )
    # Skip blank lines (Excel keeps formatted but empty rows) while keeping line numbers
    numbered = ((line, cells) for line, cells in numbered if any(cells))
    columns, _ = _find_header(numbered)
    rows: list[dict] = []
    for line, cells in numbered:
        if len(rows) >= MAX_ROWS:
            raise ValidationError({"file": f"行数超过上限 {MAX_ROWS:,} 行，请拆分后分批导入"})
        row = {key: cells[index] if index < len(cells) else "" for key, index in columns.items()}
        if not any(row.values()):
            continue  # only a notes column filled in: not a household row
        row.setdefault("head_name", "")
        row.setdefault("members", "")
        row["line"] = line
        rows.append(row)
    if not rows:
        raise ValidationError({"file": "文件只有表头，没有住户数据"})
    return rows


def _check_row(row: dict, places: dict[str, int], seen: dict[tuple[int, str], int]) -> tuple | str:
    """The cleaned (place_id, room, head_name, members) or a Chinese reason for refusing it."""
    code = normalise_code(row["place_code"])
    if not code:
        return "缺少楼栋编号"
    place_id = places.get(code.lower())
    if place_id is None:
        return f"楼栋编号不存在：{code[:20]}"
    if not row["room"].strip():
        return "缺少房号"
    try:
        room = normalise_room(row["room"])  # the same rule as a resident's request
    except ValidationError as error:
        return f"{error.fields['room']}（{row['room'][:20]}）"
    head_name = row["head_name"].strip()
    if len(head_name) > HEAD_NAME_MAX:
        return f"户主姓名过长（最多{HEAD_NAME_MAX}个字）"
    members = parse_members(row["members"])
    if members is None:
        return f"人数应为1到30之间的整数：{row['members'][:10]}"
    earlier = seen.setdefault((place_id, room), row["line"])
    if earlier != row["line"]:
        return f"与第{earlier}行重复（{code} {room}）"
    return place_id, room, head_name, members


def import_roster(db: Database, actor: User, *, filename: str, data: bytes,
                  progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Add the roster's new households; rooms already registered are skipped, not changed.

    Bad rows are reported with their line and reason while good rows are imported, in chunks
    of 500 rows, one transaction each; ``progress(done, total)`` is called after each chunk.
    Raises PermissionDenied, or ValidationError when the file as a whole cannot be read.
    """
    require_role(actor, ADMIN)
    rows = parse_roster(filename, data)
    places = {code.lower(): place_id for place_id, code in db.execute("SELECT id, code FROM places")}
    result = ImportResult()
    good: list[tuple] = []
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        checked = _check_row(row, places, seen)
        if isinstance(checked, str):
            result.errors.append(RowError(row["line"], checked))
        else:
            good.append(checked)
    now = now_iso()
    for start in range(0, len(good), CHUNK_SIZE):
        chunk = good[start:start + CHUNK_SIZE]
        with immediate(db):
            # rowcount of executemany is the number of rows actually inserted
            inserted = db.conn.executemany(
                "INSERT INTO households (place_id, room, head_name, members, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (place_id, room) DO NOTHING",
                [(*values, now) for values in chunk],
            ).rowcount
        result.imported += inserted
        result.skipped_existing += len(chunk) - inserted
        if progress:
            progress(start + len(chunk), len(good))
    with immediate(db):
        audit.record(db, actor.id, "roster.import", "households", "",
                     filename=filename[:100], rows=len(rows), imported=result.imported,
                     skipped_existing=result.skipped_existing, errors=len(result.errors))
    return result
