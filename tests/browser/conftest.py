"""Playwright journeys: the real server on a free port, Debian's Chromium at phone size."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like"
                    " Gecko) Chrome/130.0.0.0 Mobile Safari/537.36")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None,
                 script: Path = ROOT / "app.py"):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log = data_dir / "server.log"
        environment = {**os.environ, "PORTAL_DATA_DIR": str(data_dir),
                       "PORTAL_BASE_URL": self.url,
                       "PORTAL_DEMO_HISTORY": "0", **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT, env=environment, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"server not healthy: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("portal-data"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make test` installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Notes the time of the page's last WebSocket frame, sent or received, so a test can wait until
# the app has gone quiet (see settle) instead of sleeping for a guessed time.
_SOCKET_WATCH = """(() => {
  if (window.__portalSocketWatch) return;
  window.__portalSocketWatch = true;
  window.__portalLastFrame = performance.now();
  const mark = () => { window.__portalLastFrame = performance.now(); };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); this.addEventListener("message", mark); }
    send(data) { mark(); return super.send(data); }
  };
})();"""


def new_phone_context(browser, **options):
    """A phone-sized browser context with its own cookies (390x844, touch, zh-CN).

    ``options`` go to new_context, e.g. user_agent=PHONE_USER_AGENT: Streamlit closes the sidebar
    menu after a tap only for a mobile user agent, as on a real phone.
    """
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", accept_downloads=True,
                                  **options)
    context.add_init_script(_SOCKET_WATCH)
    return context


def _module_phone_options(request) -> dict:
    """A test module may set PHONE_OPTIONS, e.g. a mobile user agent, for all its phones."""
    return getattr(request.module, "PHONE_OPTIONS", {})


@pytest.fixture
def phone(browser, request):
    """A fresh phone-sized browser context (its own cookies) per test."""
    context = new_phone_context(browser, **_module_phone_options(request))
    yield context
    context.close()


@pytest.fixture
def phones(browser, request):
    """Make more phone contexts (other people, other browsers); all closed after the test."""
    made = []

    def make():
        made.append(new_phone_context(browser, **_module_phone_options(request)))
        return made[-1]

    yield make
    for context in made:
        context.close()


def wait_ready(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no sleeping)."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout)
    page.wait_for_timeout(150)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout)


def submit_login(page, username: str, password: str) -> None:
    """Fill and send the login form on the account page that is already open."""
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="登录"))
    form.get_by_role("textbox", name="用户名").fill(username)
    form.get_by_role("textbox", name="密码", exact=True).fill(password)
    form.get_by_role("button", name="登录").click()


def settle(page, quiet_ms: int = 800, timeout: float = 30_000) -> None:
    """Wait until the script is not running and no WebSocket frame has passed for ``quiet_ms``.

    After a login or logout the browser's cookie component reports back and reruns the page on
    its own; wait_ready alone can return in the gap before that rerun starts. In a context made
    without new_phone_context this is wait_ready.
    """
    wait_ready(page, timeout)
    page.wait_for_function(
        """(quiet) => {
          const app = document.querySelector("[data-testid='stApp']");
          if (!app || app.dataset.testScriptState !== "notRunning") return false;
          const last = window.__portalLastFrame;
          return last === undefined || performance.now() - last >= quiet;
        }""", arg=quiet_ms, timeout=timeout)


def login(page, base_url: str, username: str, password: str = "Demo@2026") -> None:
    """Open the home page, tap 登录 / 注册 and log in; return once back on 首页 with the cookie."""
    page.goto(f"{base_url}/")
    wait_ready(page)
    page.get_by_test_id("stMain").get_by_role("link", name="登录 / 注册").tap()
    wait_ready(page)
    submit_login(page, username, password)
    page.wait_for_function("document.cookie.includes('wwsg_session=')", timeout=20_000)
    page.get_by_test_id("stMain").locator("h1").filter(has_text="幸福里小区").wait_for(
        timeout=20_000)  # logging in leads back to the page the person came from
    settle(page)
