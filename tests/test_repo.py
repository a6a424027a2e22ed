"""The library is exactly what the notebooks export, and the notebooks are exactly what nbdev_clean leaves."""
import json
import shutil

from nbdev_checks import copy_project, export_drift, unclean_notebooks, write_notebook


def test_library_matches_notebooks(root):
    drift = export_drift(root)
    assert not drift, ("asm_wb/ is out of step with nbs/: edit the notebook, not the generated file, then run "
                       "`make export` and commit both.\n\n" + "\n\n".join(drift))


def test_notebooks_are_clean(root):
    drift = unclean_notebooks(root)
    assert not drift, "notebooks are not clean: run `make export` (it runs nbdev_clean).\n\n" + "\n\n".join(drift)


def test_export_check_catches_a_hand_edit(root, tmp_path):
    copy = copy_project(root, tmp_path / "p")
    with open(copy / "asm_wb" / "core.py", "a") as f:
        f.write("\nHAND_EDIT = 1\n")
    drift = export_drift(copy)
    assert len(drift) == 1 and drift[0].startswith("asm_wb/core.py:") and "-HAND_EDIT = 1" in drift[0], drift


def test_export_check_catches_a_module_no_notebook_exports(root, tmp_path):
    copy = copy_project(root, tmp_path / "p")
    (copy / "asm_wb" / "stray.py").write_text("def helper(): pass\n")  # nbdev's module index would drop it
    drift = export_drift(copy)
    assert len(drift) == 1 and drift[0].startswith("asm_wb/_modidx.py:") and "asm_wb.stray" in drift[0], drift


def test_export_check_catches_an_unexported_notebook_change(root, tmp_path):
    copy = copy_project(root, tmp_path / "p")
    nb_path = copy / "nbs" / "00_core.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "new0cell", "metadata": {},
                        "outputs": [], "source": ["#| export\n", "NEW_THING = 2"]})
    write_notebook(nb_path, nb)
    drift = export_drift(copy)
    assert len(drift) == 1 and drift[0].startswith("asm_wb/core.py:") and "+NEW_THING = 2" in drift[0], drift


def test_clean_check_keeps_parameters_tag_and_catches_noise(root, tmp_path):
    copy = copy_project(root, tmp_path / "p")
    shutil.copy(copy / "nbs" / "90_cli.ipynb", copy / "nbs" / "zz_params.ipynb")
    nb_path = copy / "nbs" / "zz_params.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"].insert(0, {"cell_type": "code", "execution_count": None, "id": "params00", "metadata": {"tags": ["parameters"]},
                           "outputs": [], "source": ["steps = 10  # training steps"]})
    write_notebook(nb_path, nb)
    assert unclean_notebooks(copy) == [], "a papermill `parameters` tag must survive nbdev_clean (allowed_cell_metadata_keys = tags)"

    nb["cells"][0]["execution_count"] = 3
    nb["cells"][0]["metadata"]["scrolled"] = True
    write_notebook(nb_path, nb)
    drift = unclean_notebooks(copy)
    assert len(drift) == 1 and drift[0].startswith("nbs/zz_params.ipynb:"), drift
    assert '"scrolled": true' in drift[0] and '"execution_count": 3' in drift[0], drift
