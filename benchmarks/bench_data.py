"""Images per second for every procedural generator and real loader at 128x128.

    python benchmarks/bench_data.py            # the full benchmark
    python benchmarks/bench_data.py --quick    # a few images each: a smoke test

Generators are timed cold (generating, with an empty cache) and warm (reading the disk cache back);
loaders are timed decoding files from `--data` (default: ../shared/data) and resizing them to 128x128,
bare and with the training transform. A real dataset that is absent is listed as skipped.
One process, one thread by default (`--threads`), so the figures compare with each other.
"""
from __future__ import annotations

import argparse, platform, tempfile, time
from pathlib import Path

import torch

from asm_wb.data import default_data_dir, eval_transform, train_transform
from asm_wb.datasets import get_dataset

REAL = {  # name -> (sub-folder of the data directory, split, options)
    'horse': ('weizmann_horse', 'train', {}),
    'camvid': ('camvid', 'val', {}),
    'voc': ('voc2012_sample', 'train', {}),
    'rgbd': ('rgbd_sample', 'all', {}),
}

def rate(ds, n:int) -> float:
    "Images per second over the first n items (all of them if fewer)."
    n = min(n, len(ds)); t = time.perf_counter()
    for i in range(n): ds[i]
    return n / (time.perf_counter() - t)

def bench_procedural(name:str, n:int, size:int):
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        ds = get_dataset(name, 'train', n=n, size=size, cache_dir=cache, seed=0)
        cold = n / (time.perf_counter() - t)
        t = time.perf_counter()
        ds = get_dataset(name, 'train', n=n, size=size, cache_dir=cache, seed=0)
        warm_build = n / (time.perf_counter() - t)
        return cold, warm_build, rate(ds, n)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='a few images per dataset (smoke test)')
    p.add_argument('--size', type=int, default=128, help='image side (default 128)')
    p.add_argument('--n', type=int, default=None, help='images per dataset (default 200; 8 with --quick)')
    p.add_argument('--data', default=None, help='folder holding the real datasets (default: ../shared/data)')
    p.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    n = a.n or (8 if a.quick else 200)
    data = Path(a.data) if a.data else default_data_dir()
    print(f"asm_wb data benchmark: {a.size}x{a.size}, {n} images per dataset, torch {torch.__version__}, "
          f"{a.threads} thread(s), {platform.processor() or platform.machine()}")
    print(f"\n{'generator':<14}{'generate img/s':>16}{'cache load img/s':>18}{'__getitem__ img/s':>19}")
    for name in ('shapes', 'shapes_multi', 'rooms'):
        cold, warm, get = bench_procedural(name, n, a.size)
        print(f"{name:<14}{cold:>16.1f}{warm:>18.1f}{get:>19.1f}")
    print(f"\n{'loader':<14}{'decode+resize img/s':>21}{'+train aug img/s':>18}   (images from)")
    for name, (folder, split, kw) in REAL.items():
        root = data / folder if data else None
        if root is None or not root.exists():
            why = f"{root} not found" if root else "no data folder (give --data or set ASM_WB_DATA)"
            print(f"{name:<14}  skipped: {why}"); continue
        plain = get_dataset(name, split, data_root=root, transform=eval_transform(a.size), **kw)
        aug = get_dataset(name, split, data_root=root, transform=train_transform(a.size, "mirror+scale", "native"), **kw)
        print(f"{name:<14}{rate(plain, n):>21.1f}{rate(aug, n):>18.1f}   {root} ({min(n, len(plain))} of {len(plain)})")
    print("\n's2d3ds' is not benchmarked: no 2D-3D-S files exist on this machine.")

if __name__ == '__main__':
    main()
