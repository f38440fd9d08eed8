"""Numbered schema migrations, applied at start-up; an older database is upgraded in place."""
from __future__ import annotations

from sqlite_utils import Database, Migrations


migrations = Migrations("portal")


@migrations()
def m001_create_organisation_and_accounts(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE community (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            address TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE grids (
            id INTEGER PRIMARY KEY,
            community_id INTEGER NOT NULL REFERENCES community(id),
            name TEXT NOT NULL,
            UNIQUE (community_id, name)
        );
        CREATE TABLE microgrids (
            id INTEGER PRIMARY KEY,
            grid_id INTEGER NOT NULL REFERENCES grids(id),
            name TEXT NOT NULL,
            UNIQUE (grid_id, name)
        );
        CREATE TABLE places (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('building', 'common')),
            microgrid_id INTEGER REFERENCES microgrids(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX places_microgrid ON places(microgrid_id);
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            place_id INTEGER NOT NULL REFERENCES places(id),
            room TEXT NOT NULL,
            head_name TEXT NOT NULL DEFAULT '',
            members INTEGER NOT NULL DEFAULT 1 CHECK (members BETWEEN 1 AND 30),
            created_at TEXT NOT NULL,
            UNIQUE (place_id, room)
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'resident'
                CHECK (role IN ('resident', 'leader', 'staff', 'admin')),
            leads_microgrid_id INTEGER REFERENCES microgrids(id),
            mobile TEXT,
            household_id INTEGER REFERENCES households(id),
            household_status TEXT NOT NULL DEFAULT 'none'
                CHECK (household_status IN ('none', 'pending', 'verified', 'rejected')),
            requested_place_id INTEGER REFERENCES places(id),
            requested_room TEXT,
            show_name_publicly INTEGER NOT NULL DEFAULT 1,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL
        );
        CREATE INDEX users_household ON users(household_id);
        CREATE INDEX users_pending ON users(household_status, requested_place_id);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_reason TEXT
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL COLLATE NOCASE,
            at TEXT NOT NULL
        );
        CREATE INDEX login_failures_username_at ON login_failures(username, at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            action TEXT NOT NULL,
            target_type TEXT NOT NULL DEFAULT '',
            target_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        """
    )


@migrations()
def m002_create_points_ledger(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE points_ledger (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            amount INTEGER NOT NULL CHECK (amount <> 0),
            kind TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            actor_id INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        -- covering index: a balance is a SUM read from the index alone
        CREATE INDEX points_ledger_user_amount ON points_ledger(user_id, amount);
        CREATE INDEX points_ledger_user_id ON points_ledger(user_id, id);
        CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
        BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;
        CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
        BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;
        """
    )


@migrations()
def m003_create_settings(db: Database) -> None:
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m004_create_reports(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE report_categories (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            sort INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1
        );
        INSERT INTO report_categories (name, sort) VALUES
            ('环境卫生', 1), ('楼道堆物', 2), ('车辆乱停', 3), ('飞线充电', 4), ('设施损坏', 5),
            ('安全隐患', 6), ('噪音扰民', 7), ('文明养犬', 8), ('其他', 99);
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            place_id INTEGER NOT NULL REFERENCES places(id),
            category_id INTEGER NOT NULL REFERENCES report_categories(id),
            description TEXT NOT NULL,
            contact_mobile TEXT,
            reporter_id INTEGER REFERENCES users(id),
            hide_name INTEGER NOT NULL DEFAULT 0,
            proxy_by INTEGER REFERENCES users(id),
            proxy_for TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                ('pending', 'accepted', 'in_progress', 'resolved', 'rejected', 'transferred')),
            handler_id INTEGER REFERENCES users(id),
            duplicate_of INTEGER REFERENCES reports(id),
            reject_reason TEXT NOT NULL DEFAULT '',
            transferred_to TEXT NOT NULL DEFAULT '',
            result_note TEXT NOT NULL DEFAULT '',
            reopen_count INTEGER NOT NULL DEFAULT 0,
            confirmation TEXT CHECK (confirmation IN ('solved', 'unsolved', 'auto')),
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            rating_comment TEXT NOT NULL DEFAULT '',
            metoo_count INTEGER NOT NULL DEFAULT 0,
            submission_key TEXT NOT NULL UNIQUE,
            follow_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            accepted_at TEXT,
            closed_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX reports_status_created ON reports(status, created_at);
        CREATE INDEX reports_created ON reports(created_at);
        CREATE INDEX reports_place_category_status ON reports(place_id, category_id, status);
        CREATE INDEX reports_category_created ON reports(category_id, created_at);
        CREATE INDEX reports_reporter ON reports(reporter_id, id);
        CREATE INDEX reports_mobile_created ON reports(contact_mobile, created_at);
        -- fixes waiting for the reporter's answer: the auto-confirm sweep reads only these
        CREATE INDEX reports_awaiting_confirmation ON reports(closed_at)
            WHERE status = 'resolved' AND confirmation IS NULL;
        CREATE TABLE report_photos (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            name TEXT NOT NULL UNIQUE,
            stage TEXT NOT NULL CHECK (stage IN ('before', 'after')),
            created_at TEXT NOT NULL
        );
        CREATE INDEX report_photos_report ON report_photos(report_id);
        CREATE TABLE report_events (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            kind TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX report_events_report ON report_events(report_id, id);
        CREATE TABLE report_metoo (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            voter TEXT NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (report_id, voter)
        );
        INSERT OR IGNORE INTO settings (key, value) VALUES
            ('points.report_accepted', '5'), ('points.report_monthly_cap', '30'),
            ('reports.accept_within_hours', '24'), ('reports.close_within_days', '7'),
            ('reports.confirm_within_days', '7');
        """
    )


@migrations()
def m005_report_device_key(db: Database) -> None:
    """Guests' reports remember the browser that filed them (a random cookie), so the guest
    finds them again under 我的反映 and the rate limit can count them."""
    columns = {column.name for column in db["reports"].columns}
    if "device_key" not in columns:
        db.execute("ALTER TABLE reports ADD COLUMN device_key TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS reports_device_created"
               " ON reports(device_key, created_at) WHERE device_key IS NOT NULL")


@migrations()
def m007_normalise_room_numbers(db: Database) -> None:
    """Rooms typed before there was one rule (３０２, 302室, b1) take the rule's form (302, B1).

    Never loses data: a household whose normal form is already taken in its place (302室 next
    to 302) is left as it was for an admin to merge, and a room that fits no rule is kept.
    """
    import re
    import unicodedata

    def normal(room: str | None) -> str | None:
        # The room rule as it stood when this migration shipped (lib.people.org.normalise_room),
        # frozen here: a migration must do the same thing on every database, whatever the rule
        # becomes later, and the core may not import the people.
        text = re.sub(r"[ \t]+", "", unicodedata.normalize("NFKC", room or ""))
        text = re.sub(r"[室号]$", "", text).upper()
        if 1 <= len(text) <= 10 and text.isascii() and re.fullmatch(r"[0-9A-Z][0-9A-Z-]*", text):
            return text
        return None

    for household_id, place_id, room in db.execute(
            "SELECT id, place_id, room FROM households ORDER BY id").fetchall():
        wanted = normal(room)
        if wanted is None or wanted == room:
            continue
        if db.execute("SELECT 1 FROM households WHERE place_id = ? AND room = ?",
                      (place_id, wanted)).fetchone():
            continue  # would collide with another household: keep both as they are
        db.execute("UPDATE households SET room = ? WHERE id = ?", (wanted, household_id))
    for user_id, room in db.execute(
            "SELECT id, requested_room FROM users WHERE requested_room IS NOT NULL").fetchall():
        wanted = normal(room)
        if wanted is not None and wanted != room:
            db.execute("UPDATE users SET requested_room = ? WHERE id = ?", (wanted, user_id))


@migrations()
def m008_points_year_totals(db: Database) -> None:
    """Yearly points earned per person and per building, kept by a trigger as entries are written.

    A leaderboard is then a short indexed read instead of a GROUP BY over the whole ledger
    (about 140 ms at a million entries). Earned means awards and corrections; a redemption and
    its refund move a balance, not what a person earned. The year and the building are the
    community's (Asia/Shanghai) and the person's verified building when the entry was written.
    """
    db.executescript(
        """
        CREATE TABLE points_year_totals (
            user_id INTEGER NOT NULL REFERENCES users(id),
            year INTEGER NOT NULL,
            earned INTEGER NOT NULL,
            PRIMARY KEY (user_id, year)
        );
        CREATE INDEX points_year_totals_board ON points_year_totals(year, earned);
        CREATE TABLE points_place_year_totals (
            place_id INTEGER NOT NULL REFERENCES places(id),
            year INTEGER NOT NULL,
            earned INTEGER NOT NULL,
            PRIMARY KEY (place_id, year)
        );
        CREATE TRIGGER points_ledger_year_totals AFTER INSERT ON points_ledger
        WHEN NEW.kind NOT IN ('redeem', 'refund')
        BEGIN
            INSERT INTO points_year_totals (user_id, year, earned)
            VALUES (NEW.user_id, CAST(strftime('%Y', NEW.created_at, '+8 hours') AS INTEGER),
                    NEW.amount)
            ON CONFLICT (user_id, year) DO UPDATE SET earned = earned + excluded.earned;
            INSERT INTO points_place_year_totals (place_id, year, earned)
            SELECT households.place_id,
                   CAST(strftime('%Y', NEW.created_at, '+8 hours') AS INTEGER), NEW.amount
            FROM users JOIN households ON households.id = users.household_id
            WHERE users.id = NEW.user_id AND users.household_status = 'verified'
            ON CONFLICT (place_id, year) DO UPDATE SET earned = earned + excluded.earned;
        END;
        INSERT INTO points_year_totals (user_id, year, earned)
        SELECT user_id, CAST(strftime('%Y', created_at, '+8 hours') AS INTEGER), SUM(amount)
        FROM points_ledger WHERE kind NOT IN ('redeem', 'refund') GROUP BY 1, 2;
        INSERT INTO points_place_year_totals (place_id, year, earned)
        SELECT households.place_id, CAST(strftime('%Y', points_ledger.created_at, '+8 hours')
               AS INTEGER), SUM(points_ledger.amount)
        FROM points_ledger JOIN users ON users.id = points_ledger.user_id
        JOIN households ON households.id = users.household_id
        WHERE points_ledger.kind NOT IN ('redeem', 'refund')
          AND users.household_status = 'verified'
        GROUP BY 1, 2;
        """
    )


@migrations()
def m009_create_volunteer_hours(db: Database) -> None:
    """Volunteer service: hours a resident logs (or a leader's event ticks), reviewed once.

    Hours are stored as half hours (0.5-12 h is 1-24), so no float ever meets the points rule.
    The building is the volunteer's when the hours were logged: the monthly star ranking counts
    hours per building per month from it.
    """
    db.executescript(
        """
        CREATE TABLE volunteer_events (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            held_on TEXT NOT NULL,
            half_hours INTEGER NOT NULL CHECK (half_hours BETWEEN 1 AND 24),
            microgrid_id INTEGER REFERENCES microgrids(id),
            created_by INTEGER NOT NULL REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX volunteer_events_held_on ON volunteer_events(held_on);
        CREATE TABLE volunteer_hours (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            activity TEXT NOT NULL,
            served_on TEXT NOT NULL,
            half_hours INTEGER NOT NULL CHECK (half_hours BETWEEN 1 AND 24),
            photo TEXT,
            place_id INTEGER REFERENCES places(id),
            event_id INTEGER REFERENCES volunteer_events(id),
            proxy_by INTEGER REFERENCES users(id),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected')),
            reject_reason TEXT NOT NULL DEFAULT '',
            reviewer_id INTEGER REFERENCES users(id),
            reviewed_at TEXT,
            points INTEGER NOT NULL DEFAULT 0,
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            UNIQUE (event_id, user_id)
        );
        CREATE INDEX volunteer_hours_user ON volunteer_hours(user_id, id);
        CREATE INDEX volunteer_hours_pending ON volunteer_hours(status, place_id, id);
        CREATE INDEX volunteer_hours_place_month ON volunteer_hours(place_id, served_on)
            WHERE status = 'approved';
        """
    )


@migrations()
def m010_create_points_shop(db: Database) -> None:
    """The points shop: a catalogue with stock, and redemptions collected by a pickup code.

    ``stock >= 0`` is also a constraint, so no bug above it can ever sell what is not there.
    A redemption's month is the community's (Asia/Shanghai) for the per-person monthly limit.
    """
    db.executescript(
        """
        CREATE TABLE shop_items (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            photo TEXT,
            price INTEGER NOT NULL CHECK (price > 0),
            stock INTEGER NOT NULL CHECK (stock >= 0),
            monthly_limit INTEGER NOT NULL DEFAULT 0 CHECK (monthly_limit >= 0),
            active INTEGER NOT NULL DEFAULT 1,
            sort INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE shop_redemptions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES shop_items(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity >= 1),
            points INTEGER NOT NULL CHECK (points > 0),
            month TEXT NOT NULL,
            pickup_code TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'waiting'
                CHECK (status IN ('waiting', 'fulfilled', 'cancelled')),
            proxy_by INTEGER REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            closed_at TEXT,
            closed_by INTEGER REFERENCES users(id),
            cancel_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX shop_redemptions_user_month ON shop_redemptions(user_id, month, item_id);
        CREATE INDEX shop_redemptions_status ON shop_redemptions(status, id);
        CREATE INDEX shop_redemptions_item ON shop_redemptions(item_id, id);
        """
    )


@migrations()
def m011_create_crowdfunding(db: Database) -> None:
    """众筹: projects raising cash (筹资) and labour (筹劳), the sponsor's match, spending.

    Money is integer fen. The match (``match_percent``: 500 is the street office's 5x) and its
    cap are fixed at launch, and so is the published value of an hour of labour: triggers refuse
    to change them once a project leaves 草稿, whatever the code above does. A pledge stores the
    match it unlocked when it was confirmed (the cap's running remainder), so the public ledger
    never shifts afterwards and its sums are exact to the fen. A labour slot cannot be overbooked
    and spending cannot exceed the money held: both are checked again by triggers, in the same
    transaction as the write.
    """
    db.executescript(
        """
        CREATE TABLE crowdfund_projects (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            photo TEXT,
            place_id INTEGER NOT NULL REFERENCES places(id),
            goal_fen INTEGER NOT NULL DEFAULT 0 CHECK (goal_fen >= 0),
            match_percent INTEGER NOT NULL DEFAULT 0 CHECK (match_percent BETWEEN 0 AND 1000),
            match_cap_fen INTEGER CHECK (match_cap_fen IS NULL OR match_cap_fen >= 0),
            match_sponsor TEXT NOT NULL DEFAULT '',
            labour_hour_fen INTEGER NOT NULL DEFAULT 0 CHECK (labour_hour_fen >= 0),
            deadline TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'raising', 'building', 'done', 'cancelled')),
            final_report TEXT NOT NULL DEFAULT '',
            cancel_reason TEXT NOT NULL DEFAULT '',
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            launched_at TEXT,
            building_at TEXT,
            done_at TEXT,
            cancelled_at TEXT
        );
        CREATE INDEX crowdfund_projects_status ON crowdfund_projects(status, id);
        CREATE INDEX crowdfund_projects_place ON crowdfund_projects(place_id, status);
        CREATE TRIGGER crowdfund_terms_fixed_at_launch
        BEFORE UPDATE OF match_percent, match_cap_fen, labour_hour_fen ON crowdfund_projects
        WHEN OLD.status != 'draft' AND (
            NEW.match_percent IS NOT OLD.match_percent
            OR NEW.match_cap_fen IS NOT OLD.match_cap_fen
            OR NEW.labour_hour_fen IS NOT OLD.labour_hour_fen)
        BEGIN
            SELECT RAISE(ABORT, 'crowdfund terms are fixed at launch');
        END;

        CREATE TABLE crowdfund_photos (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES crowdfund_projects(id),
            photo TEXT NOT NULL,
            caption TEXT NOT NULL DEFAULT '',
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX crowdfund_photos_project ON crowdfund_photos(project_id, id);

        CREATE TABLE crowdfund_tasks (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES crowdfund_projects(id),
            name TEXT NOT NULL,
            work_on TEXT NOT NULL,
            starts_at TEXT NOT NULL,
            half_hours INTEGER NOT NULL CHECK (half_hours BETWEEN 1 AND 24),
            headcount INTEGER NOT NULL CHECK (headcount BETWEEN 1 AND 500),
            created_at TEXT NOT NULL
        );
        CREATE INDEX crowdfund_tasks_project ON crowdfund_tasks(project_id, work_on, starts_at);

        CREATE TABLE crowdfund_signups (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES crowdfund_tasks(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            status TEXT NOT NULL DEFAULT 'signed'
                CHECK (status IN ('signed', 'withdrawn', 'attended', 'absent')),
            proxy_by INTEGER REFERENCES users(id),
            points INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            withdrawn_at TEXT,
            marked_by INTEGER REFERENCES users(id),
            marked_at TEXT
        );
        -- one live place per person per slot; a withdrawn person may sign up again (a new row)
        CREATE UNIQUE INDEX crowdfund_signups_one_live ON crowdfund_signups(task_id, user_id)
            WHERE status != 'withdrawn';
        CREATE INDEX crowdfund_signups_user ON crowdfund_signups(user_id, id);
        CREATE TRIGGER crowdfund_signups_no_overbooking
        BEFORE INSERT ON crowdfund_signups
        WHEN NEW.status = 'signed' AND (
            SELECT COUNT(*) FROM crowdfund_signups
            WHERE task_id = NEW.task_id AND status != 'withdrawn'
        ) >= (SELECT headcount FROM crowdfund_tasks WHERE id = NEW.task_id)
        BEGIN
            SELECT RAISE(ABORT, 'crowdfund task is full');
        END;

        CREATE TABLE crowdfund_pledges (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES crowdfund_projects(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            method TEXT NOT NULL CHECK (method IN ('cash', 'transfer')),
            anonymous INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
            status TEXT NOT NULL DEFAULT 'pledged'
                CHECK (status IN ('pledged', 'received', 'not_received', 'refunded')),
            match_fen INTEGER NOT NULL DEFAULT 0 CHECK (match_fen >= 0),
            points INTEGER NOT NULL DEFAULT 0,
            proxy_by INTEGER REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            decided_by INTEGER REFERENCES users(id),
            decided_at TEXT,
            refunded_by INTEGER REFERENCES users(id),
            refunded_at TEXT
        );
        CREATE INDEX crowdfund_pledges_project ON crowdfund_pledges(project_id, status, decided_at);
        CREATE INDEX crowdfund_pledges_user ON crowdfund_pledges(user_id, id);

        CREATE TABLE crowdfund_spending (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES crowdfund_projects(id),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            item TEXT NOT NULL,
            spent_on TEXT NOT NULL,
            receipt TEXT,
            recorded_by INTEGER NOT NULL REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX crowdfund_spending_project ON crowdfund_spending(project_id, spent_on, id);
        CREATE TRIGGER crowdfund_spending_within_funds
        BEFORE INSERT ON crowdfund_spending
        WHEN NEW.amount_fen > (
            SELECT COALESCE(SUM(amount_fen + match_fen), 0) FROM crowdfund_pledges
            WHERE project_id = NEW.project_id AND status = 'received'
        ) - (
            SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_spending
            WHERE project_id = NEW.project_id
        )
        BEGIN
            SELECT RAISE(ABORT, 'crowdfund spending exceeds the funds held');
        END;
        """
    )



@migrations()
def m012_create_star_buildings(db: Database) -> None:
    """星级楼栋: criteria with weights, leaders' star ratings, frozen monthly results, rewards.

    One table holds every weight, the participation index's included (``kind`` 'participation',
    exactly one row), so the weights a month is judged by are one list that adds up to 100. A
    leader's rating of a building for a month is one row (with its note) and one row of stars
    per criterion. Publishing writes the month's results and freezes the month: triggers refuse
    any change to its ratings, stars or results, and a return to draft, unless an admin's
    correction has opened it (``correcting`` = 1) inside that same transaction.

    A reward paid into a crowdfunding project is a grant (``crowdfund_grants``): money that is
    not residents' cash, so no match, but it is held like received cash; the spending trigger
    is recreated to count it.
    """
    db.executescript(
        """
        CREATE TABLE ranking_criteria (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'stars' CHECK (kind IN ('stars', 'participation')),
            weight INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 100),
            position INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            updated_by INTEGER REFERENCES users(id),
            updated_at TEXT
        );
        CREATE UNIQUE INDEX ranking_criteria_one_participation ON ranking_criteria(kind)
            WHERE kind = 'participation';
        INSERT INTO ranking_criteria (name, kind, weight, position) VALUES
            ('环境卫生', 'stars', 25, 1),
            ('楼道整洁', 'stars', 20, 2),
            ('车辆停放', 'stars', 15, 3),
            ('邻里和睦', 'stars', 10, 4),
            ('参与度', 'participation', 30, 5);

        CREATE TABLE ranking_months (
            month TEXT PRIMARY KEY
                CHECK (month GLOB '[12][0-9][0-9][0-9]-[01][0-9]' AND substr(month, 6) BETWEEN '01' AND '12'),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
            weights TEXT NOT NULL DEFAULT '[]',
            missing TEXT NOT NULL DEFAULT '',
            published_by INTEGER REFERENCES users(id),
            published_at TEXT,
            reward_kind TEXT NOT NULL DEFAULT 'none'
                CHECK (reward_kind IN ('none', 'project', 'points')),
            reward_fen INTEGER CHECK (reward_fen IS NULL OR reward_fen > 0),
            reward_project_id INTEGER REFERENCES crowdfund_projects(id),
            reward_points INTEGER NOT NULL DEFAULT 0 CHECK (reward_points >= 0),
            reward_note TEXT NOT NULL DEFAULT '',
            correcting INTEGER NOT NULL DEFAULT 0 CHECK (correcting IN (0, 1)),
            corrected_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ranking_months_status ON ranking_months(status, month);

        CREATE TABLE ranking_ratings (
            id INTEGER PRIMARY KEY,
            month TEXT NOT NULL REFERENCES ranking_months(month),
            place_id INTEGER NOT NULL REFERENCES places(id),
            rater_id INTEGER NOT NULL REFERENCES users(id),
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            UNIQUE (month, place_id, rater_id)
        );
        CREATE INDEX ranking_ratings_rater ON ranking_ratings(rater_id, month);
        CREATE TABLE ranking_stars (
            rating_id INTEGER NOT NULL REFERENCES ranking_ratings(id),
            criterion_id INTEGER NOT NULL REFERENCES ranking_criteria(id),
            stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
            PRIMARY KEY (rating_id, criterion_id)
        );

        CREATE TABLE ranking_results (
            month TEXT NOT NULL REFERENCES ranking_months(month),
            place_id INTEGER NOT NULL REFERENCES places(id),
            rank INTEGER NOT NULL CHECK (rank >= 1),
            score_tenths INTEGER NOT NULL CHECK (score_tenths BETWEEN 0 AND 1000),
            stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
            rated_tenths INTEGER NOT NULL CHECK (rated_tenths BETWEEN 0 AND 1000),
            participation_tenths INTEGER NOT NULL CHECK (participation_tenths BETWEEN 0 AND 1000),
            households INTEGER NOT NULL DEFAULT 0,
            volunteer_half_hours INTEGER NOT NULL DEFAULT 0,
            labour_half_hours INTEGER NOT NULL DEFAULT 0,
            reports INTEGER NOT NULL DEFAULT 0,
            raters INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT '{}',
            corrected INTEGER NOT NULL DEFAULT 0 CHECK (corrected IN (0, 1)),
            PRIMARY KEY (month, place_id)
        );
        CREATE INDEX ranking_results_place ON ranking_results(place_id, month);
        CREATE UNIQUE INDEX ranking_results_rank ON ranking_results(month, rank);

        CREATE TABLE ranking_corrections (
            id INTEGER PRIMARY KEY,
            month TEXT NOT NULL REFERENCES ranking_months(month),
            place_id INTEGER REFERENCES places(id),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            corrected_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX ranking_corrections_month ON ranking_corrections(month, id);

        -- participation counts the reports staff accepted in a month, by the reporter's building
        CREATE INDEX reports_accepted_at ON reports(accepted_at) WHERE accepted_at IS NOT NULL;

        CREATE TRIGGER ranking_months_stay_published
        BEFORE UPDATE OF status ON ranking_months
        WHEN OLD.status = 'published' AND NEW.status != 'published'
        BEGIN
            SELECT RAISE(ABORT, 'a published ranking month stays published');
        END;
        """
    )
    # the same freeze on each table a published month is made of, for insert, update and delete
    frozen = {
        "ranking_ratings": "{row}.month",
        "ranking_results": "{row}.month",
        "ranking_stars": "(SELECT month FROM ranking_ratings WHERE id = {row}.rating_id)",
    }
    for table, month in frozen.items():
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            db.execute(
                f"CREATE TRIGGER {table}_frozen_{event.lower()} BEFORE {event} ON {table}"
                f" WHEN EXISTS (SELECT 1 FROM ranking_months WHERE month = {month.format(row=row)}"
                " AND status = 'published' AND correcting = 0)"
                " BEGIN SELECT RAISE(ABORT, 'a published ranking month is frozen'); END")

    db.executescript(
        """
        CREATE TABLE crowdfund_grants (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES crowdfund_projects(id),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            source TEXT NOT NULL CHECK (length(trim(source)) > 0),
            status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'returned')),
            granted_by INTEGER NOT NULL REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            returned_at TEXT
        );
        CREATE INDEX crowdfund_grants_project ON crowdfund_grants(project_id, status, created_at);

        DROP TRIGGER crowdfund_spending_within_funds;
        CREATE TRIGGER crowdfund_spending_within_funds
        BEFORE INSERT ON crowdfund_spending
        WHEN NEW.amount_fen > (
            SELECT COALESCE(SUM(amount_fen + match_fen), 0) FROM crowdfund_pledges
            WHERE project_id = NEW.project_id AND status = 'received'
        ) + (
            SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_grants
            WHERE project_id = NEW.project_id AND status = 'received'
        ) - (
            SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_spending
            WHERE project_id = NEW.project_id
        )
        BEGIN
            SELECT RAISE(ABORT, 'crowdfund spending exceeds the funds held');
        END;
        """
    )


@migrations()
def m013_create_council(db: Database) -> None:
    """议事协商: topics, meetings, plans, one-household-one-vote ballots, 公示 and follow-up.

    The flow of the reference articles: 议题收集 (topics, residents' support, staff's four boxes)
    → 方案制定 (a meeting's options and the plan: cost, duties, deadline) → 协商议事 (a vote on the
    plan) → 结果公示 (publication with a notice period, objections answered in public) → 跟踪落实
    (owner, progress updates, residents' rating after completion).

    One household, one vote: ``council_ballots`` keeps every ballot ever cast, online by a
    member or on paper entered by staff, and is append-only (triggers refuse update and
    delete). ``council_choices`` holds at most one counted ballot per vote and household (its
    primary key), so however the channels interleave a household counts once; each ballot
    carries the rule that decided whether it counted. Triggers refuse a ballot cast outside
    the voting window and any change to the choices once the result is published.
    """
    db.executescript(
        """
        CREATE TABLE council_topics (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            body TEXT NOT NULL DEFAULT '',
            place_id INTEGER REFERENCES places(id),  -- NULL: the whole compound
            place_note TEXT NOT NULL DEFAULT '',
            photo TEXT,
            box TEXT NOT NULL DEFAULT 'new' CHECK (box IN (
                'new', 'urgent_important', 'watch', 'important_slow', 'resolved', 'declined')),
            box_note TEXT NOT NULL DEFAULT '',
            report_id INTEGER REFERENCES reports(id),
            proposed_by INTEGER REFERENCES users(id),
            household_id INTEGER REFERENCES households(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sorted_by INTEGER REFERENCES users(id),
            sorted_at TEXT
        );
        CREATE INDEX council_topics_box ON council_topics(box, id);
        CREATE UNIQUE INDEX council_topics_report ON council_topics(report_id)
            WHERE report_id IS NOT NULL;
        CREATE TABLE council_support (
            topic_id INTEGER NOT NULL REFERENCES council_topics(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            PRIMARY KEY (topic_id, user_id)
        );

        CREATE TABLE council_meetings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            held_on TEXT NOT NULL,  -- Shanghai date
            starts_at TEXT NOT NULL DEFAULT '',  -- 'HH:MM'
            venue TEXT NOT NULL CHECK (length(trim(venue)) > 0),
            participants TEXT NOT NULL DEFAULT '',
            minutes TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'held', 'cancelled')),
            cancel_reason TEXT NOT NULL DEFAULT '',
            submission_key TEXT UNIQUE,
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX council_meetings_held_on ON council_meetings(held_on, id);
        CREATE TABLE council_agenda (
            meeting_id INTEGER NOT NULL REFERENCES council_meetings(id),
            topic_id INTEGER NOT NULL REFERENCES council_topics(id),
            position INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (meeting_id, topic_id)
        );
        CREATE INDEX council_agenda_topic ON council_agenda(topic_id);

        CREATE TABLE council_plans (
            id INTEGER PRIMARY KEY,
            topic_id INTEGER NOT NULL REFERENCES council_topics(id),
            meeting_id INTEGER REFERENCES council_meetings(id),
            title TEXT NOT NULL CHECK (length(trim(title)) > 0),
            options_discussed TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            cost_fen INTEGER NOT NULL DEFAULT 0 CHECK (cost_fen >= 0),
            duties TEXT NOT NULL DEFAULT '',  -- who does what
            deadline TEXT,  -- Shanghai date
            owner TEXT NOT NULL DEFAULT '',  -- who answers for carrying it out
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN (
                'draft', 'voting', 'adopted', 'rejected', 'done', 'dropped')),
            project_id INTEGER REFERENCES crowdfund_projects(id),
            done_at TEXT,
            submission_key TEXT UNIQUE,
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX council_plans_topic ON council_plans(topic_id, id);
        CREATE INDEX council_plans_status ON council_plans(status, id);
        CREATE UNIQUE INDEX council_plans_project ON council_plans(project_id)
            WHERE project_id IS NOT NULL;

        -- photos of a meeting's minutes and of a plan's progress updates
        CREATE TABLE council_photos (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('minutes', 'update')),
            owner_id INTEGER NOT NULL,
            photo TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX council_photos_owner ON council_photos(kind, owner_id, id);
        CREATE TABLE council_updates (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES council_plans(id),
            body TEXT NOT NULL CHECK (length(trim(body)) > 0),
            percent INTEGER CHECK (percent IS NULL OR percent BETWEEN 0 AND 100),
            created_by INTEGER NOT NULL REFERENCES users(id),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX council_updates_plan ON council_updates(plan_id, id);

        CREATE TABLE council_votes (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES council_plans(id),
            question TEXT NOT NULL CHECK (length(trim(question)) > 0),
            scope_place_id INTEGER REFERENCES places(id),  -- NULL: every household
            opens_at TEXT NOT NULL,  -- UTC
            closes_at TEXT NOT NULL,
            quorum INTEGER NOT NULL CHECK (quorum >= 1),  -- households
            eligible INTEGER NOT NULL CHECK (eligible >= 0),  -- households in scope at opening
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'cancelled', 'published')),
            outcome TEXT CHECK (outcome IS NULL OR outcome IN ('passed', 'failed', 'no_quorum')),
            winning_option_id INTEGER,
            result_note TEXT NOT NULL DEFAULT '',
            notice_days INTEGER CHECK (notice_days IS NULL OR notice_days BETWEEN 1 AND 30),
            notice_ends_at TEXT,
            published_by INTEGER REFERENCES users(id),
            published_at TEXT,
            cancel_reason TEXT NOT NULL DEFAULT '',
            created_by INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            CHECK (closes_at > opens_at)
        );
        CREATE INDEX council_votes_status ON council_votes(status, closes_at);
        -- a plan has one live vote; a cancelled one may be opened again
        CREATE UNIQUE INDEX council_votes_one_live ON council_votes(plan_id)
            WHERE status != 'cancelled';
        CREATE TABLE council_vote_options (
            id INTEGER PRIMARY KEY,
            vote_id INTEGER NOT NULL REFERENCES council_votes(id),
            position INTEGER NOT NULL,
            label TEXT NOT NULL CHECK (length(trim(label)) > 0),
            adopts INTEGER NOT NULL DEFAULT 0 CHECK (adopts IN (0, 1)),  -- 同意 adopts the plan
            UNIQUE (vote_id, position),
            UNIQUE (vote_id, label)
        );

        CREATE TABLE council_ballots (
            id INTEGER PRIMARY KEY,
            vote_id INTEGER NOT NULL REFERENCES council_votes(id),
            household_id INTEGER NOT NULL REFERENCES households(id),
            option_id INTEGER NOT NULL REFERENCES council_vote_options(id),
            channel TEXT NOT NULL CHECK (channel IN ('online', 'paper')),
            user_id INTEGER REFERENCES users(id),  -- the member who voted online
            entered_by INTEGER REFERENCES users(id),  -- the staff member who typed a paper ballot
            signed_by TEXT NOT NULL DEFAULT '',  -- the name on a paper ballot
            cast_at TEXT NOT NULL,  -- online: when tapped; paper: when collected
            recorded_at TEXT NOT NULL,
            counted INTEGER NOT NULL CHECK (counted IN (0, 1)),  -- became the choice when recorded
            rule TEXT NOT NULL,  -- the rule that decided, in Chinese
            submission_key TEXT NOT NULL UNIQUE,
            CHECK ((channel = 'online') = (user_id IS NOT NULL)),
            CHECK ((channel = 'paper') = (entered_by IS NOT NULL))
        );
        CREATE INDEX council_ballots_household ON council_ballots(vote_id, household_id, id);
        CREATE TRIGGER council_ballots_append_only_update BEFORE UPDATE ON council_ballots
        BEGIN SELECT RAISE(ABORT, 'council ballots are append-only'); END;
        CREATE TRIGGER council_ballots_append_only_delete BEFORE DELETE ON council_ballots
        BEGIN SELECT RAISE(ABORT, 'council ballots are append-only'); END;
        CREATE TRIGGER council_ballots_inside_the_window BEFORE INSERT ON council_ballots
        WHEN NOT EXISTS (SELECT 1 FROM council_votes WHERE id = NEW.vote_id AND status = 'open'
                         AND NEW.cast_at >= opens_at AND NEW.cast_at < closes_at)
        BEGIN SELECT RAISE(ABORT, 'council ballot outside the voting window'); END;

        CREATE TABLE council_choices (
            vote_id INTEGER NOT NULL REFERENCES council_votes(id),
            household_id INTEGER NOT NULL REFERENCES households(id),
            ballot_id INTEGER NOT NULL UNIQUE REFERENCES council_ballots(id),
            option_id INTEGER NOT NULL REFERENCES council_vote_options(id),
            channel TEXT NOT NULL CHECK (channel IN ('online', 'paper')),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (vote_id, household_id)
        ) WITHOUT ROWID;
        CREATE INDEX council_choices_option ON council_choices(vote_id, option_id);
        """
    )
    for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        db.execute(
            f"CREATE TRIGGER council_choices_frozen_{event.lower()} BEFORE {event} ON council_choices"
            f" WHEN EXISTS (SELECT 1 FROM council_votes WHERE id = {row}.vote_id"
            " AND status != 'open')"
            " BEGIN SELECT RAISE(ABORT, 'a closed council vote is frozen'); END")
    db.executescript(
        """
        CREATE TABLE council_objections (
            id INTEGER PRIMARY KEY,
            vote_id INTEGER NOT NULL REFERENCES council_votes(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            household_id INTEGER REFERENCES households(id),
            body TEXT NOT NULL CHECK (length(trim(body)) > 0),
            submission_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            answer TEXT,
            answered_by INTEGER REFERENCES users(id),
            answered_at TEXT
        );
        CREATE INDEX council_objections_vote ON council_objections(vote_id, id);

        CREATE TABLE council_ratings (
            plan_id INTEGER NOT NULL REFERENCES council_plans(id),
            household_id INTEGER NOT NULL REFERENCES households(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            rating TEXT NOT NULL CHECK (rating IN ('satisfied', 'basic', 'unsatisfied')),
            comment TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (plan_id, household_id)
        );
        """
    )


def migrate_database(db: Database, *, stop_before: str | None = None) -> None:
    """Apply every pending migration, all under one write lock.

    Two processes starting on a new file at once (the server and `make run`'s bootstrap, or
    several workers) would otherwise both try to create the same tables.
    """
    from lib.core.db import immediate

    if "_sqlite_migrations" in db.table_names() and not migrations.pending(db):
        return  # the usual start-up: nothing to do, so no write lock is taken
    with immediate(db):
        migrations.apply(db, stop_before=stop_before)
