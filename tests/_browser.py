"""Headless Chromium for the explorer's browser tests (Playwright's Python package driving Debian's
/usr/bin/chromium: no browser download), a static file server on 127.0.0.1, and a request log."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CRYPTOTRACE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "explore"


@contextlib.contextmanager
def chromium():
    """A Playwright browser on the system Chromium, with a fresh profile folder."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="ct-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=ARGS,
                viewport={"width": 1280, "height": 800},
                accept_downloads=True,
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@contextlib.contextmanager
def serve_folder(folder):
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def outside_requests(urls) -> list[str]:
    """The requested URLs that left 127.0.0.1 (data: and blob: URLs stay in the page)."""
    bad = []
    for u in urls:
        p = urlparse(u)
        if p.scheme in ("data", "blob", "about"):
            continue
        if p.hostname not in ("127.0.0.1",):
            bad.append(u)
    return bad


def screenshot(page, name: str, tmp_path) -> Path:
    """Save a screenshot in the pytest tmp dir and in test-artifacts/explore/ (git-ignored) for a person."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = Path(tmp_path) / f"{name}.png"
    page.screenshot(path=str(out))
    shutil.copy(out, ARTIFACTS / out.name)
    return out


NODE_XY = """(id) => {
  const cy = window.__ctExplorers[window.__ctExplorers.length - 1];
  const p = cy.getElementById(id).renderedPosition();
  const r = cy.container().getBoundingClientRect();
  return [r.left + p.x, r.top + p.y];
}"""
# nodes that are coins, addresses or entities (not the small transaction nodes of big transactions)
N_NODES = (
    "() => window.__ctExplorers[window.__ctExplorers.length - 1].nodes()"
    ".filter(n => n.data('kind') !== 'transaction').length"
)
