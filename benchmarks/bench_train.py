"""Cost of a training step: IID against ASM in one run, on the horse-like configuration.

7-conv U-Net predictor, 7-conv structure analyzer, 128x128 images, batch 8 (procedural `shapes`, figure-ground).
For each loss: milliseconds per step (the median of interleaved timed steps, data loading excluded), FLOPs per step
(torch.utils.flop_counter: forward and backward of both players' phases), achieved GFLOP/s, and that as a share of
what a large float32 matmul reaches on this machine in the same run. Target: an ASM step costs at most 1.4x an IID step.
The matmul is timed before and after the steps and the better of the two is kept, so that a burst of load from another
process does not deflate it (an earlier version timed it once, after the steps, and reported 86-99 % of a matmul that
another process had slowed). Time on a quiet machine (`uptime` first); the script prints the load average it started at.

    python benchmarks/bench_train.py            # the configuration above
    python benchmarks/bench_train.py --quick    # 64x64, few steps: a smoke run
"""
import argparse
import os
import statistics
import tempfile
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from asm_wb.config import DEFAULTS, TrainConfig
from asm_wb.train import Trainer, _to

TARGET = 1.4


def matmul_gflops(n: int, repeats: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def step_flops(trainer, batch) -> int:
    with FlopCounterMode(display=False) as counter:
        trainer.train_step(batch)
    return counter.get_total_flops()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="64x64 and a few steps (smoke test)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--width", type=int, default=DEFAULTS["width"], help="the predictor's base width (default: train.ipynb's)")
    p.add_argument("--analyzer-width", type=int, default=32)
    p.add_argument("--steps", type=int, default=20, help="timed steps per loss")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    opts = p.parse_args()
    if opts.quick: opts.size, opts.steps = 64, 3
    if opts.threads: torch.set_num_threads(opts.threads)

    load = os.getloadavg()[0]
    peak_before = matmul_gflops(1024 if opts.quick else 2048, 3 if opts.quick else 10)
    tmp = tempfile.mkdtemp()
    common = dict(size=opts.size, batch_size=opts.batch_size, width=opts.width, analyzer_width=opts.analyzer_width,
                  n_train=opts.batch_size, n_val=1, steps=10 ** 6, arch="unet7", analyzer="analyzer7", device="cpu")
    trainers = {loss: Trainer(TrainConfig(loss=loss, run_dir=f"{tmp}/{loss}", **common), progress=False) for loss in ("iid", "asm")}
    batch = {loss: _to(next(iter(tr._loader())), tr.device, False) for loss, tr in trainers.items()}
    for loss, tr in trainers.items():          # warm-up
        for _ in range(3): tr.train_step(batch[loss])
    times = {loss: [] for loss in trainers}
    for _ in range(opts.steps):                 # interleaved, so that drift in the machine's speed hits both alike
        for loss, tr in trainers.items():
            t = time.perf_counter(); tr.train_step(batch[loss]); times[loss].append(time.perf_counter() - t)
    flops = {loss: step_flops(tr, batch[loss]) for loss, tr in trainers.items()}
    peak = max(peak_before, matmul_gflops(1024 if opts.quick else 2048, 3 if opts.quick else 10))

    ms = {loss: 1000 * statistics.median(v) for loss, v in times.items()}
    print(f"Training step, unet7 (width {opts.width}) + analyzer7 (width {opts.analyzer_width}), {opts.size}x{opts.size}, "
          f"batch {opts.batch_size}, {torch.get_num_threads()} threads, {opts.steps} timed steps per loss; load average "
          f"before: {load:.2f}" + (" (not quiet: the ratios are rough)" if load > 0.5 else ""))
    print(f"float32 matmul ({1024 if opts.quick else 2048}^2): {peak:.1f} GFLOP/s\n")
    print(f"{'loss':<6}{'ms/step':>10}{'vs IID':>9}{'GFLOP/step':>12}{'GFLOP/s':>10}{'of matmul':>11}")
    for loss in trainers:
        gf = flops[loss] / 1e9
        print(f"{loss:<6}{ms[loss]:>10.1f}{ms[loss] / ms['iid']:>8.2f}x{gf:>12.2f}{gf / (ms[loss] / 1000):>10.1f}"
              f"{gf / (ms[loss] / 1000) / peak:>10.0%}")
    ratio = ms["asm"] / ms["iid"]
    print(f"\nASM/IID step time: {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}; "
          f"seconds per 1000 steps: IID {ms['iid']:.0f}, ASM {ms['asm']:.0f}")


if __name__ == "__main__":
    main()
