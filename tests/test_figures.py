"""Integration test of `asm-wb figures`, where a notebook cell is the wrong place: a `smoke` table through papermill,
then its analyzer figures (nbs/figures.ipynb through papermill), kept curated beside the store with the runs' keys."""
import os
from pathlib import Path

import nbformat

from test_tables import _asm_wb
from asm_wb.figures import FIGURES
from asm_wb.store import ResultStore
from asm_wb.viz import PLOTLY_MARKER

TABLE = 'table3'   # procedural rooms: needs no data; ASM against IID and cGAN


def test_figures_of_a_smoke_table(tmp_path):
    env = os.environ | {"ASM_WB_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    store, runs, out = tmp_path / "reports" / "results.sqlite", tmp_path / "runs", tmp_path / "figures"
    r = _asm_wb("tables", "run", TABLE, "--scale", "smoke", "--seeds", "1", "--workers", "2", "--store", store, "--runs", runs, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    r = _asm_wb("figures", TABLE, "--scale", "smoke", "--store", store, "--out", out, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    kept = out / f"{TABLE}-smoke.ipynb"
    assert r.stdout.startswith(f"{TABLE} at scale smoke, seed 0: {kept} ("), r.stdout

    nb = nbformat.read(kept, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    # Figs. 3 and 4 for ASM, IID and cGAN; Fig. 5: 3 filters of each of analyzer9's 5 layers, but conv1, which has only
    # 2 at smoke width 4 (the released analyzer's conv1 has half the base width)
    assert sum("plotly-graph-div" in h for h in html) == 3 + 3 + 2 + 4 * 3
    assert not any(PLOTLY_MARKER in h for h in html)                                   # curated: no inline plotly.js
    assert not any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)   # nor plotly's JSON twice
    tables = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    assert "| run | conv1* | conv2* | conv3 | conv4 | conv5 | V (conv1+conv2) |" in tables, tables   # ASM matched conv1-2
    assert all(f"\n| {loss} (rooms-depth-{loss.lower()}-" in tables for loss in ("ASM", "IID", "cGAN")), tables

    meta = nb.metadata["asm_wb"]
    with ResultStore(store) as st:
        members = {m["row_name"]: m for m in st.members(TABLE, "smoke")}
    assert (meta["table"], meta["scale"], meta["seed"], meta["row"], meta["compare"]) == \
        (TABLE, "smoke", 0, FIGURES[TABLE]["row"], list(FIGURES[TABLE]["compare"]))
    assert meta["runs"] == {row: {"key": m["key"], "run_dir": str(Path(m["run_dir"]).resolve()), "loss": m["params"]["loss"]}
                            for row, m in members.items()}
    asm_dir = Path(members["ASM"]["run_dir"])
    assert meta["params"]["run"] == str(asm_dir.resolve()) and meta["params"]["images"] == "0,1,2,3"
    assert (asm_dir / "analysis" / "figures.ipynb").is_file()                         # the executed notebook, uncurated
