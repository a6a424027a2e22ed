"""The installed environment is the pinned one, the test flags work as documented, and the command is installed."""
import configparser
import subprocess
from importlib import metadata

import pytest
import torch
from packaging.requirements import Requirement

import asm_wb
from conftest import BIN
from nbdev_checks import copy_project, write_notebook


def _pins(root):
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(root / "settings.ini")
    d = cfg["DEFAULT"]
    return [Requirement(r) for r in (d["requirements"] + " " + d["dev_requirements"]).split()]


def test_every_requirement_is_an_exact_pin_and_installed(root):
    pins = _pins(root)
    assert {p.name for p in pins} >= {"torch", "nbdev", "execnb", "fastcore", "ghapi", "papermill", "captum"}
    for p in pins:
        assert len(p.specifier) == 1 and next(iter(p.specifier)).operator == "==", f"{p} is not an exact pin"
        installed = metadata.version(p.name)
        assert p.specifier.contains(installed, prereleases=True), f"{p.name} {installed} installed, settings.ini pins {p}"


def test_cpu_torch_brings_no_cuda_packages():
    if torch.version.cuda is not None:
        pytest.skip(f"torch {torch.__version__} is a CUDA build")
    nvidia = sorted(d.metadata["Name"] for d in metadata.distributions() if d.metadata["Name"].lower().startswith("nvidia"))
    assert nvidia == [], f"a CPU build of torch needs no CUDA packages, but these are installed: {nvidia}"


def _notebook(path, cells):
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                     "source": src} for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    write_notebook(path, nb)


def test_slow_and_cuda_cells_are_skipped_unless_asked_for(root, tmp_path):
    copy = copy_project(root, tmp_path / "p")
    for f in (copy / "nbs").glob("*.ipynb"):
        f.unlink()
    _notebook(copy / "nbs" / "flags.ipynb", ["x = 1", "#| slow\nraise RuntimeError('slow cell ran')",
                                             "#| cuda\nraise RuntimeError('cuda cell ran')"])

    def nbdev_test(*flags):
        return subprocess.run([str(BIN / "nbdev_test"), *flags], cwd=copy, capture_output=True, text=True)

    default = nbdev_test()
    assert default.returncode == 0, default.stderr
    slow = nbdev_test("--flags", "slow")
    assert slow.returncode != 0 and "slow cell ran" in slow.stderr, slow.stderr
    cuda = nbdev_test("--flags", "cuda")
    assert cuda.returncode != 0 and "cuda cell ran" in cuda.stderr, cuda.stderr


def test_console_script():
    out = subprocess.run([str(BIN / "asm-wb"), "info"], capture_output=True, text=True, check=True).stdout
    assert f"asm_wb: {asm_wb.__version__}" in out and f"torch: {torch.__version__}" in out
    bad = subprocess.run([str(BIN / "asm-wb"), "nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'nonsense'" in bad.stderr
