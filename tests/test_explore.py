"""The dashboards in a real browser: JupyterLab on localhost runs nbs/explore.ipynb in headless Chromium, on a tiny run.

The server gets its own config, data, settings, workspace, runtime, IPython and checkpoint folders in tmp dirs (the
user's are never touched, and no .ipynb_checkpoints appears in nbs/), autosave off (running the notebook must not write its outputs into nbs/explore.ipynb), and
windowing off (every cell's output is rendered, not only those on screen). The notebook is pointed at two tiny runs
(ASM and IID, 32x32, 20 steps) through $ASM_WB_EXPLORE_RUN; it compares them because they sit side by side."""
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import BIN, ROOT

NOTEBOOK = "nbs/explore.ipynb"
TINY = dict(size=32, n_train=16, n_val=8, steps=20, batch_size=4, width=4, analyzer_width=4, checkpoint_every=0)
SETTINGS = {  # JupyterLab user settings for the test server
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    "Two finished tiny runs, asm/ and iid/, side by side."
    from asm_wb.train import run_training
    root = tmp_path_factory.mktemp("explore-runs")
    for loss in ("asm", "iid"): run_training(dict(TINY, loss=loss, run_dir=str(root / loss)), progress=False)
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _isolated_env(tmp_path, **extra) -> dict:
    env = dict(os.environ)
    for var, name in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("IPYTHONDIR", "ipython")):
        (tmp_path / name).mkdir()
        env[var] = str(tmp_path / name)
    for plugin, values in SETTINGS.items():
        path = tmp_path / "settings" / (plugin.replace(":", "/") + ".jupyterlab-settings")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env.pop("JUPYTER_PATH", None)   # the kernel and the lab extensions come from the venv's share/jupyter
    return env | extra


@pytest.fixture
def jupyterlab(tmp_path, tiny_runs):
    "(base URL, token) of a JupyterLab server on 127.0.0.1, stopped afterwards."
    port, token = _free_port(), secrets.token_hex(16)
    # the token in the environment, as `make lab` passes it: never on the command line, where `ps` shows it to every user
    env = _isolated_env(tmp_path, ASM_WB_EXPLORE_RUN=str(tiny_runs / "asm"), JUPYTER_TOKEN=token)
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT}",
           "--LabApp.expose_app_in_browser=True", f"--FileCheckpoints.checkpoint_dir={tmp_path / 'checkpoints'}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = open(tmp_path / "jupyterlab.log", "wb")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_lab(proc, base, token, tmp_path / "jupyterlab.log")
        yield base, token
    finally:
        _stop(proc, log)


def _wait_for_lab(proc, base, token, log_path, seconds=60):
    "Wait until the JupyterLab at `base` answers with `token`; fail with its log if it exits or does not answer in time."
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None: pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                if r.status == 200: return
        except OSError: pass
        if time.monotonic() > deadline: pytest.fail(f"JupyterLab did not answer within {seconds} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)


def _stop(proc, log):
    "Stop a server started in its own session (SIGTERM: it shuts its kernels down), then kill its group if it lingers."
    proc.terminate()
    try: proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9); proc.wait()
    log.close()


# the notebook's state, read in the page: prompts ("[*]:" running or queued, "[ ]:" not run, "[3]:" done) and error outputs
STATE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  const errors = [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                 .map(e => e.textContent).filter(t => /Traceback|Error/.test(t));
  const kernel = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status ?? 'none';
  return {prompts, errors, kernel, plots: document.querySelectorAll('.js-plotly-plot').length};
}"""


def _distinct_colours(png) -> tuple[int, float]:
    from PIL import Image
    import numpy as np
    a = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    return len(np.unique(a, axis=0)), float(a.std())


def test_explore_notebook_renders_dashboards(browser, jupyterlab, tmp_path):
    base, token = jupyterlab
    before = (ROOT / NOTEBOOK).read_bytes()
    checkpoint = ROOT / "nbs" / ".ipynb_checkpoints" / "explore-checkpoint.ipynb"
    had_checkpoint = checkpoint.exists()
    t0 = time.monotonic()
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    try:
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-CodeCell", timeout=60_000)
        page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
                               timeout=60_000)
        page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.ready;"
                      "            await window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        deadline, state = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            state = page.evaluate(STATE_JS)
            if state["errors"]: break
            done = state["prompts"] and all(p[1:-2].strip().isdigit() for p in state["prompts"]) and state["kernel"] == "idle"
            if done and state["plots"] >= 1: break
            page.wait_for_timeout(500)
        assert not state["errors"], "a cell of explore.ipynb failed:\n" + "\n".join(state["errors"])[-3000:]
        assert all(p[1:-2].strip().isdigit() for p in state["prompts"]), f"not every cell ran within 90 s: {state}"
        page.wait_for_selector(".js-plotly-plot .main-svg", state="visible", timeout=30_000)
        page.wait_for_timeout(1000)    # plotly's first paint of the images
        text = page.inner_text(".jp-Notebook")
        for bad in ("Traceback", "Error displaying widget", "Failed to load model", "Error:"):
            assert bad not in text, f"the notebook shows {bad!r}:\n{text[-3000:]}"
        plot = page.locator(".js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        plot.screenshot(path=str(tmp_path / "dashboard.png"))
        page.screenshot(path=str(tmp_path / "page.png"))
        colours, spread = _distinct_colours(tmp_path / "dashboard.png")
        assert colours >= 50 and spread > 10, f"the dashboard looks blank: {colours} colours, std {spread:.1f} ({tmp_path / 'dashboard.png'})"
        n_plots = page.locator(".js-plotly-plot").count()
        assert n_plots >= 6, f"expected the 6 figures of the 4 dashboards, found {n_plots}"
        for i in range(n_plots):   # every figure drawn, each kept beside the screenshot for a look when this fails
            el = page.locator(".js-plotly-plot").nth(i)
            el.scroll_into_view_if_needed()
            el.screenshot(path=str(tmp_path / f"figure{i}.png"))
            colours, spread = _distinct_colours(tmp_path / f"figure{i}.png")
            assert colours >= 20 and spread > 5, f"figure {i} looks blank: {colours} colours ({tmp_path / f'figure{i}.png'})"
        print(f"explore.ipynb ran and rendered {n_plots} figures in {time.monotonic() - t0:.1f} s; screenshot {tmp_path / 'dashboard.png'}")
    finally:
        page.close()
    assert (ROOT / NOTEBOOK).read_bytes() == before, "running the notebook in JupyterLab changed nbs/explore.ipynb"
    assert had_checkpoint or not checkpoint.exists(), f"the test server wrote {checkpoint}"


def _session_argvs(sid:int) -> list[list[str]]:
    "The command lines of the processes in session `sid` (what `ps -eo args` shows for them)."
    out = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and int((d / "stat").read_text().rsplit(")", 1)[1].split()[3]) == sid:
                out.append((d / "cmdline").read_bytes().decode(errors="replace").rstrip("\0").split("\0"))
        except (OSError, IndexError, ValueError): pass   # a process that ended meanwhile
    return out


def test_make_lab_keeps_the_token_off_the_command_line(tmp_path):
    "`make lab` prints the URL with its token, and the token reaches jupyter through its environment, not its argv (`ps` shows argv to every user)."
    port, token = _free_port(), secrets.token_hex(16)
    venv = BIN.parent
    env = _isolated_env(tmp_path, TOKEN=token)
    # -o: never remake the install stamp here (the test uses the venv it runs in, as it is)
    cmd = ["make", "--no-print-directory", "-o", str(venv / ".asm_wb-installed"), f"VENV={venv}", f"PORT={port}", "lab"]
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_lab(proc, base, token, tmp_path / "lab.log")
        assert (tmp_path / "lab.log").read_text().splitlines()[0] == f"JupyterLab: {base}/lab?token={token}"
        argvs = _session_argvs(proc.pid)   # make, and the jupyter server its shell execs
        assert any("jupyter" in a for argv in argvs for a in argv), argvs
        assert not any(token in a for argv in argvs for a in argv), argvs
        with pytest.raises(urllib.error.HTTPError) as e: urllib.request.urlopen(f"{base}/api/status", timeout=5)
        assert e.value.code == 403   # without the token: refused
    finally:
        _stop(proc, log)
