"""End-to-end fixtures: a real ``niha serve`` on a fresh database, and Debian's Chromium.

Screenshots of every page visited go to ``test-results/`` for a look by eye.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
CHROMIUM = os.environ.get("NIHA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    var_dir: Path
    database_url: str
    env: dict[str, str]

    def outbox(self) -> list[Path]:
        return sorted((self.var_dir / "outbox").glob("*.eml"))

    def niha(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "niha.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, server_url: str, template_name: str
) -> Iterator[LiveServer]:
    from tests import dbutil

    name = f"{template_name.replace('_tpl_', '_e2e_')}_{os.getpid()}"
    db_url = dbutil.recreate(server_url, name, template=template_name)
    var_dir = tmp_path_factory.mktemp("var")
    port = _free_port()
    env = {
        **os.environ,
        "NIHA_DATABASE_URL": db_url,
        "NIHA_VAR_DIR": str(var_dir),
        "NIHA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "NIHA_WEB_DIST": str(ROOT / "web" / "dist"),
        "NIHA_ENV": "development",
        "NIHA_DEMO_MARKET": "false",  # the journeys place every order themselves
    }
    env.pop("NIHA_REDIS_URL", None)
    log = (var_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "niha.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(
                "niha serve did not start:\n" + (var_dir / "server.log").read_text()[-4000:]
            )
        time.sleep(0.3)
    server = LiveServer(url=url, var_dir=var_dir, database_url=db_url, env=env)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        dbutil.drop(server_url, name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        yield pg
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    # animations="disabled": finished transitions (a drawer caught mid-slide looks broken).
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def check_a11y(page: Any, name: str) -> None:
    """axe-core on the current page: no serious or critical violations."""
    axe = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        pytest.fail("axe-core is missing: web/node_modules/axe-core (npm ci in web/)")
    # evaluate() goes through the DevTools protocol, so the page's strict CSP stays on.
    page.evaluate(axe.read_text() + "\n;window.axe = axe;")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not bad, f"{name}: accessibility violations: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(f"{n['target']} {n.get('failureSummary', '')!r}" for n in v["nodes"][:5])
        for v in bad
    )
