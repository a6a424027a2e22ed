"""The house rules of the package, checked on the generated modules and their notebooks:

- the import graph runs one way: a module imports only modules whose notebooks sort before its own (the notebook
  numbers are the layers: data 01, models 02, losses 03, metrics 04, training 05, tables 06, analysis 07,
  dashboards 08, report 09, the command line 90), counting imports inside functions, so no registry imports upward;
- no name starting with an underscore is imported from another module;
- no module is longer than MAX_MODULE_LINES and no exported cell longer than MAX_CELL_LINES;
- a class grows across cells with fastcore's `@patch`, never by assigning functions to its attributes."""
import ast
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT

PKG, NBS = ROOT / "asm_wb", ROOT / "nbs"
MAX_MODULE_LINES = 520   # "about 500"
MAX_CELL_LINES = 60


def _exports():
    "module name -> the notebook that exports it (from each notebook's `#| default_exp`)."
    out = {}
    for nb in sorted(NBS.glob("[0-9]*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            m = re.match(r"#\|\s*default_exp\s+(\S+)", "".join(cell["source"]))
            if m: out[m[1]] = nb.stem; break
    return out


EXPORTS = _exports()
MODULES = sorted(p.stem for p in PKG.glob("*.py") if not p.stem.startswith("_"))


PACKAGE_NAMES = {"ASM": "asm"}   # what `from asm_wb import NAME` loads (the package's lazy attributes)


def _imports(source):
    "(imported module, imported names) for every import of an asm_wb module in `source`, wherever it is (functions too)."
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level == 1: mod = node.module
            elif node.level == 0 and (node.module == "asm_wb" or (node.module or "").startswith("asm_wb.")): mod = node.module[7:]
            else: continue
            if mod: out.append((mod.split(".")[0], names))
            else: out += [(PACKAGE_NAMES.get(n, n), []) for n in names]   # `from . import x`: x is a module (or a lazy name)
        elif isinstance(node, ast.Import):
            out += [(a.name.split(".")[1], []) for a in node.names if a.name.startswith("asm_wb.")]
    return out


def test_the_import_check_sees_every_form():
    src = ("from .tables import plan\nfrom . import report\nfrom asm_wb import ASM\nimport asm_wb.viz\n"
           "def f():\n    from asm_wb.store import ResultStore\n    from asm_wb import cli")
    assert [m for m, _ in _imports(src)] == ["tables", "report", "asm", "viz", "store", "cli"]


def test_every_module_has_a_notebook():
    assert set(MODULES) == set(EXPORTS), f"modules without a notebook: {sorted(set(MODULES) - set(EXPORTS))}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_run_one_way(module):
    mine = EXPORTS[module]
    upward = sorted({f"{m} ({EXPORTS.get(m)})" for m, _ in _imports((PKG / f"{module}.py").read_text())
                     if m in EXPORTS and EXPORTS[m] >= mine})
    assert not upward, f"{module} ({mine}) imports modules at or above its own layer: {', '.join(upward)}"


@pytest.mark.parametrize("module", MODULES)
def test_no_private_name_crosses_modules(module):
    private = sorted({f"{m}.{n}" for m, names in _imports((PKG / f"{module}.py").read_text()) for n in names if n.startswith("_")})
    assert not private, f"{module} imports private names of other modules: {', '.join(private)}; make them public"


@pytest.mark.parametrize("module", MODULES)
def test_module_size(module):
    n = len((PKG / f"{module}.py").read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"asm_wb/{module}.py has {n} lines (at most {MAX_MODULE_LINES}): split its notebook {EXPORTS[module]}"


@pytest.mark.parametrize("notebook", sorted(set(EXPORTS.values())))
def test_export_cell_size(notebook):
    cells = json.loads((NBS / f"{notebook}.ipynb").read_text())["cells"]
    long = [(i, len("".join(c["source"]).splitlines())) for i, c in enumerate(cells)
            if c["cell_type"] == "code" and re.match(r"#\|\s*export", "".join(c["source"]))
            and len("".join(c["source"]).splitlines()) > MAX_CELL_LINES]
    assert not long, f"nbs/{notebook}.ipynb: exported cells longer than {MAX_CELL_LINES} lines (cell index, lines): {long}"


CLASSES = {n.name for m in MODULES for n in ast.parse((PKG / f"{m}.py").read_text()).body if isinstance(n, ast.ClassDef)}


@pytest.mark.parametrize("module", MODULES)
def test_classes_grow_with_patch_not_assignment(module):
    tree, classes = ast.parse((PKG / f"{module}.py").read_text()), CLASSES   # any module's class, assigned to anywhere
    bad = [ast.unparse(n).splitlines()[0] for n in tree.body if isinstance(n, ast.Assign)
           for t in n.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])
           if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id in classes]
    assert not bad, f"{module} attaches methods by assignment ({'; '.join(bad)}): use fastcore's @patch"
