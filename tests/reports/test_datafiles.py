"""The run's data files listed at the foot of index.html (reports.datafiles)."""
from __future__ import annotations

from reports.datafiles import listing, present


def test_a_file_still_being_written_is_not_listed(tmp_path):
    """The workbook is written on a thread as `.rating.xlsx.part` and renamed when complete; a run
    that lists its folder meanwhile must list what it will publish, not the temporary file (else
    index.html differs between two runs of the same inputs when the thread is slow)."""
    for name in ("rating.xlsx", ".rating.xlsx.part", "audit/pca.csv", ".cache/x.csv", "units/440100.html",
                 "index.html", "scores.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert present(tmp_path) == ["audit/pca.csv", "rating.xlsx", "scores.csv"]
    assert [r["name"] for r in listing(present(tmp_path), "en")] == ["rating.xlsx", "scores.csv", "audit/pca.csv"]
