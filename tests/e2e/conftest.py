"""End-to-end fixtures: real server processes on free ports, Debian's chromium, screenshots on failure.

These tests never use the test database: every server runs ``contactcenter demo`` (or ``serve``)
as its own process with its own data dir, and the tests talk to it over HTTP and WebSockets.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from tests.conftest import need
from tests.e2e.servers import embedded_env
from tests.liveserver import LiveServer

CHROMIUM = os.environ.get("CC_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
_saved_screenshots: list[Path] = []
_FAILED = pytest.StashKey[bool]()
_started_servers: list[LiveServer] = []


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright 0.10's own base_url fixture trips a pytest 9 deprecation; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:DeprecationWarning")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents and item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and report.when in ("setup", "call"):
        item.stash[_FAILED] = True


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _saved_screenshots:
        terminalreporter.write_sep("-", "end-to-end screenshots of failed tests")
        for path in _saved_screenshots:
            terminalreporter.write_line(str(path))


# ------------------------------------------------------------------------------ browser


# pytest-playwright keeps one Playwright for the whole session. Its sync API leaves its event
# loop marked as running in this thread for as long as it lives, so every asyncio test after
# the first browser test (here and in other folders) would fail with "Runner.run() cannot be
# called from a running event loop". These overrides give each browser module its own
# Playwright and browser instead (about a second to launch chromium).


@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    browser_type: BrowserType = getattr(playwright, browser_name)
    return browser_type


@pytest.fixture(scope="module")
def browser(browser_type: BrowserType, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def browser_context_args() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Playwright cannot download its own browser here; Debian's chromium works (see
    # docs and toolchain notes). Without it, browser tests skip (or fail in CI).
    need("chromium", shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"install Debian's chromium ({CHROMIUM})")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    configured = os.environ.get("CC_E2E_SCREENSHOTS")
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="cc-e2e-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[-120:]


@pytest.fixture
def open_page(new_context: Callable[..., Any], request: pytest.FixtureRequest, screenshot_dir: Path) -> Iterator[Callable[..., Any]]:
    """Open a page in a browser context of its own (its own cookies and storage: another person).

    When the test fails, every page opened here is photographed and its console errors printed.
    """
    opened: list[tuple[str, Any, list[str]]] = []

    def _open(label: str, **context_args: Any) -> Any:
        context = new_context(locale=context_args.pop("locale", "en-US"), **context_args)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: problems.append(f"console.{message.type}: {message.text}") if message.type in ("error", "warning") else None,
        )
        opened.append((label, page, problems))
        return page

    yield _open
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        for label, page, problems in opened:
            path = screenshot_dir / f"{_slug(request.node.name)}-{_slug(label)}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # a closed page cannot be photographed; say so
                print(f"[e2e] no screenshot of {label}: {error}")
                continue
            _saved_screenshots.append(path)
            print(f"[e2e] screenshot of {label}: {path}")
            for line in problems[-20:]:
                print(f"[e2e] {label} {line}")


@pytest.fixture
def snapshot(screenshot_dir: Path, request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """Photograph a page at a step worth looking at; only when CC_E2E_SCREENSHOTS names a folder."""

    def _snap(page: Any, label: str) -> None:
        if os.environ.get("CC_E2E_SCREENSHOTS"):
            page.screenshot(path=str(screenshot_dir / f"{_slug(request.node.name)}-{_slug(label)}.png"))

    return _snap


# ------------------------------------------------------------------------------ servers


def start_demo(data_dir: Path, *, env: dict[str, str] | None = None, command: str = "demo") -> LiveServer:
    server = LiveServer(data_dir, env={**embedded_env(), **(env or {})}, command=command)
    _started_servers.append(server)
    return server.start()


@pytest.fixture(autouse=True)
def _server_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """When a test fails, print the end of the log of every server it used."""
    before = len(_started_servers)
    yield
    if not request.node.stash.get(_FAILED, False):
        return
    used = [s for s in _started_servers[:before] if s.proc is not None and s.proc.poll() is None] + _started_servers[before:]
    for server in used:
        print(f"[e2e] ---- log of the {server.command} server on port {server.port} ({server.log_path}) ----")
        print(server.log()[-4000:])


@pytest.fixture(autouse=True)
def _live_server_helper() -> None:
    """Switch off pytest-django's helper for its own ``live_server``: it would set up a test
    database whenever a test uses a fixture of that name, and ours is a separate process."""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One embedded demo server (SQLite, in-memory layer) shared by a module's tests that do not kill it."""
    server = start_demo(tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A demo server of the test's own, for tests that kill and restart it."""
    server = start_demo(tmp_path / "server")
    yield server
    server.stop()
