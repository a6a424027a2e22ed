"""Integration tests of the tables runner, the results store and the site, where a notebook cell is the wrong place:
a `smoke` table through papermill with 2 workers, run twice (the second run skips everything), a run that fails, two
processes writing the store at once, and the built site opened in headless Chromium with the network off."""
import json
import os
import subprocess
import sys
import threading
import http.server
import functools
from pathlib import Path

import pytest

from conftest import BIN, ROOT
from asm_wb.specs import MIOU, Row, TableSpec
from asm_wb.store import ResultStore, at_edge
from asm_wb.summary import summarize
from asm_wb.tables import plan, run_table

SMOKE_TABLE = 'table3'   # procedural rooms: needs no data


def _env(tmp):
    return os.environ | {"ASM_WB_CACHE": str(tmp / "cache"), "PYTHONUNBUFFERED": "1"}


def _asm_wb(*args, env, cwd=ROOT, timeout=600):
    return subprocess.run([str(BIN / "asm-wb"), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    "`asm-wb tables run table3 --scale smoke --workers 2`, run twice, and `show`."
    tmp = tmp_path_factory.mktemp("tables")
    env, store, runs = _env(tmp), tmp / "reports" / "results.sqlite", tmp / "runs"
    args = ["tables", "run", SMOKE_TABLE, "--scale", "smoke", "--seeds", "2", "--workers", "2", "--store", str(store), "--runs", str(runs)]
    first = _asm_wb(*args, env=env)
    second = _asm_wb(*args, env=env)
    show = _asm_wb("tables", "show", SMOKE_TABLE, "--scale", "smoke", "--store", str(store), env=env)
    return dict(tmp=tmp, store=store, runs=runs, first=first, second=second, show=show)


def test_smoke_table_runs_through_papermill_with_two_workers(smoke):
    r = smoke["first"]
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 runs, 0 finished already, 6 to run with 2 worker(s)" in r.stdout, r.stdout
    with ResultStore(smoke["store"]) as st:
        members = st.members(SMOKE_TABLE, "smoke")
    assert [(m["row_name"], m["seed"], m["status"]) for m in members] == \
        [(row, seed, "done") for row in ("IID", "cGAN", "ASM") for seed in (0, 1)]
    for m in members:   # each run in its own directory, with the executed notebook, keyed by its parameters
        run_dir = Path(m["run_dir"])
        assert run_dir.parent == smoke["runs"] and run_dir.name.endswith(m["key"])
        assert (run_dir / "train.ipynb").is_file() and json.loads((run_dir / "metrics.json").read_text())["status"] == "done"
        assert m["metrics"]["abs_rel"] > 0 and m["timing"]["total_s"] > 0 and m["code_version"].startswith("0.")
        assert m["params"]["seed"] == m["seed"] and m["params"]["size"] == 32
    kept = sorted(p.stem for p in (smoke["store"].parent / "notebooks").glob("*.ipynb"))
    assert kept == sorted(m["key"] for m in members if m["seed"] == 0)   # the first seed of each row is kept


def test_running_again_skips_finished_runs(smoke):
    r = smoke["second"]
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 runs, 6 finished already, 0 to run" in r.stdout, r.stdout


def test_show_prints_ours_beside_the_paper(smoke):
    r = smoke["show"]
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("table3: Monocular depth") and "seeds 0, 1" in lines[1]
    iid = next(l for l in lines if l.startswith("IID "))
    assert "±" in iid and "0.267" in iid and "2 done" in iid, r.stdout   # mean ± std over 2 seeds, the paper's rel


def test_an_interrupted_table_resumes_unfinished_runs(tmp_path):
    "A run left 'running' (its worker killed) is run again; the finished ones are not."
    env = _env(tmp_path)
    store, runs = tmp_path / "r.sqlite", tmp_path / "runs"
    jobs = plan(SMOKE_TABLE, "smoke", 1, runs)
    with ResultStore(store) as st:
        st.start(jobs[0].key, jobs[0].run_dir, jobs[0].params)     # as a killed worker leaves it
    r = _asm_wb("tables", "run", SMOKE_TABLE, "--scale", "smoke", "--store", str(store), "--runs", str(runs), env=env)
    assert r.returncode == 0 and "3 runs, 0 finished already, 3 to run" in r.stdout, r.stdout + r.stderr


def test_tables_asked_together_share_one_pool_and_their_common_runs(tmp_path):
    "fig9_instance's rows are table3's runs: asked for together, each run trains once and both tables have it."
    env, store, runs = _env(tmp_path), tmp_path / "r.sqlite", tmp_path / "runs"
    r = _asm_wb("tables", "run", "fig9_instance", SMOKE_TABLE, "--scale", "smoke", "--workers", "2", "--store", str(store),
                "--runs", str(runs), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "fig9_instance, table3 at scale smoke: 6 runs, 0 finished already, 3 shared with another table, 3 to run with 2 worker(s)" in r.stdout, r.stdout
    assert "fig9_instance IID seed 0: done" in r.stdout and "fig9_instance: Instance-wise depth" in r.stdout and "table3: Monocular depth" in r.stdout
    with ResultStore(store) as st:
        for table in ("fig9_instance", SMOKE_TABLE):
            assert [(m["row_name"], m["status"]) for m in st.members(table, "smoke")] == [("IID", "done"), ("cGAN", "done"), ("ASM", "done")]
    assert len(list(runs.iterdir())) == 3


def test_a_failing_run_is_recorded_and_the_others_still_run(tmp_path, monkeypatch):
    monkeypatch.setenv("ASM_WB_CACHE", str(tmp_path / "cache"))
    empty = tmp_path / "horse_without_files"; empty.mkdir()
    spec = TableSpec("t_fail", "a table with a run that fails", "(test)", "shapes", "figure_ground",
                     (Row("broken data", dict(dataset="horse", data_root=str(empty))), Row("IID", dict(loss="iid"))), (MIOU,))
    logs = []
    counts = run_table(spec, "smoke", 1, 1, tmp_path / "runs", tmp_path / "r.sqlite", log=logs.append)
    assert (counts["failed"], counts["done"]) == (1, 1), (counts, logs)
    with ResultStore(tmp_path / "r.sqlite") as st:
        bad, good = st.members("t_fail", "smoke")
    assert bad["status"] == "failed" and str(empty) in bad["error"], bad["error"]   # the notebook's own error
    assert good["status"] == "done" and good["metrics"]["miou"] > 0
    assert any("broken data seed 0: failed" in l for l in logs), logs
    s = summarize(tmp_path / "r.sqlite", spec, "smoke")
    assert s["rows"][0]["runs"] == {"failed": 1} and s["rows"][0]["cells"]["mIoU %"].mean is None


WRITER = """
import sys
from asm_wb.store import ResultStore
store, w, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with ResultStore(store) as st:
    for i in range(n):
        st.add_member('t', 'smoke', f'row{w}', i, f'{w}-{i}', {'i': i})
        st.start(f'{w}-{i}', 'x', {'i': i})
        st.finish(f'{w}-{i}', {'status': 'done', 'params': {'i': i}, 'metrics': {'miou': i}})
"""


def test_two_processes_writing_at_once_lose_no_rows(tmp_path):
    store, n = tmp_path / "r.sqlite", 300
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(w), str(n)], stderr=subprocess.PIPE, text=True)
             for w in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    with ResultStore(store) as st:
        runs = st.runs()
        assert len(runs) == 2 * n and all(r["status"] == "done" for r in runs)
        assert len(st.members("t", "smoke")) == 2 * n


# --- the site in a real browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(smoke):
    out = smoke["tmp"] / "site"
    r = _asm_wb("report", "--reports", str(smoke["store"].parent), "--out", str(out), env=_env(smoke["tmp"]))
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def _open_offline(browser, url, offline=True):
    """Open `url` with the network off (`offline`; for a loopback server, every request that would leave the machine is
    aborted instead); returns (page, requests that failed, requests that left the machine)."""
    ctx = browser.new_context()
    failed, remote = [], []
    if offline: ctx.set_offline(True)
    else: ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort())
    page = ctx.new_page()
    page.on("requestfailed", lambda req: failed.append(f"{req.url} ({req.failure})"))
    page.on("request", lambda req: remote.append(req.url) if not req.url.startswith(("file://", "http://127.0.0.1", "data:", "about:")) else None)
    page.goto(url, wait_until="load")
    return page, failed, remote


def _check_page(page, failed, remote, min_figures):
    assert failed == [] and remote == [], (failed, remote)
    n = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
    drawn = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot')).filter(d => d.querySelector('.main-svg .bars, .main-svg .scatterlayer, .main-svg .imagelayer') !== null).length")
    assert n >= min_figures and drawn == n, (n, drawn)


def test_site_works_offline_from_file_urls(browser, site, tmp_path):
    page, failed, remote = _open_offline(browser, (site / "index.html").as_uri())
    assert "table3" in page.inner_text("body") and "Not run yet" in page.inner_text("body")
    assert page.evaluate("document.querySelectorAll('table.asm-results').length") >= 1
    page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
    # the index has no figures of its own: follow its link to the table page
    page.click("a[href='tables/table3-smoke.html']")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30_000)
    _check_page(page, failed, remote, min_figures=1)
    assert "0.267" in page.inner_text("body")   # the paper's number beside ours
    page.screenshot(path=str(tmp_path / "table.png"), full_page=True)
    # a run page: its executed notebook's figures (loss curves, predictions) render too
    page.click("a[href^='../runs/']")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=30_000)
    _check_page(page, failed, remote, min_figures=2)
    text = page.inner_text("body")   # and it reads cleanly: no empty input boxes, no front matter, one line per progress bar
    assert "In [ ]" not in text and "skip_exec" not in text, text[:2000]
    bars = [l for l in text.splitlines() if "%|" in l]
    assert len(bars) == 1 and "100%|" in bars[0], bars
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    page.context.close()


def test_site_works_offline_over_http_server(browser, site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/tables/table3-smoke.html"
        page, failed, remote = _open_offline(browser, url, offline=False)   # only loopback answers
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30_000)
        _check_page(page, failed, remote, min_figures=1)
        page.context.close()
    finally:
        server.shutdown()


def test_a_warm_started_row_runs_after_its_source_under_shards(tmp_path, monkeypatch):
    "finetune_shapes over two shards, two workers each: every shard trains its IID source first, then both rows that start from it."
    monkeypatch.setenv("ASM_WB_CACHE", str(tmp_path / "cache"))
    store, runs = tmp_path / "r.sqlite", tmp_path / "runs"
    for shard in ("1/2", "0/2"):
        logs = []
        counts = run_table("finetune_shapes", "smoke", 2, 2, runs, store, shard=shard, log=logs.append)
        assert (counts["planned"], counts["done"]) == (3, 3), (counts, logs)
    with ResultStore(store) as st:
        members = {(m["row_name"], m["seed"]): m for m in st.members("finetune_shapes", "smoke")}
    assert len(members) == 6 and {m["status"] for m in members.values()} == {"done"}
    for seed in (0, 1):
        source = members["IID (start)", seed]
        for row in ("IID then IID", "IID then ASM"):
            m = members[row, seed]
            assert m["started"] >= source["finished"], (row, seed)              # it waited for its source
            assert m["result"]["init_from"] == {"run_dir": source["run_dir"], "key": source["key"]}


def test_tune_at_smoke_scale_then_run_with_the_choices(tmp_path):
    "`tables tune` gives IID and ASM two trials each on the held-out part; `tables run` then trains each row with its choice."
    env, store, runs = _env(tmp_path), tmp_path / "r.sqlite", tmp_path / "runs"
    r = _asm_wb("tables", "tune", "quickstart", "--scale", "smoke", "--factors", "0.5,2", "--store", str(store), "--runs", str(runs), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 rows x 2 trials" in r.stdout and "| IID | lr | " in r.stdout and "| ASM Conv1-2 | adv_lambda (at lr=" in r.stdout, r.stdout
    with ResultStore(store) as st:
        trials, choices = st.trials("quickstart", "smoke"), st.choices("quickstart", "smoke")
    assert [(t["row_name"], t["knob"], t["value"]) for t in trials] == \
        [("IID", "lr", 5e-4), ("IID", "lr", 2e-3), ("ASM Conv1-2", "adv_lambda", 0.006), ("ASM Conv1-2", "adv_lambda", 0.024)]
    for t in trials:   # scored on the held-out part of the training split, never on the split the table reports
        result = json.loads((Path(t["run_dir"]) / "metrics.json").read_text())
        assert result["params"]["holdout"] == 0.2 and result["eval_split"] == "holdout 0.2 of train" and t["score"] is not None
    assert set(choices) == {"IID", "ASM Conv1-2"} and choices["ASM Conv1-2"]["lr"] == choices["IID"]["lr"]
    again = _asm_wb("tables", "tune", "quickstart", "--scale", "smoke", "--factors", "0.5,2", "--store", str(store), "--runs", str(runs), env=env)
    assert again.returncode == 0 and "trial: done" not in again.stdout, again.stdout   # finished trials are not run again
    wider = _asm_wb("tables", "tune", "quickstart", "--scale", "smoke", "--factors", "0.5,2,8", "--store", str(store), "--runs", str(runs), env=env)
    assert wider.returncode == 0, wider.stdout + wider.stderr   # a wider grid runs only what is new; ASM follows IID's choice
    with ResultStore(store) as st:
        trials, choices = st.trials("quickstart", "smoke"), st.choices("quickstart", "smoke")
    iid, asm = [[t for t in trials if t["row_name"] == r] for r in ("IID", "ASM Conv1-2")]
    assert [t["value"] for t in iid] == [5e-4, 2e-3, 8e-3] and len(asm) == 3, trials
    assert {t["settings"]["lr"] for t in asm} == {choices["IID"]["lr"]} and all(t["status"] == "done" for t in asm), asm
    assert ("set aside" in wider.stdout) == (choices["IID"]["lr"] == 8e-3), wider.stdout
    edge = any(at_edge(t, [u for u in trials if u["row_name"] == t["row_name"]]) for t in
               [next(u for u in trials if u["row_name"] == r and u["settings"] == c) for r, c in choices.items()])
    widen = _asm_wb("tables", "tune", "quickstart", "--scale", "smoke", "--factors", "0.5,2,8", "--widen", "1", "--store", str(store),
                    "--runs", str(runs), env=env)   # a choice at an end of its grid widens every row's grid once
    assert widen.returncode == 0 and ("grid widened to" in widen.stdout) == edge, widen.stdout + widen.stderr
    with ResultStore(store) as st:
        counts = {r: sum(t["row_name"] == r for t in st.trials("quickstart", "smoke")) for r in ("IID", "ASM Conv1-2")}
    assert (counts["IID"] > 3) == edge and all(c >= 3 for c in counts.values()), counts
    run = _asm_wb("tables", "run", "quickstart", "--scale", "smoke", "--store", str(store), "--runs", str(runs), env=env)
    assert run.returncode == 0 and "protocol: tuned" in run.stdout, run.stdout + run.stderr
    with ResultStore(store) as st:
        members = st.members("quickstart", "smoke", "tuned")
    assert [(m["row_name"], m["status"]) for m in members] == [("IID", "done"), ("ASM Conv1-2", "done")]
    for m in members:
        assert m["params"]["holdout"] is None and all(m["params"][k] == v for k, v in choices[m["row_name"]].items())
