"""The inlined scripts: they parse (node --check), and, where the jsdom package is available to
node, the overview's sorting, filters, what-if and reset work with no script error."""
from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.integration  # Node.js and jsdom
NODE = shutil.which("node")
NODE_MISSING = "node is not installed: `make test` and .ci/run install Node.js and jsdom"


@pytest.mark.parametrize("name", ["table.js", "overview.js", "compare.js"])
def test_scripts_parse(name, tmp_path):
    assert NODE is not None, NODE_MISSING
    src = (resources.files("reports") / "static" / name).read_text(encoding="utf-8")
    assert "//" not in src  # block comments only: pages must not contain '//'
    path = tmp_path / name
    path.write_text(src, encoding="utf-8")
    subprocess.run([NODE, "--check", str(path)], check=True, capture_output=True)


def jsdom(*args) -> dict:
    assert NODE is not None, NODE_MISSING
    assert subprocess.run([NODE, "-e", "require('jsdom')"], capture_output=True).returncode == 0, \
        "node cannot load jsdom: `make test` installs it into .venv/node (NODE_PATH)"
    script = Path(__file__).with_name("js_smoke.js")
    res = subprocess.run([NODE, str(script), *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def test_overview_script_in_jsdom(rendered):
    out, _ = rendered
    got = jsdom(out / "index.html")
    assert got.pop("errors") == []
    assert got.pop("shown") > 0
    assert set(got) >= {"ascending", "descending", "filtered", "whatifChanges", "resetRestores",
                        "recomputeMatchesPublished", "otherYear", "backToLatest", "whatifResorted",
                        "whatifDeltas", "negativeRejected", "zeroRejected"}
    assert all(got.values()), got


def test_earlier_year_rows_match_a_render_of_that_year(framework, run, rendered, tmp_path):
    """The rows the script builds for an earlier year equal the rows the template renders when
    that year is the latest."""
    from rating.publish import RunTables
    from reports.render import render

    out, _ = rendered
    year = min(run["scores"]["year"].to_list())
    only = {k: (v.filter(pl.col("year") == year) if isinstance(v, pl.DataFrame) and "year" in v.columns else v)
            for k, v in run.items()}
    render(tmp_path, RunTables(framework=framework, **only))
    built = jsdom(out / "index.html", "dump", year)
    served = jsdom(tmp_path / "index.html", "dump")
    assert built["errors"] == [] and served["errors"] == []
    assert built["rows"] and sorted(built["rows"]) == sorted(served["rows"])
