"""跟踪落实 (lib/council/tracking.py): owner and deadline, progress updates with photos,
completion, and one step to a crowdfunding draft linked both ways."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from lib.core import photos
from lib.core.clock import local_today
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.council import tracking
from lib.crowdfund import projects
from tests.council_helpers import make_plan, make_topic
from tests.volunteer_helpers import make_cast


BELOW_STAFF = ["in", "leader", "unverified", "guest"]


def jpeg(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def world(db):
    cast = make_cast(db)
    topic = make_topic(db, proposed_by=cast["in"].id, place_id=cast["grid"]["place_a"])
    cast["topic"] = topic
    cast["plan"] = make_plan(db, topic_id=topic, created_by=cast["staff"].id, status="adopted")
    cast["draft"] = make_plan(db, topic_id=topic, created_by=cast["staff"].id, title="草稿方案")
    return cast


def plan_row(db, plan_id) -> tuple:
    return db.execute("SELECT owner, deadline, status, project_id, done_at, updated_at"
                      " FROM council_plans WHERE id = ?", (plan_id,)).fetchone()


def update_rows(db) -> list[tuple]:
    return db.execute("SELECT plan_id, body, percent FROM council_updates ORDER BY id").fetchall()


def uploads(tmp_path) -> list[str]:
    folder = tmp_path / photos.UPLOADS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- owner and deadline ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_set_the_owner_and_deadline(db, world, who):
    day = local_today() + timedelta(days=30)
    shown = tracking.set_owner(db, world[who], plan_id=world["plan"], owner=" 物业公司 ",
                               deadline=day)
    assert (shown.owner, shown.deadline) == ("物业公司", day.isoformat())
    assert plan_row(db, world["plan"])[:2] == ("物业公司", day.isoformat())
    assert not shown.overdue


@pytest.mark.parametrize("who", BELOW_STAFF)
def test_below_staff_cannot_set_the_owner(db, world, who):
    before = plan_row(db, world["plan"])
    with pytest.raises(PermissionDenied):
        tracking.set_owner(db, world[who], plan_id=world["plan"], owner="我", deadline=local_today())
    assert plan_row(db, world["plan"]) == before


@pytest.mark.parametrize("owner,deadline,field", [
    ("", "today", "owner"), ("  ", "today", "owner"), ("长" * 41, "today", "owner"),
    ("物业", "yesterday", "deadline"), ("物业", "2026-02-30", "deadline"), ("物业", "", "deadline"),
    ("物业", "far", "deadline")])
def test_bad_owner_or_deadline_is_refused(db, world, owner, deadline, field):
    days = {"today": local_today(), "yesterday": local_today() - timedelta(days=1),
            "far": local_today() + timedelta(days=731)}
    before = plan_row(db, world["plan"])
    with pytest.raises(ValidationError) as error:
        tracking.set_owner(db, world["staff"], plan_id=world["plan"], owner=owner,
                           deadline=days.get(deadline, deadline))
    assert list(error.value.fields) == [field]
    assert plan_row(db, world["plan"]) == before


def test_a_draft_plan_is_not_tracked(db, world):
    before = plan_row(db, world["draft"])
    with pytest.raises(ValidationError, match="表决通过"):
        tracking.set_owner(db, world["staff"], plan_id=world["draft"], owner="物业",
                           deadline=local_today())
    assert plan_row(db, world["draft"]) == before
    with pytest.raises(NotFound):
        tracking.set_owner(db, world["staff"], plan_id=999, owner="物业", deadline=local_today())


def test_a_past_deadline_shows_as_overdue(db, world):
    db.execute("UPDATE council_plans SET deadline = ? WHERE id = ?",
               ((local_today() - timedelta(days=1)).isoformat(), world["plan"]))
    db.conn.commit()
    assert tracking.get_tracked(db, world["plan"]).overdue
    assert [t.plan_id for t in tracking.in_progress(db)] == [world["plan"]]


# --- progress updates ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_post_an_update_with_photos(db, world, who, tmp_path):
    update = tracking.add_update(db, world[who], data_dir=tmp_path, plan_id=world["plan"],
                                 body=" 雨棚钢架已到场。 ", percent=40,
                                 photos=[jpeg(), jpeg("blue")], key="u1")
    assert (update.body, update.percent, len(update.photos)) == ("雨棚钢架已到场。", 40, 2)
    assert all(photos.path_for(tmp_path, name).exists() for name in update.photos)
    assert tracking.get_tracked(db, world["plan"]).percent == 40
    assert tracking.photos_in_use(db) == set(update.photos)
    assert update_rows(db) == [(world["plan"], "雨棚钢架已到场。", 40)]


def test_the_same_key_posts_one_update(db, world, tmp_path):
    first = tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                                body="开工", photos=[jpeg()], key="same")
    again = tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                                body="开工", photos=[jpeg()], key="same")
    assert first == again
    assert len(update_rows(db)) == 1
    assert len(uploads(tmp_path)) == 2  # one photo and its thumbnail


@pytest.mark.parametrize("who", BELOW_STAFF)
def test_below_staff_cannot_post_updates(db, world, who, tmp_path):
    with pytest.raises(PermissionDenied):
        tracking.add_update(db, world[who], data_dir=tmp_path, plan_id=world["plan"],
                            body="进展", photos=[jpeg()], key="k")
    assert update_rows(db) == [] and uploads(tmp_path) == []


@pytest.mark.parametrize("body,percent,field", [
    ("", None, "body"), ("  ", 10, "body"), ("长" * 1001, None, "body"),
    ("进展", 101, "percent"), ("进展", -1, "percent"), ("进展", "50", "percent"),
    ("进展", True, "percent")])
def test_bad_update_is_refused_and_nothing_is_stored(db, world, tmp_path, body, percent, field):
    with pytest.raises(ValidationError) as error:
        tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                            body=body, percent=percent, photos=[jpeg()], key="k")
    assert list(error.value.fields) == [field]
    assert update_rows(db) == [] and uploads(tmp_path) == []


def test_a_bad_photo_or_too_many_photos_store_nothing(db, world, tmp_path):
    with pytest.raises(PhotoRejected):
        tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                            body="进展", photos=[jpeg(), b"not a photo"], key="k")
    with pytest.raises(ValidationError, match="最多"):
        tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                            body="进展", photos=[jpeg()] * 7, key="k")
    assert update_rows(db) == [] and uploads(tmp_path) == []


def test_no_update_on_a_draft_or_done_plan(db, world, tmp_path):
    with pytest.raises(ValidationError, match="表决通过"):
        tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["draft"],
                            body="进展", photos=[jpeg()], key="k1")
    tracking.complete(db, world["staff"], plan_id=world["plan"])
    with pytest.raises(ValidationError, match="已落实完成"):
        tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=world["plan"],
                            body="进展", key="k2")
    assert update_rows(db) == [] and uploads(tmp_path) == []


# --- completion -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_complete_a_plan_once(db, world, who):
    shown = tracking.complete(db, world[who], plan_id=world["plan"])
    assert (shown.status, shown.percent) == ("done", 100)
    done_at = plan_row(db, world["plan"])[4]
    assert done_at
    again = tracking.complete(db, world[who], plan_id=world["plan"])
    assert again.done_at == done_at
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.track_done'"
                      ).fetchone()[0] == 1
    assert tracking.in_progress(db) == []


@pytest.mark.parametrize("who", BELOW_STAFF)
def test_below_staff_cannot_complete(db, world, who):
    before = plan_row(db, world["plan"])
    with pytest.raises(PermissionDenied):
        tracking.complete(db, world[who], plan_id=world["plan"])
    assert plan_row(db, world["plan"]) == before


def test_a_draft_cannot_be_completed(db, world):
    before = plan_row(db, world["draft"])
    with pytest.raises(ValidationError):
        tracking.complete(db, world["staff"], plan_id=world["draft"])
    assert plan_row(db, world["draft"]) == before


# --- to a crowdfunding project ---------------------------------------------------------------


def project_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM crowdfund_projects").fetchone()[0]


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_one_step_makes_a_linked_crowdfunding_draft(db, world, who):
    project = tracking.to_project(db, world[who], plan_id=world["plan"],
                                  topic_url="https://portal.example/council?t=1")
    assert (project.title, project.status, project.goal_fen, project.place_id) == \
        ("大门雨棚方案", "draft", 1_200_000, world["grid"]["place_a"])
    assert "在大门内侧加装钢结构雨棚" in project.description
    assert "https://portal.example/council?t=1" in project.description
    assert project.deadline == (local_today() + timedelta(days=60)).isoformat()
    assert plan_row(db, world["plan"])[3] == project.id
    assert tracking.plan_of_project(db, project.id)["id"] == world["plan"]
    assert tracking.get_tracked(db, world["plan"]).project_id == project.id


def test_a_plan_becomes_a_project_only_once(db, world):
    tracking.to_project(db, world["staff"], plan_id=world["plan"])
    with pytest.raises(ValidationError, match="不能重复"):
        tracking.to_project(db, world["admin"], plan_id=world["plan"])
    assert project_count(db) == 1


@pytest.mark.parametrize("who", BELOW_STAFF)
def test_below_staff_cannot_make_a_project(db, world, who):
    with pytest.raises(PermissionDenied):
        tracking.to_project(db, world[who], plan_id=world["plan"])
    assert project_count(db) == 0 and plan_row(db, world["plan"])[3] is None


def test_a_draft_plan_cannot_become_a_project(db, world):
    with pytest.raises(ValidationError):
        tracking.to_project(db, world["staff"], plan_id=world["draft"])
    assert project_count(db) == 0


def test_a_whole_compound_topic_needs_a_place_and_a_future_deadline_is_kept(db, world):
    topic = make_topic(db, proposed_by=world["in"].id, place_id=None, title="全小区")
    plan = make_plan(db, topic_id=topic, created_by=world["staff"].id, status="adopted")
    with pytest.raises(ValidationError) as error:
        tracking.to_project(db, world["staff"], plan_id=plan)
    assert list(error.value.fields) == ["place_id"]
    assert project_count(db) == 0
    day = (local_today() + timedelta(days=10)).isoformat()
    db.execute("UPDATE council_plans SET deadline = ? WHERE id = ?", (day, plan))
    db.conn.commit()
    project = tracking.to_project(db, world["staff"], plan_id=plan,
                                  place_id=world["grid"]["place_b"])
    assert (project.place_id, project.deadline) == (world["grid"]["place_b"], day)


def test_a_refused_project_leaves_the_plan_unlinked(db, world):
    db.execute("UPDATE council_plans SET cost_fen = ? WHERE id = ?",
               (projects.MAX_PROJECT_FEN + 100, world["plan"]))
    db.conn.commit()
    with pytest.raises(ValidationError):
        tracking.to_project(db, world["staff"], plan_id=world["plan"])
    assert project_count(db) == 0 and plan_row(db, world["plan"])[3] is None
    assert db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 0


# --- a race: eight staff turning one plan into a project at once ------------------------------


def _project_worker(path: str, actor_id: int, plan_id: int, start, results) -> None:
    from lib.core.db import open_db
    from lib.people.users import load_user

    db = open_db(path, migrate=False)
    actor = load_user(db, actor_id)
    start.wait()
    try:
        tracking.to_project(db, actor, plan_id=plan_id)
        results.put("ok")
    except ValidationError as error:
        results.put("twice" if "不能重复" in str(error) else str(error))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(repr(error))


@pytest.mark.slow
def test_eight_staff_turning_one_plan_into_a_project_make_one(tmp_path):
    from lib.core.db import open_db
    from tests.races import race

    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    topic = make_topic(db, proposed_by=cast["in"].id, place_id=cast["grid"]["place_a"])
    plan = make_plan(db, topic_id=topic, created_by=cast["staff"].id, status="adopted")
    staff = [cast["staff"].id, cast["staff2"].id, cast["admin"].id]
    db.conn.close()
    outcomes = race(_project_worker, lambda n: (str(path), staff[n % 3], plan))
    assert sorted(outcomes) == ["ok"] + ["twice"] * 7, outcomes
    db = open_db(path, migrate=False)
    [(project_id,)] = db.execute("SELECT id FROM crowdfund_projects").fetchall()
    assert db.execute("SELECT project_id FROM council_plans WHERE id = ?", (plan,)
                      ).fetchone() == (project_id,)
    db.conn.close()
