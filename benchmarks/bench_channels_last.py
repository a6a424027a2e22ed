"""Channels-last on the CPU: the step time of every network of the cpu-scale tables, in the default memory format and in
channels-last, side by side in one run (and bfloat16 autocast on request).

For each network, the configuration of the table row that uses it at `cpu` scale (size, width, batch; procedural data of the
same task, since the cost of a step does not depend on what the pixels show), an IID step and an ASM step (analyzer included),
each format timed by the median of interleaved steps after a warm-up. A ratio below 1 means channels-last is faster.
`asm_wb.train.CHANNELS_LAST_CPU` lists the networks where it won by more than 5 % in this benchmark; the trainer's
`channels_last='auto'` turns it on for them. Time on a quiet machine (`uptime` first): run it alone.

    python benchmarks/bench_channels_last.py              # every network (several minutes)
    python benchmarks/bench_channels_last.py --quick      # two small networks, few steps: a smoke run
    python benchmarks/bench_channels_last.py --bf16       # also bfloat16 autocast (slower on most CPUs)
"""
import argparse
import os
import statistics
import tempfile
import time

import torch

from asm_wb.config import TrainConfig
from asm_wb.train import Trainer, _to

# network -> (where the cpu-scale tables use it, its training parameters there; the data is procedural)
NETWORKS = {
    'unet7': ("quickstart, table1_horse, fig7/fig10", dict(dataset='shapes', task='figure_ground', size=64, width=32, analyzer='analyzer7')),
    'unet18': ("table3, table4, table5", dict(dataset='rooms', task='normal', size=64, width=16, analyzer='analyzer9')),
    'fcn_resnet18': ("table1_semantic, table2, fig6", dict(dataset='shapes_multi', task='semantic', size=128, analyzer='analyzer5')),
    'deeplab_resnet18': ("table2", dict(dataset='shapes_multi', task='semantic', size=128, analyzer='analyzer5')),
    'pspnet_resnet18': ("table2", dict(dataset='shapes_multi', task='semantic', size=128, analyzer='analyzer5')),
    'fcn_resnet50': ("table5 (ResNet-50 IID)", dict(dataset='rooms', task='depth+normal', size=64, analyzer='analyzer9_joint')),
}
QUICK = {'unet7': dict(size=32, width=8), 'fcn_resnet18': dict(size=64)}


def trainer(arch, kw, loss, fmt, batch_size, tmp):
    amp = 'bf16' if fmt == 'bf16' else 'off'
    cfg = TrainConfig(arch=arch, loss=loss, batch_size=batch_size, n_train=batch_size, n_val=1, steps=10 ** 6, device='cpu',
                      channels_last=fmt != 'default', amp=amp, run_dir=f"{tmp}/{arch}-{loss}-{fmt}", **kw)
    tr = Trainer(cfg, progress=False)
    return tr, _to(next(iter(tr._loader())), tr.device, tr.channels_last)


def time_network(arch, kw, loss, formats, batch_size, steps, warmup, tmp):
    "Median ms per training step of each format, interleaved."
    runs = {f: trainer(arch, kw, loss, f, batch_size, tmp) for f in formats}
    for f, (tr, b) in runs.items():
        for _ in range(warmup): tr.train_step(b)
    times = {f: [] for f in formats}
    for _ in range(steps):
        for f, (tr, b) in runs.items():
            t = time.perf_counter(); tr.train_step(b); times[f].append(time.perf_counter() - t)
    return {f: 1000 * statistics.median(v) for f, v in times.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="two small networks, few steps (smoke test)")
    p.add_argument("--bf16", action="store_true", help="also time bfloat16 autocast (with channels-last)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per format")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--losses", default="iid,asm", help="comma-separated losses to time (default: iid,asm)")
    opts = p.parse_args()
    if opts.threads: torch.set_num_threads(opts.threads)
    nets = {a: (w, NETWORKS[a][1] | q) for a, q in QUICK.items() for w in [NETWORKS[a][0]]} if opts.quick else NETWORKS
    steps, warmup = (2, 1) if opts.quick else (opts.steps, 3)
    formats = ('default', 'channels_last') + (('bf16',) if opts.bf16 else ())
    tmp, t_start = tempfile.mkdtemp(), time.perf_counter()
    load = os.getloadavg()[0]
    print(f"Training step on the CPU, default memory format against channels-last; {torch.get_num_threads()} threads, batch "
          f"{opts.batch_size}, median of {steps} interleaved steps; load average before: {load:.2f}"
          + (" (not quiet: timings are rough)" if load > 0.5 else ""))
    head = f"{'network':<18}{'loss':<6}{'size':>5}" + "".join(f"{f + ' ms':>18}" for f in formats) + f"{'CL / default':>14}"
    print(head)
    wins = []
    for arch, (where, kw) in nets.items():
        ratios = []
        for loss in opts.losses.split(','):
            ms = time_network(arch, kw, loss, formats, opts.batch_size, steps, warmup, tmp)
            r = ms['channels_last'] / ms['default']; ratios.append(r)
            print(f"{arch:<18}{loss:<6}{kw['size']:>5}" + "".join(f"{ms[f]:>18.1f}" for f in formats) + f"{r:>13.2f}x")
        if all(r < 0.95 for r in ratios): wins.append(arch)
    print(f"\nchannels-last faster by more than 5 % for every loss timed: {', '.join(wins) or 'none'}")
    print("(asm_wb.train.CHANNELS_LAST_CPU holds the set measured for the default; `channels_last='auto'` uses it on the CPU)")
    print(f"benchmark wall time: {time.perf_counter() - t_start:.1f} seconds")


if __name__ == "__main__":
    main()
