"""Time the BSDS boundary metric (asm_wb.metrics.BoundaryPRF on the matcher of asm_wb.boundaries: overall and per class in one pass)
on CamVid-size label maps (480x360, 11 classes + void), for three kinds of prediction, beside the BSDS benchmark's own code on the
same maps.

The ground truth is the 101 real CamVid validation label maps (void, label 11, becomes 255) when they are on disk, else synthetic maps
with region structure (the argmax of smooth random fields, with void blobs). Each prediction is made from its map, after filling void
with the nearest class, exactly as in nbs/04_boundaries.ipynb: 'coarse' (blocked at stride 8), 'shifted' (2 px down, 3 px right) and
'noisy' (5% of the pixels set to a random class, seed = map index: the hard case for matching).

    .venv/bin/python benchmarks/bench_metrics.py             # 101 maps
    .venv/bin/python benchmarks/bench_metrics.py --quick     # 4 maps: a smoke test
    .venv/bin/python benchmarks/bench_metrics.py --synthetic --kinds noisy --repeat 3

Times are wall-clock seconds for update() over all maps (in batches of --batch) plus one compute(); on a shared machine they are rough.
The benchmark's figures are not measured here (its C++ is not part of this project): they are the times and overall F that its code
(correspondPixels of the BSDS500 benchmark, predictions thinned by bwmorph 'thin' Inf) took and gave on the same 101 maps and predictions,
recorded when the metric was checked against it (see nbs/04_boundaries.ipynb, "Agreement with the benchmark on CamVid").
"""
from __future__ import annotations

import argparse, glob, math, os, platform, time
from pathlib import Path

import numpy as np
import scipy
import torch
from PIL import Image
from scipy import ndimage

from asm_wb.core import IGNORE_INDEX
from asm_wb.data import default_data_dir
from asm_wb.metrics import BoundaryPRF, BoundaryPRFDilated, ConfusionMatrix

NUM_CLASSES = 11   # CamVid (SegNet's 11 classes); 11 is void
KINDS = ("coarse", "shifted", "noisy")
BSDS_NOMINAL_S = 150   # the benchmark's matcher: about 150 s per kind of prediction for the 101 maps, overall and per class
# Measured once on this project's 2-core machine (load average 1-3, one thread), with the benchmark's C++ built outside the repo:
# seconds for the 101 maps, overall and per class (seg2bmap + thinning + correspondPixels), and the overall F it gave.
BSDS_MEASURED_S = {"coarse": 119.5, "shifted": 108.8, "noisy": 150.2}
BSDS_OVERALL_F = {"coarse": 0.7832, "shifted": 0.8034, "noisy": 0.4677}


def camvid_maps(data_root: Path, n: int) -> list[np.ndarray]:
    "The first `n` CamVid validation label maps, int64 (360, 480), void (11) as 255; [] if absent."
    files = sorted(glob.glob(str(data_root / "camvid" / "valannot" / "*.png")))[:n]
    maps = [np.array(Image.open(f), dtype=np.int64) for f in files]
    return [np.where(m == 11, IGNORE_INDEX, m) for m in maps]


def synthetic_maps(n: int, h: int = 360, w: int = 480, seed: int = 0) -> list[np.ndarray]:
    "`n` label maps with region structure: the argmax of 11 smooth random fields; 3.6% void where another smooth field peaks."
    g = torch.Generator().manual_seed(seed)
    maps = []
    for _ in range(n):
        fields = torch.randn(1, NUM_CLASSES + 1, 9, 12, generator=g)
        fields = torch.nn.functional.interpolate(fields, size=(h, w), mode="bicubic", align_corners=False)[0]
        m = fields[:NUM_CLASSES].argmax(0).numpy().astype(np.int64)
        void = fields[NUM_CLASSES].numpy()
        m[void > np.quantile(void, 0.964)] = IGNORE_INDEX
        maps.append(m)
    return maps


def fill_void(m: np.ndarray) -> np.ndarray:
    "Void pixels take the class of the nearest labelled pixel (a network predicts a class everywhere)."
    idx = ndimage.distance_transform_edt(m == IGNORE_INDEX, return_distances=False, return_indices=True)
    return m[tuple(idx)]


def predictions(maps: list[np.ndarray], kind: str) -> list[np.ndarray]:
    "One predicted map per ground-truth map (the notebook's definitions, so that the benchmark's F applies)."
    filled = [fill_void(m) for m in maps]
    if kind == "coarse":    # nearest-neighbour down- and up-sampling at stride 8: staircase edges, thin structures lost
        return [np.repeat(np.repeat(m[4::8, 4::8], 8, 0), 8, 1)[: m.shape[0], : m.shape[1]] for m in filled]
    if kind == "shifted":   # every edge moved 2 px down and 3 px right
        return [np.pad(m, ((2, 0), (3, 0)), mode="edge")[: m.shape[0], : m.shape[1]] for m in filled]
    out = []                # "noisy": 5% salt and pepper, the noise of map i drawn with seed i
    for i, m in enumerate(filled):
        rng = np.random.default_rng(i)
        m = m.copy()
        flip = rng.random(m.shape) < 0.05
        m[flip] = rng.integers(0, NUM_CLASSES, int(flip.sum()))
        out.append(m)
    return out


def time_metric(make, preds: torch.Tensor, targets: torch.Tensor, batch: int, repeat: int):
    "(best seconds over `repeat` runs, compute() of the last run) for update() over all maps in batches, then compute()."
    best, result = math.inf, None
    for _ in range(repeat):
        metric = make()
        t0 = time.perf_counter()
        for i in range(0, len(preds), batch): metric.update(preds[i:i + batch], targets[i:i + batch])
        result = metric.compute()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 maps: a smoke test that runs in a few seconds")
    ap.add_argument("--maps", type=int, default=101, help="number of label maps (default 101, CamVid's validation split)")
    ap.add_argument("--data-root", type=Path, default=default_data_dir(),
                    help="folder holding camvid/valannot (default: $ASM_WB_DATA, else ../shared/data)")
    ap.add_argument("--synthetic", action="store_true", help="use synthetic maps even when CamVid is on disk")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated kinds of prediction, from {', '.join(KINDS)}")
    ap.add_argument("--batch", type=int, default=8, help="maps per update() call")
    ap.add_argument("--repeat", type=int, default=1, help="runs per metric; the best time is reported")
    args = ap.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    if bad := sorted(set(kinds) - set(KINDS)): ap.error(f"unknown kinds {bad}; choose from {list(KINDS)}")
    n = 4 if args.quick else args.maps

    maps = [] if args.synthetic or args.data_root is None else camvid_maps(args.data_root, n)
    source = f"CamVid val label maps from {args.data_root / 'camvid' / 'valannot'}" if maps else ""
    if not maps:
        maps = synthetic_maps(n)
        source = "synthetic maps (CamVid not found)" if not args.synthetic else "synthetic maps"
    camvid = source.startswith("CamVid")   # the benchmark's figures were recorded on the CamVid maps (F: on all 101 of them)
    targets = torch.from_numpy(np.stack(maps))

    print(f"{len(maps)} maps of {tuple(targets.shape[1:])} ({source}); batch {args.batch}; best of {args.repeat}")
    print(f"python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"numpy {np.__version__}, scipy {scipy.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"\nBSDS boundary P/R/F (BoundaryPRF: overall and per class in one pass). The benchmark's code takes about {BSDS_NOMINAL_S} s "
          "per kind for the 101 maps;\nmeasured on this project's machine at load average 1-3: " +
          ", ".join(f"{k} {BSDS_MEASURED_S[k]:.0f} s" for k in KINDS) + " ('x faster' divides them, scaled by maps / 101, by ours).")
    print(f"\n| {'prediction':10s} | {'seconds':>8s} | {'ms / map':>8s} | {'x faster':>8s} | boundary F | benchmark F |")
    print(f"| {'-' * 10} | {'-' * 8} | {'-' * 8} | {'-' * 8} | ---------- | ----------- |")
    preds = {}
    for kind in kinds:
        preds[kind] = torch.from_numpy(np.stack(predictions(maps, kind)))
        seconds, result = time_metric(lambda: BoundaryPRF(NUM_CLASSES), preds[kind], targets, args.batch, args.repeat)
        faster = f"{BSDS_MEASURED_S[kind] * len(maps) / 101 / seconds:.0f}" if camvid else "n/a"   # measured on CamVid only
        bench_f = f"{BSDS_OVERALL_F[kind]:.4f}" if camvid and len(maps) == 101 else "n/a"
        print(f"| {kind:10s} | {seconds:8.3f} | {1000 * seconds / len(maps):8.1f} | {faster:>8s} | "
              f"{result['boundary_f']:10.4f} | {bench_f:>11s} |")

    kind = kinds[0]
    print(f"\nOther segmentation metrics on the '{kind}' prediction:\n")
    print(f"| {'metric':42s} | {'seconds':>8s} | {'ms / map':>8s} | value |")
    print(f"| {'-' * 42} | {'-' * 8} | {'-' * 8} | ----- |")
    for name, make, key in [("mIoU (ConfusionMatrix)", lambda: ConfusionMatrix(NUM_CLASSES, background=None), "miou"),
                            ("boundary F, dilated (BoundaryPRFDilated)", lambda: BoundaryPRFDilated(NUM_CLASSES), "boundary_dil_f")]:
        seconds, result = time_metric(make, preds[kind], targets, args.batch, args.repeat)
        print(f"| {name:42s} | {seconds:8.3f} | {1000 * seconds / len(maps):8.1f} | {key} = {result[key]:.4f} |")


if __name__ == "__main__":
    main()
