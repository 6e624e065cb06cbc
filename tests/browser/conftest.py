"""Browser tests: a real server on 127.0.0.1 and Debian's Chromium, driven by Playwright.

``scripts/test.sh`` installs ``chromium`` with apt; no browser is downloaded. Without it
these tests are skipped, unless ``VITALSTAT_REQUIRE_TOOLS=1`` (CI), where that fails.
Each test's screenshots go to ``test-artifacts/screenshots/`` (``shot``); with
``VITALSTAT_SCREENSHOTS_TO_DOCS=1`` they are also written to ``docs/screenshots/``, the
README's pictures.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from vitalstat.store import Store
from web_helpers import seeded_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # one worker runs them all: one browser, and the two cores are not fought over
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.xdist_group("browser"))


@dataclass
class Live:
    """A served registry: ``url`` of its interface, a token per role, its store."""

    url: str
    tokens: dict[str, str]
    store: Store
    tmp: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(sqlite_store: Store, tmp_path: Path) -> Iterator[Live]:
    app, _config, tokens = seeded_app(sqlite_store, tmp_path)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", tokens, sqlite_store, tmp_path)
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("VITALSTAT_REQUIRE_TOOLS") == "1":
            pytest.fail("chromium is not installed (scripts/test.sh installs it with apt)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # --no-sandbox: the test runs as root in a container
        b = pw.chromium.launch(executable_path=chromium, headless=True,
                               args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def sign_in(live: Live) -> Callable[[Any, str], None]:
    """``sign_in(page, role)``: sign ``page`` in with that role's token."""

    def go(pg: Any, who: str) -> None:
        pg.goto(f"{live.url}/ui/sign-in")
        pg.get_by_label("API token").fill(live.tokens[who])
        pg.get_by_role("button", name="Sign in").click()
        pg.wait_for_url(f"{live.url}/ui/**")

    return go


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, name)``: a full-page screenshot, kept as a test artefact."""

    def take(pg: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        if os.environ.get("VITALSTAT_SCREENSHOTS_TO_DOCS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / path.name)
        return path

    return take
