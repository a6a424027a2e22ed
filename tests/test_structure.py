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


def _imports(module):
    "(imported module, imported names) for every import of another asm_wb module in `module`, wherever it is."
    tree, out = ast.parse((PKG / f"{module}.py").read_text()), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module: out.append((node.module.split(".")[0], [a.name for a in node.names]))
            elif node.level == 0 and (node.module or "").startswith("asm_wb."): out.append((node.module.split(".")[1], [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name.split(".")[1], []) for a in node.names if a.name.startswith("asm_wb.")]
    return out


def test_every_module_has_a_notebook():
    assert set(MODULES) == set(EXPORTS), f"modules without a notebook: {sorted(set(MODULES) - set(EXPORTS))}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_run_one_way(module):
    mine = EXPORTS[module]
    upward = sorted({f"{m} ({EXPORTS.get(m)})" for m, _ in _imports(module) if m in EXPORTS and EXPORTS[m] >= mine})
    assert not upward, f"{module} ({mine}) imports modules at or above its own layer: {', '.join(upward)}"


@pytest.mark.parametrize("module", MODULES)
def test_no_private_name_crosses_modules(module):
    private = sorted({f"{m}.{n}" for m, names in _imports(module) for n in names if n.startswith("_")})
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


@pytest.mark.parametrize("module", MODULES)
def test_classes_grow_with_patch_not_assignment(module):
    tree = ast.parse((PKG / f"{module}.py").read_text())
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    bad = [ast.unparse(n).splitlines()[0] for n in tree.body if isinstance(n, ast.Assign)
           for t in n.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])
           if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id in classes]
    assert not bad, f"{module} attaches methods by assignment ({'; '.join(bad)}): use fastcore's @patch"
