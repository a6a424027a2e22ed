"""Milliseconds per dashboard update, for each control of each dashboard, against the target of 1000 ms on a CPU at 128x128.

Trains two short runs (ASM and IID, 128x128, 30 steps, widths 32) in a temp dir unless --run-dir is given, builds the
four dashboards of asm_wb.dashboards on the ASM run, then sets each control to a few values and times each callback
(the analysis, the figure and the FigureWidget update; the browser's drawing is not included). One-time work (the
pass over the split behind the top-k patches, a second run's confusion matrix) is timed on its own rows.

    python benchmarks/bench_dashboards.py            # 128x128, about a minute on 2 CPU cores
    python benchmarks/bench_dashboards.py --quick    # 32x32 tiny runs, a few seconds (a smoke test)
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

TARGET_MS = 1000.0


def train_runs(root:Path, quick:bool) -> tuple[Path, Path]:
    from asm_wb.train import run_training
    sizes = (dict(size=32, width=4, analyzer_width=4, steps=5, n_train=8, n_val=8, batch_size=4) if quick else
             dict(size=128, width=32, steps=30, n_train=32, n_val=64, batch_size=8))
    for loss in ("asm", "iid"):
        t0 = time.perf_counter()
        run_training(dict(sizes, loss=loss, checkpoint_every=0, run_dir=str(root / loss), device="cpu"), progress=False)
        print(f"trained the {loss} run ({sizes['size']}x{sizes['size']}, {sizes['steps']} steps) in {time.perf_counter() - t0:.1f} seconds")
    return root / "asm", root / "iid"


def time_control(dash, name:str, values, repeats:int) -> list[float]:
    "ms of each `dash.controls[name].value = v` (the callback runs synchronously), over `repeats` rounds of `values`."
    out, w = [], dash.controls[name]
    for _ in range(repeats):
        for v in values:
            if w.value == v: continue
            t0 = time.perf_counter(); w.value = v; ms = 1000 * (time.perf_counter() - t0)
            if dash.error is not None: raise RuntimeError(f"{type(dash).__name__}.{name} = {v!r}: {dash.error}")
            out.append(ms)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny 32x32 runs, a few seconds (a smoke test)")
    ap.add_argument("--run-dir", default=None, help="measure on this ASM run instead of training one (its sibling runs are compared)")
    ap.add_argument("--repeats", type=int, default=None, help="rounds over each control's values (default 3; 1 with --quick)")
    args = ap.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    from asm_wb.analysis import load_run
    from asm_wb.dashboards import AttributionDashboard, ConfusionDashboard, PatchDashboard, StructureDashboard

    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="asm_wb-bench-dashboards-") as tmp:
        if args.run_dir: asm_dir = Path(args.run_dir); others = [d for d in asm_dir.parent.iterdir() if d != asm_dir and (d / "metrics.json").is_file()]
        else: asm_dir, iid_dir = train_runs(Path(tmp), args.quick); others = [iid_dir]
        run = load_run(asm_dir)
        size = run.cfg.size
        rows = []   # (dashboard, control, values, [ms], note)
        def build(cls, *a, **kw):
            t0 = time.perf_counter(); d = cls(*a, **kw); ms = 1000 * (time.perf_counter() - t0)
            rows.append((cls.__name__, "(build)", "", [ms], "one-time: first figures, widgets, caches"))
            return d
        s = build(StructureDashboard, run)
        rows.append(("StructureDashboard", "index", "1,2,3", time_control(s, "index", [1, 2, 3], repeats), ""))
        rows.append(("StructureDashboard", "hard", "on/off", time_control(s, "hard", [True, False], repeats), ""))
        p = build(PatchDashboard, run, k=8)
        rows.append(("PatchDashboard", "filter", "1,2,3", time_control(p, "filter", [1, 2, 3], repeats), ""))
        rows.append(("PatchDashboard", "layer", "conv2,conv3,conv1", time_control(p, "layer", ["conv2", "conv3", "conv1"], repeats), ""))
        rows.append(("PatchDashboard", "k", "4,16,8", time_control(p, "k", [4, 16, 8], repeats), ""))
        rows.append(("PatchDashboard", "source", "prediction", time_control(p, "source", ["prediction"], 1), "one-time: a pass over the split"))
        rows.append(("PatchDashboard", "source", "truth,prediction", time_control(p, "source", ["truth", "prediction"], repeats), "cached"))
        c = build(ConfusionDashboard, run, compare=others)
        second = list(c.controls["second"].options)[1]
        rows.append(("ConfusionDashboard", "second", second, time_control(c, "second", [second], 1), "one-time: load the run, its confusion"))
        rows.append(("ConfusionDashboard", "second", f"none,{second}", time_control(c, "second", ["(none)", second], repeats), "cached"))
        a = build(AttributionDashboard, run)
        rows.append(("AttributionDashboard", "index", "1,2,3", time_control(a, "index", [1, 2, 3], repeats), "Grad-CAM + 2 x IG (8 steps)"))
        rows.append(("AttributionDashboard", "layer", "conv2,conv1", time_control(a, "layer", ["conv2", "conv1"], repeats), "Grad-CAM only"))
        targets = [t for t in a.controls["target"].options if t != "asm"][:2] + ["asm"]
        rows.append(("AttributionDashboard", "target", ",".join(targets), time_control(a, "target", targets, 1), "IG on the image"))

    print(f"\ndashboard updates on CPU ({torch.get_num_threads()} threads) at {size}x{size}, run {asm_dir.name} "
          f"(width {run.cfg.width}); target {TARGET_MS:.0f} ms per update")
    head = f"{'dashboard':<21} {'control':<8} {'values':<20} {'ms/update':>10} {'max ms':>8} {'target':>7}  {'ok':<4} note"
    print(head); print("-" * (len(head) + 30))
    for dash, control, values, ms, note in rows:
        med, top = statistics.median(ms), max(ms)
        ok = "-" if control == "(build)" or note.startswith("one-time") else ("yes" if top < TARGET_MS else "NO")
        print(f"{dash:<21} {control:<8} {values[:20]:<20} {med:>10.1f} {top:>8.1f} {TARGET_MS:>7.0f}  {ok:<4} {note}")
    print(f"\ntotal: {time.perf_counter() - t_all:.1f} seconds (training included)")


if __name__ == "__main__":
    main()
