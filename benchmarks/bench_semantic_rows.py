"""The cost of the semantic tables' settings at `cpu` scale: one full training step (the adversary's phase, then the
predictor's; data loading timed apart) of Table 2's rows as the runner would train them, side by side in one run.

The parameters are the table's own (`asm_wb.specs.TABLES['table2'].params(row, 'cpu')`: EfficientNet-Lite0 with its
ImageNet weights, FCN-8s skips to stride 8, 320 px crops of CamVid, batch 8, SGD), so the analyzer reads 40x40 label
maps. Each row is timed by the median of its steps after a warm-up step; a projection of the table's wall time
(steps x ms, 3 seeds, evaluation left out) follows. Time on a quiet machine (`uptime` is printed first): run it alone.

    python benchmarks/bench_semantic_rows.py                 # Table 2's FCN rows and the other heads' IID and ASM rows
    python benchmarks/bench_semantic_rows.py --threads 2     # torch threads (default: torch's choice)
    python benchmarks/bench_semantic_rows.py --quick         # procedural data at 64 px, batch 2: a smoke run
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import torch

from asm_wb.specs import TABLES
from asm_wb.config import TrainConfig
from asm_wb.train import Trainer, _to

ROWS = ('FCN IID', 'FCN GAN', 'FCN cGAN', 'FCN ASM', 'DeepLab IID', 'DeepLab ASM', 'PSPNet IID', 'PSPNet ASM')


def uptime() -> str:
    "The `uptime` line, or the load averages where the command is missing."
    try: return subprocess.run(['uptime'], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError): return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def time_row(params: dict, steps: int, run_dir: str) -> tuple[float, float, tuple]:
    "(median ms per training step, median ms per batch loaded, logits' (h, w)) of one row."
    tr = Trainer(TrainConfig(**(params | dict(steps=steps + 1, run_dir=run_dir, threads=torch.get_num_threads()))), progress=False)
    step_ms, load_ms, it = [], [], iter(tr._loader())
    for i in range(steps + 1):
        t0 = time.perf_counter(); batch = _to(next(it), tr.device, tr.channels_last)
        t1 = time.perf_counter(); tr.train_step(batch); tr.step += 1
        t2 = time.perf_counter()
        if i: load_ms.append(1000 * (t1 - t0)); step_ms.append(1000 * (t2 - t1))   # the first step warms up
    return statistics.median(step_ms), statistics.median(load_ms), tuple(batch['label'].shape[-2:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="procedural shapes_multi at 64 px, batch 2, 1 timed step (smoke test)")
    p.add_argument("--steps", type=int, default=4, help="timed steps per row")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--rows", default=','.join(ROWS), help="Table 2 rows, comma-separated")
    opts = p.parse_args()
    if opts.threads: torch.set_num_threads(opts.threads)
    spec, steps = TABLES['table2'], 1 if opts.quick else opts.steps
    rows = [r.strip() for r in opts.rows.split(',') if r.strip()][:2 if opts.quick else None]
    print(f"uptime: {uptime()}")
    load, t_start = os.getloadavg()[0], time.perf_counter()
    def params(row):
        if opts.quick: return {**spec.params(row, 'smoke'), 'dataset': 'shapes_multi', 'data_root': None, 'size': 64, 'batch_size': 2}
        return spec.params(row, 'cpu')
    first = params(rows[0])
    print(f"table2 rows at {'smoke (quick)' if opts.quick else 'cpu'} scale: {first['arch']} (pretrained={first['pretrained']}), "
          f"{first['size']} px, batch {first['batch_size']}, {first['optimizer']}; {torch.get_num_threads()} threads; median of {steps} "
          "steps after one warm-up" + (" (load above 0.5: timings are rough)" if load > 0.5 else ""))
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for row in rows:
            p_row = params(row)
            results[row] = time_row(p_row, steps, os.path.join(d, row.replace(' ', '_'))) + (p_row['steps'],)
    base = next(iter(results.values()))[0]
    print(f"{'row':<14}{'label map':>10}{'ms / step':>11}{'ms / batch':>12}{'ratio':>8}{'run (min)':>11}")
    for row, (ms, load_ms, hw, n) in results.items():
        print(f"{row:<14}{f'{hw[0]}x{hw[1]}':>10}{ms:>11.0f}{load_ms:>12.0f}{ms / base:>7.2f}x{n * (ms + load_ms) / 60000:>11.1f}")
    if not opts.quick:
        per_row = {r: n * (ms + lm) / 3600000 for r, (ms, lm, hw, n) in results.items()}
        fcn_gan = [per_row[r] for r in ('FCN GAN', 'FCN cGAN') if r in per_row]
        # the table's 12 rows: 3 heads x (IID, GAN, cGAN, ASM); heads not timed for GAN/cGAN take FCN's GAN/cGAN overhead
        total = 0.0
        for head in ('FCN', 'DeepLab', 'PSPNet'):
            iid, asm = per_row.get(f'{head} IID'), per_row.get(f'{head} ASM')
            if iid is None or asm is None: continue
            gan = [iid + (g - per_row['FCN IID']) for g in fcn_gan] if 'FCN IID' in per_row else []
            total += iid + asm + sum(gan)
        print(f"projected Table 2 at cpu scale, 3 seeds, training only: {3 * total:.1f} hours on this machine")
    print(f"benchmark wall time: {time.perf_counter() - t_start:.1f} seconds")


if __name__ == "__main__":
    main()
