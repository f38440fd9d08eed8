"""House rules from STYLE.md, checked as tests so they cannot quietly erode."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b", re.IGNORECASE)


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.py"))


def test_lib_never_imports_streamlit_outside_its_ui_modules():
    offenders = [path.name for path in python_files("lib") if not path.name.startswith("ui")
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


def test_every_page_file_is_registered_with_a_stable_url():
    from lib.ui import PAGE_FILES

    assert sorted(PAGE_FILES.values()) == sorted(f"app_pages/{p.name}" for p in python_files("app_pages"))
    assert set(PAGE_FILES) == {"", "report", "reports", "account", "admin"}


def test_resident_screens_carry_no_streamlit_english_chrome():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # "minimal" drops the ⋮ menu (Record screen, Made with Streamlit); "viewer" keeps it.
    assert config["client"]["toolbarMode"] == "minimal"
    from lib.ui import _STYLE

    assert re.search(r'\[data-testid="InputInstructions"\]\s*\{\s*display:\s*none', _STYLE)


def test_every_kind_of_button_is_at_least_44_px_tall():
    from lib.ui import _STYLE

    rule = re.search(r"([^{}]*)\{\s*min-height:\s*44px", _STYLE)
    assert rule is not None
    for widget in ("stButton", "stFormSubmitButton", "stDownloadButton"):
        assert f'[data-testid="{widget}"] button' in rule.group(1)
