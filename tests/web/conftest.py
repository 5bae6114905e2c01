"""Fixtures of the workbench tests (see ``workbench_support``): the app, a live server, a real Chromium.

Where Chromium or Playwright is missing the browser tests skip with the reason, except in CI
(``CI`` set), where a missing browser fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qdakit import Project
from workbench_support import TOKEN, LiveServer, _chromium, build_project


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return build_project(tmp_path / "wb.qdakit")


@pytest.fixture
def client(project_path: Path) -> Iterator[tuple]:
    from starlette.testclient import TestClient

    from qdakit.web import create_app

    project = Project.open(project_path)
    app = create_app(project, "JR", token=TOKEN, hosts={"testserver"}, port=1)
    with TestClient(app, base_url="http://testserver") as c:
        yield c, project
    project.close()








@pytest.fixture
def live(project_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(project_path, "JR")
    yield server
    server.stop()





@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        exe = None
    if exe is None:
        reason = "the end-to-end tests need the system Chromium (apt-get install chromium) and playwright"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run them, not skip them")
        pytest.skip(reason)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def page(browser, live):
    """A logged-in page of the live workbench (offline: every request outside 127.0.0.1 fails)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(lambda url: not url.startswith(live.url), lambda route: route.abort())
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.goto(live.login_url())
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


