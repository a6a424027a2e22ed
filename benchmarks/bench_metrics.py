"""Time the segmentation metrics of asm_wb.metrics on CamVid-size label maps (480x360, 11 classes + void):
the BSDS boundary metric (one-to-one matching), its dilation-only approximation and the confusion matrix (mIoU), side by side.

The ground truth is the 101 real CamVid validation label maps (void, label 11, becomes 255) when they are on disk, else synthetic maps
with region structure (the argmax of smooth random fields, with void blobs). The "prediction" is a perturbed copy of each map
(void filled with the nearest class, then blocked at stride 8, shifted by 2 px, or the next frame's map: --perturb).

    .venv/bin/python benchmarks/bench_metrics.py             # 101 maps
    .venv/bin/python benchmarks/bench_metrics.py --quick     # 4 maps: a smoke test
    .venv/bin/python benchmarks/bench_metrics.py --synthetic --perturb shift --repeat 3

Times are wall-clock seconds for update() over all maps (in batches of --batch) plus one compute(); on a shared machine they are rough.
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

ROOT = Path(__file__).resolve().parents[1]
NUM_CLASSES = 11   # CamVid (SegNet's 11 classes); 11 is void


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


def perturb(maps: list[np.ndarray], how: str) -> list[np.ndarray]:
    "One predicted map per ground-truth map."
    filled = [fill_void(m) for m in maps]
    if how == "blocked":   # nearest-neighbour down- and up-sampling at stride 8: staircase edges, thin structures lost
        return [np.repeat(np.repeat(m[4::8, 4::8], 8, 0), 8, 1)[: m.shape[0], : m.shape[1]] for m in filled]
    if how == "shift":     # every edge moved right by 2 px
        return [np.pad(m, ((0, 0), (2, 0)), mode="edge")[:, :-2] for m in filled]
    return filled[1:] + filled[:1]   # "next": the next map of the list


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
    ap.add_argument("--perturb", choices=("blocked", "shift", "next"), default="blocked", help="how the prediction is made")
    ap.add_argument("--batch", type=int, default=8, help="maps per update() call")
    ap.add_argument("--repeat", type=int, default=1, help="runs per metric; the best time is reported")
    args = ap.parse_args(argv)
    n = 4 if args.quick else args.maps

    maps = [] if args.synthetic or args.data_root is None else camvid_maps(args.data_root, n)
    source = f"CamVid val label maps from {args.data_root / 'camvid' / 'valannot'}" if maps else ""
    if not maps:
        maps = synthetic_maps(n)
        source = "synthetic maps (CamVid not found)" if not args.synthetic else "synthetic maps"
    targets = torch.from_numpy(np.stack(maps))
    preds = torch.from_numpy(np.stack(perturb(maps, args.perturb)))

    print(f"{len(maps)} maps of {tuple(targets.shape[1:])} ({source}); prediction: {args.perturb}; batch {args.batch}; "
          f"best of {args.repeat}")
    print(f"python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"numpy {np.__version__}, scipy {scipy.__version__}, {os.cpu_count()} CPUs")
    rows = [("mIoU (ConfusionMatrix)", lambda: ConfusionMatrix(NUM_CLASSES, background=None), "miou"),
            ("boundary F, one-to-one (BoundaryPRF)", lambda: BoundaryPRF(NUM_CLASSES), "boundary_f"),
            ("boundary F, dilated (BoundaryPRFDilated)", lambda: BoundaryPRFDilated(NUM_CLASSES), "boundary_dil_f")]
    print(f"\n| {'metric':42s} | {'seconds':>8s} | {'ms / map':>8s} | value |")
    print(f"| {'-' * 42} | {'-' * 8} | {'-' * 8} | ----- |")
    for name, make, key in rows:
        seconds, result = time_metric(make, preds, targets, args.batch, args.repeat)
        print(f"| {name:42s} | {seconds:8.3f} | {1000 * seconds / len(maps):8.1f} | {key} = {result[key]:.4f} |")


if __name__ == "__main__":
    main()
