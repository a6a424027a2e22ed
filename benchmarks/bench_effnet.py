"""EfficientNet-Lite0 on the CPU: one training step (forward + backward) of the pretrained `fcn_effnet` at 320 px, batch 8,
in three configurations side by side in one run: FCN-8s skips down to output stride 8 (`dilate=False`, the default),
no skips at output stride 32, and the backbone dilated to output stride 8 (`dilate=True`).

Each configuration is timed by the median of interleaved steps after a warm-up (cross-entropy on random labels at the
logits' size; no optimiser step); the ratios are to the first configuration. Time on a quiet machine (`uptime` is
printed first): run it alone.

    python benchmarks/bench_effnet.py                # 320 px, batch 8, 5 timed steps
    python benchmarks/bench_effnet.py --threads 2    # torch threads (default: torch's choice)
    python benchmarks/bench_effnet.py --quick        # 64 px, batch 2, 1 step: a smoke run
"""
import argparse
import os
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F

from asm_wb.zoo import create_model

# label -> fcn_effnet's keyword arguments (all pretrained)
CONFIGS = {
    'skips, os 8': dict(output_stride=8, dilate=False),
    'no skips, os 32': dict(output_stride=32, dilate=False),
    'dilated, os 8': dict(output_stride=8, dilate=True),
}


def uptime() -> str:
    "The `uptime` line, or the load averages where the command is missing."
    try: return subprocess.run(['uptime'], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError): return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def setup(kw, batch_size, size, g):
    "The network, a batch of images and random labels at the logits' size."
    net = create_model('fcn_effnet', pretrained=True, **kw).train()
    x = torch.randn(batch_size, 3, size, size, generator=g)
    with torch.no_grad(): h, w = net(x[:2]).shape[-2:]
    return net, x, torch.randint(0, net.num_classes, (batch_size, h, w), generator=g)


def step(net, x, y):
    net.zero_grad(set_to_none=True)
    F.cross_entropy(net(x), y).backward()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="64 px, batch 2, one timed step (smoke test)")
    p.add_argument("--steps", type=int, default=5, help="timed steps per configuration")
    p.add_argument("--size", type=int, default=320)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    opts = p.parse_args()
    if opts.threads: torch.set_num_threads(opts.threads)
    size, batch_size, steps, warmup = (64, 2, 1, 1) if opts.quick else (opts.size, opts.batch_size, opts.steps, 2)
    print(f"uptime: {uptime()}")
    load, t_start = os.getloadavg()[0], time.perf_counter()
    print(f"fcn_effnet (pretrained) training step on the CPU: forward + backward, {size} px, batch {batch_size}, "
          f"{torch.get_num_threads()} threads, median of {steps} interleaved steps"
          + (" (load above 0.5: timings are rough)" if load > 0.5 else ""))
    g = torch.Generator().manual_seed(0)
    runs = {label: setup(kw, batch_size, size, g) for label, kw in CONFIGS.items()}
    for label, run in runs.items():
        for _ in range(warmup): step(*run)
    times = {label: [] for label in runs}
    for _ in range(steps):
        for label, run in runs.items():
            t = time.perf_counter(); step(*run); times[label].append(time.perf_counter() - t)
    ms = {label: 1000 * statistics.median(v) for label, v in times.items()}
    first = next(iter(ms.values()))
    print(f"{'configuration':<18}{'logits':>9}{'params':>12}{'ms / step':>12}{'ratio':>8}")
    for label, (net, x, y) in runs.items():
        h, w = y.shape[-2:]
        params = sum(p.numel() for p in net.parameters())
        print(f"{label:<18}{f'{h}x{w}':>9}{params:>12,}{ms[label]:>12.0f}{ms[label] / first:>7.2f}x")
    print(f"benchmark wall time: {time.perf_counter() - t_start:.1f} seconds")


if __name__ == "__main__":
    main()
