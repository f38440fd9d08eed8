"""The read side of 随手拍: the public follow page, the wall, staff queue, desk statistics, exports."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import altair as alt
from sqlite_utils import Database

from lib.core import rules, tables
from lib.core.clock import SHANGHAI, local_text, to_iso, utc_now
from lib.core.db import one, scalar
from lib.core.roles import ROLE_LABELS
from lib.people.households import total_by_home
from lib.people.users import PUBLIC_RESIDENT, mask_name
from lib.reports.workflow import STATUS_LABELS


CONFIRMATION_LABELS = {"solved": "已解决", "unsolved": "未解决", "auto": "逾期未确认，视为已解决"}
# What each timeline entry says; a kind not listed here (rejected) shows the status it moved to.
EVENT_LABELS = {"filed": "提交", "proxy": "代录", "accepted": "受理", "started": "开始处理",
                "resolved": "办结", "reopened": "重新处理", "confirmed": "确认已解决",
                "unsolved": "表示仍未解决", "auto_confirmed": "逾期未答复，视为已解决"}
# Events written without an actor are the public's (a guest filing, +1, confirming by the follow
# link) except these, which the system writes on its own.
SYSTEM_EVENT_KINDS = frozenset({"auto_confirmed"})
# The reporter's own timeline entries say only this: a role (one 微网格长 per micro-grid)
# would name the person behind a hidden-name report.
REPORTER_LABEL = "反映人"
EXPORT_DAYS = 30
WALL_TEXT = 60
EXPORT_COLUMNS = ("编号", "提交时间", "地点", "类别", "状态", "描述", "联系电话", "处理人",
                  "办结时间", "满意度", "评价")
# Excel and LibreOffice run a cell starting with one of these as a formula (OWASP CSV injection).
# Shanghai has kept UTC+8 without daylight saving since 1991, so one fixed shift is exact in SQL.
_SHANGHAI_SHIFT = "+%d seconds" % SHANGHAI.utcoffset(datetime(2000, 1, 1)).total_seconds()

_LIST_SELECT = """
    SELECT r.id, r.status, r.description, r.created_at, r.metoo_count, r.confirmation, r.rating,
           p.name AS place_name, c.name AS category_name,
           (SELECT ph.name FROM report_photos ph WHERE ph.report_id = r.id AND ph.stage = 'before'
            ORDER BY ph.id LIMIT 1) AS thumbnail
    FROM reports r
    JOIN places p ON p.id = r.place_id
    JOIN report_categories c ON c.id = r.category_id
"""


def shorten(text: str, length: int = WALL_TEXT) -> str:
    """The text cut to ``length`` characters, ending in … when something was cut."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _list_row(row: dict) -> dict:
    return {"id": row["id"], "place_name": row["place_name"], "category_name": row["category_name"],
            "status": row["status"], "status_label": STATUS_LABELS[row["status"]],
            "description": shorten(row["description"]), "created_at": row["created_at"],
            "metoo_count": row["metoo_count"], "thumbnail": row["thumbnail"]}


def public_report(db: Database, report_id: int) -> dict | None:
    """What anyone may see of one report (its follow page); None if there is no such report.

    Never the contact phone, the reporter's name or id, the follow token or the submission key.
    """
    row = one(db, """
        SELECT r.id, r.status, r.description, r.created_at, r.closed_at, r.metoo_count,
               r.confirmation, r.rating, r.result_note, r.reject_reason, r.transferred_to,
               r.duplicate_of, p.name AS place_name, p.code AS place_code,
               c.name AS category_name,
               r.hide_name = 0 AND r.proxy_by IS NULL AND u.show_name_publicly = 1 AS named,
               u.display_name AS reporter_name
        FROM reports r
        JOIN places p ON p.id = r.place_id
        JOIN report_categories c ON c.id = r.category_id
        LEFT JOIN users u ON u.id = r.reporter_id
        WHERE r.id = ?""", (report_id,))
    if row is None:
        return None
    name, named = row.pop("reporter_name"), row.pop("named")
    row["reporter_label"] = mask_name(name) if named and name else PUBLIC_RESIDENT
    row["status_label"] = STATUS_LABELS[row["status"]]
    row["confirmation_label"] = CONFIRMATION_LABELS.get(row["confirmation"] or "", "")
    row["photos"] = list(db.query(
        "SELECT name, stage FROM report_photos WHERE report_id = ? ORDER BY id", (report_id,)))
    row["timeline"] = [_event_row(event) for event in db.query(
        "SELECT e.at, e.kind, e.to_status, e.note, u.role,"
        " e.actor_id IS NOT NULL AND e.actor_id IS r.reporter_id AS by_reporter"
        " FROM report_events e JOIN reports r ON r.id = e.report_id"
        " LEFT JOIN users u ON u.id = e.actor_id WHERE e.report_id = ? ORDER BY e.id", (report_id,))]
    return row


def _event_row(event: dict) -> dict:
    """A timeline entry that names the actor's role, never the person; the reporter's own
    entries (by account, or without an actor: a guest or the follow link) say only 反映人."""
    status_label = STATUS_LABELS.get(event["to_status"] or "", "")
    role, by_reporter = event.pop("role"), event.pop("by_reporter")
    if by_reporter:
        actor = REPORTER_LABEL
    elif role is None:
        actor = "系统" if event["kind"] in SYSTEM_EVENT_KINDS else REPORTER_LABEL
    else:
        actor = ROLE_LABELS.get(role, PUBLIC_RESIDENT)
    return event | {"label": EVENT_LABELS.get(event["kind"]) or status_label or event["kind"],
                    "to_status_label": status_label, "actor_label": actor}


def _filters(status: str | None, category_id: int | None, place_id: int | None) -> tuple[list, dict]:
    where, params = [], {"status": status, "category_id": category_id, "place_id": place_id}
    if status is not None:
        where.append("r.status = :status")
    if category_id is not None:
        where.append("r.category_id = :category_id")
    if place_id is not None:
        where.append("r.place_id = :place_id")
    return where, params


def wall(db: Database, *, status: str | None = None, category_id: int | None = None,
         place_id: int | None = None, limit: int = 20, before_id: int | None = None) -> list[dict]:
    """The public wall, newest first; pass the last id shown as ``before_id`` for the next page.

    Ordered by (created_at, id) rather than id alone so that the (status, created_at) and
    (category_id, created_at) indexes deliver a filtered page without sorting every match.
    """
    where, params = _filters(status, category_id, place_id)
    if before_id is not None:
        params["before_at"] = scalar(db, "SELECT created_at FROM reports WHERE id = ?", (before_id,))
        if params["before_at"] is None:
            return []
        where.append("(r.created_at, r.id) < (:before_at, :before_id)")
        params["before_id"] = before_id
    sql = _LIST_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    params["limit"] = limit
    sql += " ORDER BY r.created_at DESC, r.id DESC LIMIT :limit"
    return [_list_row(row) for row in db.query(sql, params)]


def wall_counts(db: Database, *, category_id: int | None = None,
                place_id: int | None = None) -> dict[str, int]:
    """How many reports are in each status (every status present, 0 if none) for the wall's filters."""
    where, params = _filters(None, category_id, place_id)
    sql = "SELECT r.status, count(*) AS n FROM reports r"
    sql += (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY r.status"
    counts = dict.fromkeys(STATUS_LABELS, 0)
    counts.update({row["status"]: row["n"] for row in db.query(sql, params)})
    return counts


def my_reports(db: Database, user_id: int, *, limit: int = 50) -> list[dict]:
    """The reports this user filed, newest first, with their confirmation and rating."""
    rows = db.query(_LIST_SELECT + " WHERE r.reporter_id = ? ORDER BY r.id DESC LIMIT ?",
                    (user_id, limit))
    return [_list_row(row) | {"confirmation": row["confirmation"], "rating": row["rating"]}
            for row in rows]


def device_reports(db: Database, device_key: str, *, limit: int = 50) -> list[dict]:
    """The reports a guest filed from this browser (its device key), newest first, with their
    follow tokens: the browser that filed a report may follow and confirm it."""
    if not device_key:
        return []
    rows = db.query(_LIST_SELECT.replace("SELECT r.id,", "SELECT r.follow_token, r.id,", 1)
                    + " WHERE r.device_key = ? ORDER BY r.id DESC LIMIT ?", (device_key, limit))
    return [_list_row(row) | {"follow_token": row["follow_token"]} for row in rows]


def similar_open(db: Database, *, place_id: int, category_id: int, voter: str,
                 limit: int = 5) -> list[dict]:
    """Open reports of the same place and category with their first photo, and whether this
    voter has already said 我也遇到, for the +1 offered instead of a duplicate."""
    return [dict(row) | {"voted": bool(row["voted"])} for row in db.query("""
        SELECT r.id, r.description, r.status, r.metoo_count, r.created_at,
               (SELECT ph.name FROM report_photos ph WHERE ph.report_id = r.id
                AND ph.stage = 'before' ORDER BY ph.id LIMIT 1) AS thumbnail,
               EXISTS (SELECT 1 FROM report_metoo m WHERE m.report_id = r.id AND m.voter = ?)
                   AS voted
        FROM reports r
        WHERE r.place_id = ? AND r.category_id = ? AND r.status IN ('pending', 'accepted',
              'in_progress')
        ORDER BY r.id DESC LIMIT ?""", (voter[:80], place_id, category_id, limit))]


def accepted_by_building(db: Database, first: str, following: str) -> dict[int, int]:
    """Reports staff accepted from ``first`` to before ``following`` (local dates), counted by the
    building of the reporter's verified household (not the reported place): the star ranking's
    participation. Rejected or transferred reports never count; accepted ones stay counted
    however their handling goes on. Reads the reports_accepted_at index."""
    start, end = (to_iso(datetime.combine(date.fromisoformat(day), time(0), SHANGHAI))
                  for day in (first, following))
    return total_by_home(db, "SELECT reporter_id AS user_id, 1 AS amount FROM reports"
                             " INDEXED BY reports_accepted_at"
                             " WHERE accepted_at >= ? AND accepted_at < ?"
                             " AND status IN ('accepted', 'in_progress', 'resolved')", (start, end))


def export_default_range(now: datetime | None = None) -> tuple[date, date]:
    """The export's default first and last day: the last 30 days by the Shanghai calendar
    (a UTC date would drop the day's reports from 00:00 to 08:00 Shanghai time)."""
    today = (now or utc_now()).astimezone(SHANGHAI).date()
    return today - timedelta(days=EXPORT_DAYS), today


def staff_queue(db: Database, *, now: datetime | None = None, limit: int = 200) -> list[dict]:
    """Open reports, oldest first, with contact details and overdue flags for staff."""
    now = now or utc_now()
    accept_by = now - timedelta(hours=rules.get(db, "reports.accept_within_hours"))
    close_by = now - timedelta(days=rules.get(db, "reports.close_within_days"))
    rows = db.query("""
        SELECT r.id, r.status, r.description, r.created_at, r.accepted_at, r.metoo_count,
               r.reopen_count, r.contact_mobile, r.proxy_by IS NOT NULL AS proxy, r.proxy_for,
               p.name AS place_name, p.code AS place_code, c.name AS category_name,
               h.display_name AS handler_name
        FROM reports r
        JOIN places p ON p.id = r.place_id
        JOIN report_categories c ON c.id = r.category_id
        LEFT JOIN users h ON h.id = r.handler_id
        WHERE r.status IN ('pending', 'accepted', 'in_progress')
        ORDER BY r.created_at, r.id LIMIT ?""", (limit,))
    queue = []
    for row in rows:
        created = datetime.fromisoformat(row["created_at"])
        row.update(status_label=STATUS_LABELS[row["status"]], proxy=bool(row["proxy"]),
                   overdue_accept=row["status"] == "pending" and created < accept_by,
                   overdue_close=created < close_by)
        queue.append(row)
    return queue


def queue_summary(db: Database, *, now: datetime | None = None) -> dict[str, int]:
    """How many reports are open and how many of them are overdue, for the desk's headline."""
    now = now or utc_now()
    accept_by = to_iso(now - timedelta(hours=rules.get(db, "reports.accept_within_hours")))
    close_by = to_iso(now - timedelta(days=rules.get(db, "reports.close_within_days")))
    row = one(db, """
        SELECT COUNT(*) AS open,
               SUM(status = 'pending' AND created_at < :accept_by) AS overdue_accept,
               SUM(created_at < :close_by) AS overdue_close
        FROM reports WHERE status IN ('pending', 'accepted', 'in_progress')""",
              {"accept_by": accept_by, "close_by": close_by})
    return {key: int(value or 0) for key, value in row.items()}


def _month_start(moment: datetime, months_back: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=SHANGHAI)


def desk_stats(db: Database, *, since: str | None = None, now: datetime | None = None) -> dict:
    """Counts by status, category and month (the last 12, Shanghai time), closing time, ratings.

    ``since`` is compared with the stored UTC created_at: an ISO time or date such as '2026-01-01'.
    """
    local_now = (now or utc_now()).astimezone(SHANGHAI)
    where, params = ("WHERE r.created_at >= :since" if since else ""), {"since": since}
    by_status = dict.fromkeys(STATUS_LABELS, 0)
    close_hours, rated, rating_sum = None, 0, 0
    for row in db.query("""
            SELECT r.status, count(*) AS n, count(r.rating) AS rated, sum(r.rating) AS rating_sum,
                   avg((julianday(r.closed_at) - julianday(r.created_at)) * 24) AS hours
            FROM reports r """ + where + " GROUP BY r.status", params):
        by_status[row["status"]] = row["n"]
        rated, rating_sum = rated + row["rated"], rating_sum + (row["rating_sum"] or 0)
        if row["status"] == "resolved" and row["hours"] is not None:
            close_hours = round(row["hours"], 1)
    by_category = {row["name"]: row["n"] for row in db.query("""
        SELECT c.name, count(*) AS n FROM reports r
        JOIN report_categories c ON c.id = r.category_id """ + where
        + " GROUP BY c.id ORDER BY c.sort, c.id", params)}
    months = [_month_start(local_now, back) for back in range(11, -1, -1)]
    month_params = params | {"start": to_iso(months[0]), "shift": _SHANGHAI_SHIFT}
    counted = {row["month"]: row["n"] for row in db.query(
        "SELECT strftime('%Y-%m', r.created_at, :shift) AS month, count(*) AS n FROM reports r"
        " WHERE r.created_at >= :start" + (" AND r.created_at >= :since" if since else "")
        + " GROUP BY month", month_params)}
    by_month = [{"month": m.strftime("%Y-%m"), "count": counted.get(m.strftime("%Y-%m"), 0)}
                for m in months]
    return {"total": sum(by_status.values()), "by_status": by_status, "by_category": by_category,
            "by_month": by_month, "avg_close_hours": close_hours, "rating_count": rated,
            "avg_rating": round(rating_sum / rated, 2) if rated else None}


def _bar(values: list[dict], height: int) -> alt.Chart:
    return alt.Chart(alt.Data(values=values)).mark_bar(color="#c0392b").properties(
        width="container", height=height)


def status_chart(counts: dict[str, int]) -> alt.Chart:
    """Horizontal bars of reports per status, in lifecycle order (keys are status codes)."""
    values = [{"状态": STATUS_LABELS.get(code, code), "数量": n} for code, n in counts.items()]
    return _bar(values, 32 * len(values) + 40).encode(
        y=alt.Y("状态:N", sort=[v["状态"] for v in values], title=None),
        x=alt.X("数量:Q", title="数量", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=["状态:N", "数量:Q"])


def category_chart(counts: dict[str, int]) -> alt.Chart:
    """Horizontal bars of reports per category name, the most frequent on top."""
    values = [{"类别": name, "数量": n} for name, n in counts.items()]
    return _bar(values, 32 * len(values) + 40).encode(
        y=alt.Y("类别:N", sort="-x", title=None),
        x=alt.X("数量:Q", title="数量", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=["类别:N", "数量:Q"])


def month_chart(rows: list[dict]) -> alt.Chart:
    """Bars of reports per month from desk_stats()['by_month'] rows (month, count)."""
    values = [{"月份": row["month"], "数量": row["count"]} for row in rows]
    return _bar(values, 240).encode(
        x=alt.X("月份:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("数量:Q", title="数量", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=["月份:O", "数量:Q"])


def export_rows(db: Database, *, start: date, end: date) -> list[dict]:
    """Reports created from ``start`` to ``end`` (Shanghai dates, inclusive), with Chinese columns."""
    low = to_iso(datetime.combine(start, time(), SHANGHAI))
    high = to_iso(datetime.combine(end + timedelta(days=1), time(), SHANGHAI))
    rows = db.query("""
        SELECT r.id, r.created_at, r.status, r.description, r.contact_mobile, r.closed_at,
               r.rating, r.rating_comment, p.name AS place_name, c.name AS category_name,
               h.display_name AS handler_name
        FROM reports r
        JOIN places p ON p.id = r.place_id
        JOIN report_categories c ON c.id = r.category_id
        LEFT JOIN users h ON h.id = r.handler_id
        WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.id""", (low, high))
    return [dict(zip(EXPORT_COLUMNS, (
        row["id"], local_text(row["created_at"]), row["place_name"], row["category_name"],
        STATUS_LABELS[row["status"]], row["description"], row["contact_mobile"] or "",
        row["handler_name"] or "", local_text(row["closed_at"]),
        row["rating"] if row["rating"] is not None else "", row["rating_comment"]))) for row in rows]


def export_csv(rows: list[dict]) -> bytes:
    """The rows as CSV in UTF-8 with a BOM, so Excel shows the Chinese correctly."""
    return tables.csv_bytes(EXPORT_COLUMNS, _cells(rows))


def export_xlsx(rows: list[dict]) -> bytes:
    """The rows as an Excel workbook with a bold, frozen header."""
    return tables.xlsx_bytes("随手拍", EXPORT_COLUMNS, _cells(rows),
                             (8, 17, 14, 10, 9, 40, 14, 10, 17, 7, 30))


def _cells(rows: list[dict]) -> list[list[object]]:
    return [[row.get(column, "") for column in EXPORT_COLUMNS] for row in rows]
