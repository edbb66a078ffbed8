"""A run folder as it is handed out. The public edition is the whole folder, not only its HTML: no
file holds the model's output (probabilities, model alerts, explanations, backtest). No file of
any edition names a path of the machine that ran (the manifest names inputs relative to the data
folder). Two identical runs give the same bytes, rating.xlsx included (its document properties
carry the run's as-of date, not the moment of writing).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from tests.conftest import AS_OF

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
MODEL_TABLES = {"risk", "explanations", "alert_levels", "model_backtest"}


@pytest.fixture(scope="module")
def public_runs(small_world, tmp_path_factory):
    """The public English edition of the small world, run twice into folders of different names."""
    import rating

    outs = []
    for name in ("first", "second-run"):
        out = tmp_path_factory.mktemp(name) / "public"
        rating.run(small_world, seed=3, out=out, as_of=AS_OF, replications=30, lang="en", audience="public")
        outs.append(out)
    return outs


def _texts(out: Path) -> dict[str, bytes]:
    """Every file of a run folder as bytes, the workbook's parts unpacked and the DuckDB file's
    tables dumped as text besides its raw bytes (a string there may sit in a compressed block)."""
    got = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        raw = path.read_bytes()
        got[name] = raw
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                got.update({f"{name}:{part}": z.read(part) for part in z.namelist()})
        if path.suffix == ".duckdb":
            con = duckdb.connect(str(path), read_only=True)
            try:
                for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                    rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
                    got[f"{name}:{table}"] = repr(rows).encode("utf-8")
            finally:
                con.close()
    return got


def _machine_paths(*folders: Path) -> list[str]:
    """The paths of this machine a careless writer would leak: the repository (where the default
    framework file lives), the data folder and the output folder, each as given and absolute."""
    return sorted({str(ROOT), *(str(f) for f in folders), *(str(f.resolve()) for f in folders)}, key=len, reverse=True)


def test_public_folder_holds_no_model_output(public_runs):
    out = public_runs[0]
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert "risk.csv" not in names and not any(n.startswith("model/") for n in names), sorted(names)
    alerts = pl.read_csv(out / "alerts.csv", infer_schema_length=0)
    assert alerts.height > 0 and set(alerts["source"]) == {"rule"}
    scores = pl.read_csv(out / "scores.csv", infer_schema_length=0)
    assert scores["veto"].drop_nulls().len() > 0 and scores["veto_record_id"].drop_nulls().len() == 0  # as on the pages
    book = openpyxl.load_workbook(out / "rating.xlsx", read_only=True)
    try:
        assert "risk" not in book.sheetnames
        rows = list(book["alerts"].iter_rows(values_only=True))
        src = rows[0].index("Source") if "Source" in rows[0] else None
        if src is not None:
            assert {r[src] for r in rows[1:]} <= {"rule", "Rule", "Rules", "rules"}, {r[src] for r in rows[1:]}
        assert len(rows) - 1 == alerts.height
    finally:
        book.close()
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert not tables & MODEL_TABLES, tables & MODEL_TABLES
        assert con.execute("SELECT count(*) FROM alerts WHERE source <> 'rule' OR evidence IS NOT NULL").fetchone() == (0,)
    finally:
        con.close()
    # no model alert in any file; no probability, explanation or model level column in any data file
    # (the pages speak of the probability of a grade under the rating's own uncertainty: not the model's)
    for name, data in _texts(out).items():
        words = (b"risk_model",) if name.endswith(".html") else (b"risk_model", b"probability", b"contribution",
                                                                  b"model_level")
        for word in words:
            assert word not in data, (name, word)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["parameters"]["audience"] == "public"
    assert manifest["outputs"]["alerts"] == alerts.height  # counts what the folder holds


def test_public_outlook_reads_rule_alerts_only(public_runs):
    """A model alert must not show through as a negative outlook: with a score that did not
    fall, the outlook is negative only when a red or orange rule alert is open."""
    out = public_runs[0]
    scores = pl.read_csv(out / "scores.csv").sort("unit_id", "year")
    severe = (pl.read_csv(out / "alerts.csv").filter(pl.col("level").is_in(["red", "orange"]))
              .select("unit_id", "year").unique().with_columns(pl.lit(True).alias("severe")))
    df = (scores.with_columns((pl.col("score") - pl.col("score").shift(1).over("unit_id")).alias("d"))
          .join(severe, on=["unit_id", "year"], how="left"))
    unexplained = df.filter((pl.col("outlook") == "negative") & pl.col("severe").is_null()
                            & ~(pl.col("d") < 0))
    assert unexplained.is_empty(), unexplained.head()
    assert (df["outlook"] == "negative").sum() > 0


@pytest.mark.parametrize("edition", ["internal", "public"])
def test_no_file_names_a_path_of_the_machine(edition, small_run, small_world, public_runs):
    out = small_run.out if edition == "internal" else public_runs[0]
    paths = _machine_paths(small_world, out)
    for name, data in _texts(out).items():
        text = data.decode("utf-8", "replace")
        leaked = [p for p in paths if p in text]
        assert not leaked, (name, leaked)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["framework"]["path"] == "default_framework.toml"
    assert {v["file"] for v in manifest["inputs"].values()} >= {"units.csv", "unit_stats.csv"}
    assert all("/" not in v["file"] for v in manifest["inputs"].values())


def test_identical_runs_give_identical_files(public_runs, differing_outputs):
    """Same data, seed and as-of date into two folders of different names: the same files, the
    workbook byte for byte (its core properties are the as-of date)."""
    a, b = public_runs
    assert (a / "rating.xlsx").read_bytes() == (b / "rating.xlsx").read_bytes()
    assert differing_outputs(a, b) == []
    with zipfile.ZipFile(a / "rating.xlsx") as z:
        core = z.read("docProps/core.xml").decode("utf-8")
    assert core.count(f"{AS_OF.isoformat()}T00:00:00Z") == 2  # created and modified
