"""Integration tests of training where a notebook cell is the wrong place: nbs/train.ipynb run by papermill (every loss,
bad parameters), a run killed with SIGKILL and resumed, and a 2-process torchrun run. Sizes are tiny: seconds each."""
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import papermill as pm
import pytest
import torch

from conftest import BIN, ROOT
from asm_wb.losses import LOSSES
from asm_wb.config import PARAM_NAMES, parameters_source
from asm_wb.runs import CHECKPOINT, load_checkpoint, run_notebook
from asm_wb.viz import PLOTLY_MARKER

NOTEBOOK = ROOT / "nbs" / "train.ipynb"
TINY = dict(size=32, n_train=8, n_val=4, steps=20, batch_size=4, width=4, analyzer_width=4, checkpoint_every=10)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    "One procedural-data cache for every process these tests start."
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("ASM_WB_CACHE")
    os.environ["ASM_WB_CACHE"] = str(path)
    yield path
    if old is None: os.environ.pop("ASM_WB_CACHE")
    else: os.environ["ASM_WB_CACHE"] = old


def _env(cache, threads=1):
    return os.environ | {"ASM_WB_CACHE": str(cache), "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}


def test_parameters_cell_is_the_documented_set():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "train.ipynb needs exactly one cell tagged 'parameters' (papermill injects after it)"
    assert tagged[0].source == parameters_source(), \
        "train.ipynb's parameters cell differs from asm_wb.config.PARAMS: regenerate it from parameters_source()"


def test_help_notebook_lists_every_parameter():
    r = subprocess.run([str(BIN / "papermill"), "--help-notebook", str(NOTEBOOK)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in PARAM_NAMES:
        assert f"\n  {name}: " in r.stdout, f"papermill --help-notebook does not document {name!r}:\n{r.stdout}"
    assert "Unknown type" not in r.stdout and "training loss: 'iid', 'asm', 'gan', 'cgan' or 'iid+asm'" in r.stdout


@pytest.fixture(scope="module")
def loss_runs(cache, tmp_path_factory):
    "A tiny papermill run of train.ipynb for every loss (about 6 s each)."
    root = tmp_path_factory.mktemp("runs")
    def one(loss):
        try: return run_notebook(TINY | {"loss": loss}, root / loss.replace("+", "_")), None
        except Exception as e: return None, e
    return root, {loss: one(loss) for loss in LOSSES}


@pytest.mark.parametrize("loss", LOSSES)
def test_papermill_run_of_each_loss_writes_metrics(loss_runs, loss):
    root, runs = loss_runs
    result, err = runs[loss]
    assert err is None, f"papermill run of loss {loss!r} failed: {err}"
    run_dir = root / loss.replace("+", "_")
    on_disk = json.loads((run_dir / "metrics.json").read_text())
    assert on_disk == result
    assert on_disk["status"] == "done" and on_disk["params"]["loss"] == loss and on_disk["steps"] == 20
    assert set(on_disk["params"]) == set(PARAM_NAMES)
    assert 0 <= on_disk["metrics"]["miou"] <= 1 and 0 <= on_disk["metrics"]["boundary_f"] <= 1
    assert {"total_s", "train_s", "eval_s", "ms_per_step"} <= set(on_disk["timing"]) and on_disk["asm_wb"]
    assert load_checkpoint(run_dir / CHECKPOINT)["step"] == 20
    # the executed notebook keeps its figures as HTML that needs no network
    nb = nbformat.read(run_dir / "train.ipynb", as_version=4)
    html = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "text/html" in o.get("data", {})]
    assert sum("Plotly.newPlot" in h for h in html) == 2, "expected the loss curves and the predictions as plotly HTML"
    assert sum(PLOTLY_MARKER in h for h in html) == 1, "plotly.js should be in the notebook exactly once"
    figures = [h for h in html if PLOTLY_MARKER not in h]
    assert not any("<script src" in h or "cdn" in h.lower() for h in figures), "a figure loads something from the network"


def _papermill_error(tmp_path, **params):
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), parameters=TINY | params | {"run_dir": str(tmp_path / "run")},
                            progress_bar=False, cwd=str(NOTEBOOK.parent))
    assert not (tmp_path / "run").exists(), "a bad parameter must stop the notebook before it trains or writes anything"
    return info.value


def test_unknown_parameter_fails_with_its_name(tmp_path, cache):
    e = _papermill_error(tmp_path, lossy="asm")
    assert e.ename == "ValueError" and "unknown parameter: 'lossy' (did you mean 'loss'?)" in e.evalue, e.evalue
    assert "valid parameters: 'task', 'dataset'" in e.evalue


def test_invalid_value_fails_with_the_choices(tmp_path, cache):
    e = _papermill_error(tmp_path, loss="adversarial")
    assert e.ename == "ValueError" and "invalid value 'adversarial' for parameter 'loss'" in e.evalue, e.evalue
    assert "valid choices: 'iid', 'asm', 'gan', 'cgan', 'iid+asm'" in e.evalue


def _train_cmd(run_dir, *extra, steps=150):
    args = dict(TINY, loss="asm", steps=steps, size=48, width=8, n_train=16, checkpoint_every=10, run_dir=str(run_dir))
    return [str(BIN / "asm-wb"), "train", "--quiet"] + [a for k, v in args.items() for a in (f"--{k}", str(v))] + list(extra)


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path, cache):
    killed = tmp_path / "killed"
    p = subprocess.Popen(_train_cmd(killed), env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (killed / CHECKPOINT).exists() and p.poll() is None and time.time() < deadline: time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait(30)
    assert p.returncode == -signal.SIGKILL, f"the run ended before it could be killed (rc {p.returncode}): {p.stderr.read().decode()}"
    at_kill = load_checkpoint(killed / CHECKPOINT)["step"]
    assert 0 < at_kill < 150

    r = subprocess.run(_train_cmd(killed, "--resume", "True"), env=_env(cache), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    whole = tmp_path / "whole"
    r = subprocess.run(_train_cmd(whole), env=_env(cache), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

    a, b = load_checkpoint(killed / CHECKPOINT), load_checkpoint(whole / CHECKPOINT)
    assert a["step"] == b["step"] == 150
    for net in ("predictor", "adversary"):
        assert a[net].keys() == b[net].keys()
        different = [k for k in a[net] if not torch.equal(a[net][k], b[net][k])]
        assert not different, f"resumed after SIGKILL at step {at_kill}, the {net} differs from the uninterrupted run in {different[:5]}"
    assert torch.equal(a["history"]["S/asm"], b["history"]["S/asm"])
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (killed, whole))
    assert ma["metrics"] == mb["metrics"]


def test_torchrun_two_processes_train_and_write_one_result(tmp_path, cache):
    run_dir = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *_train_cmd(run_dir, steps=12)]
    r = subprocess.run(cmd, env=_env(cache), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, f"torchrun failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    result = json.loads((run_dir / "metrics.json").read_text())
    assert result["status"] == "done" and result["world_size"] == 2 and result["steps"] == 12
    assert r.stdout.count(f"{run_dir}: done after 12 steps") == 1, "only process 0 reports"
    assert sorted(p.name for p in run_dir.iterdir()) == ["checkpoint.pt", "history.json", "metrics.json"]
    assert len(json.loads((run_dir / "history.json").read_text())["step"]) == 12


def test_quickstart_trains_both_and_prints_them_side_by_side(tmp_path, cache):
    "The main job's command, with 3 steps per run; a second call reuses the finished runs."
    cmd = [str(BIN / "asm-wb"), "quickstart", "--steps", "3", "--runs", str(tmp_path), "--quiet"]
    r = subprocess.run(cmd, env=_env(cache, threads=2), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    table = r.stdout[r.stdout.index("loss "):].splitlines()
    assert table[0].split() == ["loss", "mIoU", "IoU", "fig", "boundary", "F", "ms/step", "train", "s", "wall", "s"], r.stdout
    assert [row.split()[0] for row in table[1:3]] == ["iid", "asm"], r.stdout
    for loss in ("iid", "asm"):
        run = tmp_path / "quickstart-3steps" / loss
        assert json.loads((run / "metrics.json").read_text())["status"] == "done" and (run / "train.ipynb").is_file()
    site = tmp_path / "quickstart-3steps" / "site"   # it ends by building the site of both runs and printing its path
    assert f"Site of both runs (works offline): {(site / 'index.html').resolve().as_uri()}" in r.stdout, r.stdout
    assert (site / "tables" / "quickstart-cpu.html").is_file() and len(list((site / "runs").glob("*.html"))) == 2
    again = subprocess.run(cmd, env=_env(cache, threads=2), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.split("loss ")[1] == r.stdout.split("loss ")[1], "finished runs are reused as they are"
