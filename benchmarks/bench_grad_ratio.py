"""How strong the analyzer's adversarial step is in finished ASM runs: at each run's final checkpoint, the norm of the
analyzer's gradient from its hinge (weight 1, before the 1x -> 0.1x decay) beside the norm of its reconstruction
gradient, over a few training batches, and the ratio of the two as the run weighted them. A weighted ratio far below 1
means the analyzer is in effect an autoencoder: its adversarial weight cannot change the training.
The last column, the parity weight, is the weight at which the two gradients would have equal norms at the start.

    python benchmarks/bench_grad_ratio.py RUN_DIR [RUN_DIR ...]   # finished ASM runs (metrics.json + checkpoint.pt)
    python benchmarks/bench_grad_ratio.py --quick                 # trains a 3-step ASM run on procedural shapes first
"""
import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch

from asm_wb.runs import read_run, run_config
from asm_wb.train import Trainer, _to, run_training


def grad_norms(run_dir, batches:int=4) -> dict:
    "{'hinge': mean |grad|, 'rec': mean |grad|, 'params': the run's parameters} at the run's final checkpoint."
    info, state = read_run(run_dir)
    if info['params'].get('loss') not in ('asm', 'iid+asm'): raise ValueError(f"{run_dir}: not an ASM run (loss={info['params'].get('loss')!r})")
    if not (info['params'].get('adv', True) and info['params'].get('rec', True)):
        raise ValueError(f"{run_dir}: the analyzer has only one of its two terms (adv and rec must both be on)")
    cfg = run_config(info, device='cpu', run_dir=Path(run_dir) / 'grad_ratio_unused')   # nothing is written there
    t = Trainer(cfg, progress=False); t.load(state); t.step = 0   # any batches will do: read from the start
    obj, c0, A = t.objective, t.objective.config, t.adversary
    norms = {'hinge': [], 'rec': []}
    try:
        for i, batch in enumerate(t._loader()):
            if i == batches: break
            batch = _to(batch, t.device, t.channels_last)
            with torch.no_grad(): pred = t.model(batch['image'])
            for k, c in (('hinge', dataclasses.replace(c0, rec=False, adv_lambda=1.0)), ('rec', dataclasses.replace(c0, adv=False))):
                obj.config = c; A.zero_grad(set_to_none=True)
                loss, _ = obj.adversary_loss(pred, batch, 0, cfg.steps)   # step 0: the adversarial decay factor is 1
                loss.backward()
                norms[k].append(float(torch.sqrt(sum((p.grad.double() ** 2).sum() for p in A.parameters() if p.grad is not None))))
    finally: obj.config = c0
    return {k: sum(v) / len(v) for k, v in norms.items()} | {'params': info['params'], 'weight': cfg.resolved()['adv_lambda']}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='*', help='finished ASM run directories')
    p.add_argument('--batches', type=int, default=4)
    p.add_argument('--quick', action='store_true', help='train a 3-step ASM run on procedural shapes and measure it')
    o = p.parse_args()
    runs, tmp = list(o.runs), tempfile.TemporaryDirectory(prefix='grad_ratio_quick_')
    if o.quick:
        d = tmp.name
        run_training(dict(task='figure_ground', dataset='shapes', loss='asm', size=32, steps=3, batch_size=2, n_train=8, n_val=4,
                          run_dir=d), progress=False)
        runs, o.batches = [d], 2
    if not runs: p.error('give finished ASM run directories, or --quick')
    print(f"{'dataset':10} {'layers':8} {'optimizer':9} {'weight':>8} {'|g hinge|':>10} {'|g rec|':>10} "
          f"{'w*hinge/rec start':>18} {'end':>8} {'parity w':>9}")
    t0 = time.perf_counter()
    for r in runs:
        g = grad_norms(r, o.batches); q = g['params']; w = g['weight']
        ratio = w * g['hinge'] / g['rec']
        print(f"{q['dataset']:10} {str(q['asm_layers']):8} {str(q.get('optimizer')):9} {w:8.4g} {g['hinge']:10.4g} {g['rec']:10.4g} "
              f"{ratio:18.3g} {0.1 * ratio:8.3g} {g['rec'] / g['hinge']:9.3g}")
    print(f"{time.perf_counter() - t0:.1f} seconds")
    tmp.cleanup()


if __name__ == '__main__':
    main()
