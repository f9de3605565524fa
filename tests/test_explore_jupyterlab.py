"""The explorer widget in a real JupyterLab 4 and Notebook 7 page (headless Chromium): the notebook builds the widget
in a kernel, a click in the page reaches Python (the selection and the expansion), and the page asks
nothing of any host but 127.0.0.1. Slow (starts a Jupyter server and a browser): ``pytest -m slow``."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cryptotrace as ct

sys.path.insert(0, str(Path(__file__).parent))
from _browser import N_NODES, NODE_XY, chromium, outside_requests, screenshot

sys.path.pop(0)

pytestmark = pytest.mark.slow
SRC = Path(ct.__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc, timeout: float = 90) -> None:
    import urllib.request

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab stopped early (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"jupyter lab did not answer at {url} within {timeout} s")


def _wait_file(path: Path, check, timeout: float = 30):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        if path.exists():
            try:
                last = json.loads(path.read_text())
                if check(last):
                    return last
            except json.JSONDecodeError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"{path.name} never showed what the kernel should have seen (last: {last})")


@pytest.mark.parametrize("app", ["jupyterlab", "notebook"])  # JupyterLab 4 and Notebook 7
def test_widget_in_jupyter_click_reaches_python(tmp_path, app):
    import nbformat

    chain = ct.load_sample()
    o = chain.outputs
    big = chain.txs.txid[chain.txs.n_out >= 3]
    row = o[o.spent_by_txid.isin(big)].iloc[0]
    coin = f"{row.txid}:{row.vout}"
    expected = int((o.txid == row.spent_by_txid).sum())
    this = chain.txs.txid == row.txid
    before = int(chain.txs.n_in[this].iloc[0] + chain.txs.n_out[this].iloc[0])

    work = tmp_path / "lab"
    work.mkdir()
    cell = f"""import json
import cryptotrace as ct
chain = ct.load_sample()
ex = ct.explore({row.txid!r}, chain=chain)
def seen(change):
    with open("seen.json", "w") as f:
        json.dump({{"selected": list(ex.selected_ids), "nodes": len(ex.nodes),
                    "selected_table": ex.selected.id.tolist()}}, f)
ex.observe(seen, names=["selected_ids", "graph"])
ex"""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(cell)]
    nbformat.write(nb, work / "explore.ipynb")

    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.open_browser=False",
            "--allow-root",
            *(["--LabApp.news_url=", "--LabApp.extension_manager=readonly"] if app == "jupyterlab" else []),
            "--LabServerApp.workspaces_dir=" + str(tmp_path / "ws"),
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    requests, errors = [], []
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/api/status?token={token}", proc)
        with chromium() as browser:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(f"{e}\n{getattr(e, 'stack', '')}"))
            page.on("console", lambda m: errors.append("console: " + m.text) if m.type == "error" else None)
            try:
                _drive(page, base, token, work, coin, before, expected, tmp_path, app)
            except Exception:
                screenshot(page, f"{app}_failure", tmp_path)
                print("page errors:", errors)
                raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    if app == "notebook":  # Notebook 7.6's own core script reports a settings-schema error on start-up
        errors = [e for e in errors if "/static/notebook/notebook_core." not in e]
    assert errors == [], errors
    assert outside_requests(requests) == []


def _accept_kernel_dialog(page, wait: float = 5) -> None:
    """JupyterLab may ask which kernel to start: take the one offered (the notebook's python3)."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        button = page.query_selector(".jp-Dialog .jp-mod-accept")
        if button is not None:
            button.click()
            return
        time.sleep(0.2)


def _drive(page, base, token, work, coin, before, expected, tmp_path, app):
    where = "lab/tree" if app == "jupyterlab" else "notebooks"
    page.goto(f"{base}/{where}/explore.ipynb?token={token}", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    # the kernel is ready when the toolbar says so
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook-ExecutionIndicator, .jp-KernelStatus')]"
        ".some(e => /idle/i.test(e.getAttribute('data-status') || e.title || e.textContent || ''))",
        timeout=60_000,
    )
    _accept_kernel_dialog(page)
    page.click(".jp-Notebook .jp-Cell .cm-content")
    page.keyboard.press("Shift+Enter")
    _accept_kernel_dialog(page, wait=3)
    page.wait_for_function(
        f"() => window.__ctExplorers && window.__ctExplorers.length > 0 && ({N_NODES})() === {before}", timeout=60_000
    )
    screenshot(page, f"{app}_before", tmp_path)
    x, y = page.evaluate(NODE_XY, coin)
    page.mouse.click(x, y)
    # the kernel sees the selection and opens the coin's spending transaction
    seen = _wait_file(work / "seen.json", lambda d: d["selected"] == [coin] and d["nodes"] == before + expected)
    assert seen["selected_table"] == [coin]
    page.wait_for_function(f"() => ({N_NODES})() === {before + expected}", timeout=30_000)
    page.wait_for_function("(c) => document.querySelector('.ctx-side').innerText.includes(c)", arg=coin, timeout=30_000)
    screenshot(page, f"{app}_clicked", tmp_path)
