"""Browser tests: Debian's Chromium, driven by Playwright, against the real Django server (live_server).

They run once per `make test` (scripts/test.sh turns them on for one pass with TRACKIFY_E2E=1) and skip,
with the reason, when Chromium is missing. Nothing is downloaded: Playwright drives /usr/bin/chromium.
Each page's screenshot is saved under var/test-artifacts/screenshots/ (TRACKIFY_TEST_ARTIFACTS moves it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import stripe_fixtures

fake_stripe = stripe_fixtures.fake_stripe
stripe_account = stripe_fixtures.stripe_account

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("TRACKIFY_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    candidate = os.environ.get("TRACKIFY_CHROMIUM") or "/usr/bin/chromium"
    return candidate if os.access(candidate, os.X_OK) else shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module, closed after it: Playwright's sync API keeps an event loop marked
    running in this thread while it is open, so Django's async-safety check is lifted only meanwhile."""
    if os.environ.get("TRACKIFY_E2E", "1") == "0":
        pytest.skip("browser tests run once per `make test`, in the other database pass")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found (/usr/bin/chromium; on Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (requirements/dev.txt)")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the tests' own ORM calls are still synchronous
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server: Any, settings: Any, transactional_db: Any) -> str:
    """The live server's address; links, return URLs and webhooks point at it."""
    settings.TRACKIFY_SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    return str(live_server.url)


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shoot(page: Any, name: str) -> Path:
    """Save the page as it is now, at its width, under the run's artifacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
