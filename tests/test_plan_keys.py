"""The refactor guard: `plan` gives the same run keys and run-directory names, row by row and seed by seed, for every
table at every scale as it did before the issue-20 refactor (tests/fixtures/plan_keys.json, computed with the code of
commit 3857a85). A changed key or folder means a finished run would be trained again under a new name; when a change is meant (a new parameter, a corrected default), regenerate the fixture
in the same commit and say why."""
import json
from pathlib import Path

import pytest

from asm_wb.specs import SCALES, TABLES
from asm_wb.tables import plan

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "plan_keys.json").read_text())


def _keys(name, scale, tuned, data_root):
    try: jobs = plan(name, scale, seeds=3, tuned=tuned)
    except FileNotFoundError: jobs = plan(name, scale, seeds=3, tuned=tuned, data_root=data_root)   # real data, absent here
    return [f"{j.row}|{j.seed}|{j.key}|{j.source}|{Path(j.run_dir).name}" for j in jobs]


def test_every_recorded_table_and_scale_is_still_planned():
    tables = {k.split("/")[0] for k in FIXTURE["keys"]}
    assert tables <= set(TABLES), f"tables gone since the fixture was recorded: {sorted(tables - set(TABLES))}"


@pytest.mark.parametrize("entry", sorted(FIXTURE["keys"]))
def test_plan_gives_the_recorded_run_keys(entry, tmp_path):
    name, scale, *tuned = entry.split("/")
    assert scale in SCALES
    choices = FIXTURE["choices"][f"{name}/{scale}"] if tuned else None
    assert _keys(name, scale, choices, tmp_path) == FIXTURE["keys"][entry]
