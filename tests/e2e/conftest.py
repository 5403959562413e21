"""A real server on a free local port and Debian's Chromium driven by Playwright (no download).

With E2E_SCREENSHOTS=<folder> set, the `shot` fixture saves a screenshot of each journey step
(<folder>/<test>/<NN>-<step>.png, the whole page); without it, `shot` does nothing. .ci/run sets
it to artifacts/screenshots in the clone.
"""

import os
import re
import shutil
import threading
from itertools import count
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


@pytest.fixture
def shot(request):
    """shot(page, "step"): a screenshot of the step, numbered in the order the test takes them,
    in a folder named after the test's file and name (with its parameters, e.g. the language)."""
    if not SCREENSHOTS:
        return lambda page, step: None
    name = f"{request.node.path.stem}.{request.node.name}"
    folder = Path(SCREENSHOTS) / re.sub(r"[^\w.\-]+", "_", name).strip("_")
    numbers = count(1)

    def take(page, step: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{next(numbers):02d}-{step}.png"), full_page=True)

    return take


def answered_whole(app):
    """The app, each response read whole and closed before the server writes it. Werkzeug's
    development server drains the request after writing the response and closes the response
    only then; when the browser has reset the connection (a navigation cancels a pending
    favicon), the drain raises first, a static file stays open, and its ResourceWarning fails
    whichever test is running when the file is collected."""

    def whole(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return whole


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, answered_whole(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        # CI must run them; a developer's machine without Chromium skips them, and says so.
        message = "Debian's Chromium is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
