"""House rules from STYLE.md, checked as tests so they cannot quietly erode."""
import ast
import re
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b", re.IGNORECASE)


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


# Each package of lib/ may import only from its own layer and the layers below it. The shared
# core knows no feature; the people know no feature; every feature may award points; volunteer
# hours sit below the features because they earn points and the star ranking counts them;
# features (reports, the shop and those to come) know nothing of each other; the star ranking
# sits above them because it compares buildings by what they record (reports accepted, labour
# attended) and pays its reward into a crowdfunding project; 议事 sits above them too (a topic
# may come from a report, an adopted plan may become a crowdfunding project); only the site
# (navigation, seeding, the audit log in words) sees them all.
LAYERS = {"core": 0, "people": 1, "points": 2, "volunteer": 3, "ranking": 5, "council": 6,
          "site": 9}
FEATURE_LAYER = 4
STREAMLIT_MODULE = re.compile(r"ui(_\w+)?\.py")  # ui.py, ui_admin.py, ui_navigation.py, ...


def lib_imports(path: Path) -> set[str]:
    """The lib packages a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                 else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        found |= {name.split(".")[1] for name in names
                  if name.startswith("lib.") and name.count(".") >= 1}
    return found


def test_lib_is_grouped_in_packages_with_nothing_loose():
    assert [path.name for path in (ROOT / "lib").glob("*.py")] == ["__init__.py"]
    packages = {path.parent.name for path in python_files("lib") if path.parent != ROOT / "lib"}
    assert {"core", "people", "points", "reports", "site"} <= packages


def test_no_import_runs_back_up_the_layers():
    offenders = []
    for path in python_files("lib"):
        if path.parent == ROOT / "lib":
            continue
        own = path.parent.name
        rank = LAYERS.get(own, FEATURE_LAYER)
        for other in lib_imports(path) - {own}:
            other_rank = LAYERS.get(other, FEATURE_LAYER)
            if other_rank > rank or (other_rank == rank == FEATURE_LAYER):
                offenders.append(f"{own}/{path.name} imports lib.{other}")
    assert offenders == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "audit.py"
    module.write_text("def f():\n    from lib.reports.workflow import STATUS_LABELS\n")
    assert lib_imports(module) == {"reports"}


def test_lib_imports_streamlit_only_in_its_ui_modules():
    offenders = [str(path.relative_to(ROOT)) for path in python_files("lib")
                 if not STREAMLIT_MODULE.fullmatch(path.name)
                 and re.search(r"^\s*(import|from) streamlit", path.read_text(), re.MULTILINE)]
    assert offenders == []


def test_pages_and_app_contain_no_sql():
    files = python_files("app_pages") + [ROOT / "app.py"]
    assert files and [path.name for path in files if SQL.search(path.read_text())] == []


def test_no_unsafe_html_anywhere_in_the_app():
    files = python_files("app_pages") + python_files("lib") + [ROOT / "app.py"]
    assert [path.name for path in files if "unsafe_allow_html" in path.read_text()] == []


def test_no_pages_folder_beside_app_py():
    # Streamlit runs a folder named pages/ as the old multipage app until some session runs
    # st.navigation: a fresh server's first QR landing (/report?b=1-1) would skip app.py, its
    # page config, style and menu, and list the file names (app, admin, ...) as the menu.
    assert not (ROOT / "pages").exists()


ADMIN_URLS = ["admin-households", "admin-volunteer", "admin-ranking-scores", "admin-users",
              "admin-qr", "admin-points", "admin-redemptions", "admin-crowdfund",
              "admin-crowdfund-books", "admin-ranking", "admin-council", "admin-places", "admin-categories",
              "admin-rules", "admin-points-rules", "admin-ranking-criteria", "admin-shop",
              "admin-backup", "admin-audit"]


def test_every_page_file_is_registered_with_a_stable_url():
    from lib.core.ui import PAGE_FILES
    from lib.site.ui_navigation import ADMIN_TASKS

    files = sorted(str(path.relative_to(ROOT)) for path in python_files("app_pages"))
    assert sorted(PAGE_FILES.values()) == files
    # Printed QR codes, bookmarks and links use these addresses: they never change.
    assert set(PAGE_FILES) == {"", "report", "reports", "account", "points", "shop", "volunteer",
                               "crowdfund", "ranking", "council", "admin", *ADMIN_URLS}
    assert [task.url_path for task in ADMIN_TASKS] == ADMIN_URLS
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", url) for url in ADMIN_URLS)


def test_resident_screens_carry_no_streamlit_english_chrome():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # "minimal" drops the ⋮ menu (Record screen, Made with Streamlit); "viewer" keeps it.
    assert config["client"]["toolbarMode"] == "minimal"
    from lib.core.ui import _STYLE

    assert re.search(r'\[data-testid="InputInstructions"\]\s*\{\s*display:\s*none', _STYLE)


def test_every_kind_of_button_is_at_least_44_px_tall():
    from lib.core.ui import _STYLE

    rule = re.search(r"([^{}]*)\{\s*min-height:\s*44px", _STYLE)
    assert rule is not None
    for widget in ("stButton", "stFormSubmitButton", "stDownloadButton"):
        assert f'[data-testid="{widget}"] button' in rule.group(1)


def test_no_garbage_collection_after_every_page_run():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False  # see the comment in config.toml


def test_every_page_run_takes_a_run_slot():
    tree = ast.parse((ROOT / "app.py").read_text())
    withs = [node for node in tree.body if isinstance(node, ast.With)]
    assert len(withs) == 1 and "PAGE_RUNS.slot()" in ast.unparse(withs[0].items[0])
    # everything the app does per run happens inside it
    assert all(isinstance(node, (ast.Expr, ast.Import, ast.ImportFrom, ast.With)) for node in tree.body)
