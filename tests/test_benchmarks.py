"""Every benchmark script still runs: each is started with --quick (a few items) and must print its table.
The figures themselves are not checked here; speed targets live in the benchmarks, not in timed tests."""
import re
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPTS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks():
    assert {p.name for p in SCRIPTS} >= {"bench_data.py", "bench_metrics.py", "bench_train.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_runs_quick(script):
    r = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, f"{script.name} --quick failed:\n{r.stdout}\n{r.stderr}"
    assert re.search(r"\d+\.\d+", r.stdout) and ("img/s" in r.stdout or "seconds" in r.stdout), f"{script.name} printed no figures:\n{r.stdout}"
