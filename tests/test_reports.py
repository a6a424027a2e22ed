"""What is committed in reports/ (the results store, the kept notebooks, the analyzer figures and the pages) builds with
`asm-wb report` into the results site, and its pages work offline in headless Chromium. The main job's site (what
`asm-wb quickstart` builds for its two runs) opens offline on their pictures, before its numbers. The site carries the
library's documentation: the module notebooks of nbs/ as pages, indexed by the README's notebook table."""
import re
import shutil
import sqlite3

import nbformat
import pytest

from conftest import ROOT
from test_tables import _asm_wb, _check_page, _env, _open_offline

REPORTS = ROOT / "reports"


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    "A copy of reports/ (the build must not touch the checkout) and the site `asm-wb report` builds from it."
    if not (REPORTS / "results.sqlite").is_file(): pytest.skip("no results are committed in reports/ yet")
    tmp = tmp_path_factory.mktemp("committed")
    src, out = tmp / "reports", tmp / "site"
    shutil.copytree(REPORTS, src, ignore=shutil.ignore_patterns("_site"))
    r = _asm_wb("report", "--reports", str(src), "--out", str(out), env=_env(tmp))
    assert r.returncode == 0, r.stdout + r.stderr
    with sqlite3.connect(src / "results.sqlite") as db:
        tables = db.execute("SELECT DISTINCT table_name, scale FROM members ORDER BY table_name, scale").fetchall()
        finished = db.execute("SELECT DISTINCT m.table_name, m.scale FROM members m JOIN runs r ON r.key = m.key "
                              "WHERE r.status = 'done' ORDER BY m.table_name, m.scale").fetchall()
    return dict(src=src, site=out, tables=tables, finished=finished, figures=sorted(p.stem for p in (src / "figures").glob("*.ipynb")))


def test_every_table_and_figure_in_reports_has_its_page(committed):
    site = committed["site"]
    index = (site / "index.html").read_text()
    for table, scale in committed["tables"]:
        page = site / "tables" / f"{table}-{scale}.html"
        assert page.is_file() and f'href="tables/{table}-{scale}.html"' in index, (table, scale)
        assert (REPORTS / "pages" / f"{table}.md").is_file(), f"reports/pages/{table}.md: every table needs its explanation"
    for stem in committed["figures"]:
        assert (site / "figures" / f"{stem}.html").is_file() and f'href="figures/{stem}.html"' in index, stem
        meta = nbformat.read(committed["src"] / "figures" / f"{stem}.ipynb", as_version=4).metadata["asm_wb"]
        table_page = (site / "tables" / f"{meta['table']}-{meta['scale']}.html").read_text()
        assert f'href="../figures/{stem}.html"' in table_page, f"the page of {meta['table']} links its figures {stem}"


def test_committed_pages_render_offline(browser, committed):
    site = committed["site"]
    page, failed, remote = _open_offline(browser, (site / "index.html").as_uri())
    _check_page(page, failed, remote, min_figures=0)
    page.context.close()
    for table, scale in committed["finished"][:3]:   # a few pages of tables with results: their charts draw
        page, failed, remote = _open_offline(browser, (site / "tables" / f"{table}-{scale}.html").as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30_000)
        _check_page(page, failed, remote, min_figures=1)
        page.context.close()
    for stem in committed["figures"]:                 # every analyzer-figures page: reconstructions, loss maps, patches
        page, failed, remote = _open_offline(browser, (site / "figures" / f"{stem}.html").as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5", timeout=60_000)
        _check_page(page, failed, remote, min_figures=5)
        page.context.close()


TINY = dict(size=32, n_train=16, n_val=8, steps=3, batch_size=4, width=4, analyzer_width=4, checkpoint_every=0)


@pytest.fixture(scope="module")
def quickstart_site(tmp_path_factory):
    "The site `asm-wb quickstart` builds (its runs filed as the quickstart table, pictures first, no tables not run), of two tiny runs."
    from asm_wb.report import build_site
    from asm_wb.specs import TABLES
    from asm_wb.tables import record_run
    from asm_wb.train import run_training
    tmp = tmp_path_factory.mktemp("quickstart")
    for loss in ("iid", "asm"): run_training(dict(TINY, loss=loss, run_dir=str(tmp / loss)), progress=False)
    store = tmp / "report" / "results.sqlite"
    for row, loss in zip(TABLES["quickstart"].rows, ("iid", "asm")): record_run(store, "quickstart", "cpu", row.name, 0, tmp / loss)
    return build_site(store.parent, tmp / "site", title="quickstart", compare={"IID": tmp / "iid", "ASM": tmp / "asm"}, not_run_yet=False,
                      docs=False)   # the docs have their own test


def test_quickstart_site_opens_on_pictures_offline(browser, quickstart_site, tmp_path):
    page, failed, remote = _open_offline(browser, quickstart_site.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3", timeout=30_000)
    _check_page(page, failed, remote, min_figures=3)
    page.screenshot(path=str(tmp_path / "quickstart.png"), full_page=True)
    body = page.inner_text("body")
    assert "Not run yet" not in body and "table1_horse" not in body, body[-2000:]
    # in the page's order: the comparison grid (16 pictures drawn), the two loss curves, then the results table
    order = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot, table.asm-results')].map(e =>
        e.tagName === 'TABLE' ? 'table' : e.querySelectorAll('.imagelayer image').length ? `pictures:${e.querySelectorAll('.imagelayer image').length}` : 'curves')""")
    assert order[:4] == ["pictures:16", "curves", "curves", "table"], order
    titles = page.evaluate("[...document.querySelector('.js-plotly-plot').querySelectorAll('.annotation-text')].map(e => e.textContent)")
    assert titles == ["image", "ground truth", "IID prediction", "ASM prediction"], titles


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory):
    "The site of an empty results store (its index, every table not run yet) with the library's docs, from this checkout."
    from asm_wb.report import build_site
    tmp = tmp_path_factory.mktemp("docs")
    (tmp / "reports").mkdir()
    (tmp / "reports" / "results.sqlite").touch()   # an empty store: no table or run pages to render
    return build_site(tmp / "reports", tmp / "site").parent   # docs=True: the checkout asm_wb is imported from


def _readme_table():
    "The notebook column of the README's `| notebook | module | what |` table, read here without asm_wb.docs."
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("| notebook | module | what |")
    names = []
    for line in lines[start + 2:]:   # after the header and its --- line
        if not line.startswith("|"): break
        names.append(re.match(r"\|\s*`([^`]+)`", line).group(1))
    return names


def _module_notebooks():
    "The numbered notebooks of nbs/ that export a module (`#| default_exp`)."
    return [p.stem for p in sorted((ROOT / "nbs").glob("[0-9]*_*.ipynb"))
            if any(c.cell_type == "code" and re.match(r"#\|\s*default_exp\s+\w", c.source) for c in nbformat.read(p, as_version=4).cells)]


def _follow(page, selector):
    "Click the link `selector` and wait for the page it opens."
    with page.expect_navigation(wait_until="load"): page.click(selector)


def test_library_docs_open_offline(browser, docs_site):
    listed, modules = _readme_table(), _module_notebooks()
    assert "00_core" in listed and "00_core" in modules
    page, failed, remote = _open_offline(browser, (docs_site / "index.html").as_uri())
    _follow(page, "a[href='docs/index.html']")            # the site's index links the docs (its nav bar, at the top)
    assert page.url.endswith("/docs/index.html")
    # the index is the README's table, in its order, each notebook that has a page linked to it
    cells = page.evaluate("[...document.querySelectorAll('table tr td:first-child')].map(td => [td.textContent, td.querySelector('a')?.getAttribute('href') ?? null])")
    assert cells == [[n, f"{n}.html" if n in modules else None] for n in listed], cells
    # module notebooks the README does not name yet follow it, linked too; every link on the index opens a page there is
    rest = page.evaluate("[...document.querySelectorAll('li a')].map(a => a.getAttribute('href'))")
    assert rest == [f"{n}.html" for n in modules if n not in listed], rest
    hrefs = page.evaluate("[...document.querySelectorAll('a:not([href^=\\'#\\'])')].map(a => a.getAttribute('href'))")   # not the headings' anchors
    assert all((docs_site / "docs" / h).is_file() for h in hrefs), hrefs
    assert sorted(p.stem for p in (docs_site / "docs").glob("*.html")) == sorted(modules + ["index"])
    # a page: the notebook as written, its exported definitions marked, nbdev's directives out of the code
    _follow(page, "a[href='00_core.html']")
    assert page.url.endswith("/docs/00_core.html")
    body = page.inner_text("body")
    assert "def check_param(" in body and "nbs/00_core.ipynb" in body, body[:2000]
    assert "#| export" not in body and "#| default_exp" not in body
    assert page.evaluate("document.querySelectorAll('.celltag_asm-export').length") > 0
    assert page.evaluate("document.querySelectorAll('.jp-InputArea-editor').length") > page.evaluate("document.querySelectorAll('.celltag_asm-export').length")  # and its tests
    _follow(page, "nav.asm-nav a[href='index.html']")      # back to the docs' index, then to the site's
    assert page.url.endswith("/docs/index.html")
    _follow(page, "nav.asm-nav a[href='../index.html']")
    assert page.url.endswith("/site/index.html")
    assert failed == [] and remote == [], (failed, remote)
    page.context.close()
