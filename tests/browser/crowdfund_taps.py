"""The taps a person makes to reach 众筹's screens, shared by the crowdfunding journeys."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import wait_ready
from tests.browser.test_journeys import main, tap_sidebar, title


def open_project(page, title_text: str, tab: str) -> None:
    """众筹 in the menu, the project's card, then one of its tabs."""
    tap_sidebar(page, "众筹")
    page.wait_for_url(re.compile(r"/crowdfund(\?|$)"))
    main(page).get_by_role("button", name=title_text).first.tap()
    wait_ready(page)
    expect(title(page)).to_have_text(title_text)
    main(page).get_by_role("tab", name=tab).tap()
    wait_ready(page)


def open_books(page, tab: str, picker: str, option: str) -> None:
    """管理 › 众筹账目 in the menu, one of its tabs, and a project picked from ``picker``
    (``option`` is a regular expression the project's entry starts with)."""
    tap_sidebar(page, "众筹账目")
    page.wait_for_url(re.compile(r"/admin-crowdfund-books(\?|$)"))
    main(page).get_by_role("tab", name=tab).tap()
    wait_ready(page)
    main(page).get_by_role("combobox", name=picker).tap()
    page.get_by_role("option", name=re.compile(f"^{option}")).tap()
    wait_ready(page)
