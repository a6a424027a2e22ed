"""What CI checks about an nbdev project: the library is what the notebooks export, and the notebooks are clean.

Both run the real nbdev commands on a copy of the project, so the working tree is never touched.
"""
import difflib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from conftest import BIN

_SKIP = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def copy_project(root: Path, dst: Path) -> Path:
    "Copy what nbdev reads and writes (config, notebooks, library) from `root` into `dst`."
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("settings.ini", "setup.py", "pyproject.toml", "README.md"):
        if (root / name).exists():
            shutil.copy2(root / name, dst / name)
    for name in ("nbs", "asm_wb"):
        if (root / name).exists():
            shutil.copytree(root / name, dst / name, ignore=_SKIP)
    return dst


def write_notebook(path: Path, nb: dict):
    "Write `nb` the way nbdev does (sorted keys, indent 1), so only the change under test differs."
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _files(root: Path, paths) -> dict:
    out = {}
    for p in paths:
        p = root / p
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
        out.update({f.relative_to(root).as_posix(): f.read_bytes() for f in files if "__pycache__" not in f.parts})
    return out


def _diff(before: dict, after: dict) -> list:
    "One entry per file that differs, with the head of a unified diff."
    report = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        if a is None or b is None:
            report.append(f"{name}: would be {'created' if a is None else 'removed'}")
            continue
        lines = difflib.unified_diff(a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines(),
                                     f"{name} (now)", f"{name} (after the command)", lineterm="", n=1)
        report.append(f"{name}:\n" + "\n".join(list(lines)[:30]))
    return report


def drift_after(root: Path, tool: str, paths) -> list:
    "Run nbdev's `tool` on a copy of `root`; list how `paths` would change."
    with tempfile.TemporaryDirectory() as d:
        copy = copy_project(root, Path(d) / "project")
        before = _files(copy, paths)
        run = subprocess.run([str(BIN / tool)], cwd=copy, capture_output=True, text=True)
        assert run.returncode == 0, f"{tool} failed:\n{run.stdout}\n{run.stderr}"
        return _diff(before, _files(copy, paths))


def export_drift(root: Path) -> list:
    "How `nbdev_export` would change the library (and the pyproject.toml it maintains)."
    return drift_after(root, "nbdev_export", ["asm_wb", "pyproject.toml"])


def unclean_notebooks(root: Path) -> list:
    "How `nbdev_clean` would change the notebooks."
    return drift_after(root, "nbdev_clean", ["nbs"])
