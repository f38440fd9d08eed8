"""The soak tests reuse the browser fixtures."""
from tests.browser.conftest import browser  # noqa: F401
