"""Debian's Chromium driven by Playwright, for the console tests.

Playwright's own browser download cannot work here, so the tests launch the system's
``/usr/bin/chromium`` (``scripts/test.sh`` installs it with apt). Every request the pages
make is checked: one that leaves the machine fails the test (the console works offline).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect, sync_playwright

CHROMIUM = os.environ.get("FLOWPORT_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 820}
#: where screenshots go: docs/screenshots when FLOWPORT_SCREENSHOTS names it, else a temp dir
SCREENSHOTS = "FLOWPORT_SCREENSHOTS"


class Browser:
    """One browser for the test module; ``outside`` collects requests that left 127.0.0.1."""

    def __init__(self, context: BrowserContext, shots: Path) -> None:
        self.context = context
        self.shots = shots
        self.outside: list[str] = []
        context.route("**/*", self._local_only)

    def _local_only(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def page(self) -> Page:
        page = self.context.new_page()
        page.set_default_timeout(30_000)
        return page

    def shoot(self, page: Page, name: str, *, full: bool = False) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full)


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would stop the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it (apt-get install chromium)")
    # Generous: the 2-core machine may be busy; an expectation polls, it never just sleeps.
    expect.set_options(timeout=30_000)
    shots = Path(os.environ.get(SCREENSHOTS) or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="flowport-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=FLAGS, headless=True, viewport=VIEWPORT
            )
            try:
                yield Browser(context, shots)
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
