"""The data files of a run, listed and linked at the foot of index.html.

The run decides which files it writes for an audience (the public folder has no model output);
`render` is told their names, or lists the files it finds next to the pages. Each file gets a
description in the page's language; names are relative to the output folder.
"""
from __future__ import annotations

import pathlib
from urllib.parse import quote

from reports.i18n import message

#: Known files in display order: (name or folder/, message key of its description).
KNOWN = (
    ("rating.xlsx", "file_xlsx"), ("scores.csv", "file_scores"), ("indicators.csv", "file_indicators"),
    ("alerts.csv", "file_alerts"), ("risk.csv", "file_risk"), ("migration.csv", "file_migration"),
    ("results.duckdb", "file_duckdb"), ("manifest.json", "file_manifest"), ("audit/", "file_audit"),
    ("model/", "file_model"), ("quarantine/", "file_quarantine"),
)
PAGE_SUFFIXES = (".html",)


def present(out: pathlib.Path) -> list[str]:
    """The files in `out` other than the report pages, as sorted names relative to `out`. Hidden
    names are left out: a file still being written (the workbook's `.rating.xlsx.part`, renamed
    when complete, while the run lists the folder) is not one of the run's files."""
    out = pathlib.Path(out)
    if not out.is_dir():
        return []
    names = []
    for p in out.rglob("*"):
        rel = p.relative_to(out)
        name = rel.as_posix()
        if p.is_file() and not name.startswith("units/") and p.suffix not in PAGE_SUFFIXES \
                and not any(part.startswith(".") for part in rel.parts):
            names.append(name)
    return sorted(names)


def _key(name: str) -> tuple[int, str]:
    for i, (known, _) in enumerate(KNOWN):
        if name == known or (known.endswith("/") and name.startswith(known)):
            return i, name
    return len(KNOWN), name


def listing(names, lang: str) -> list[dict]:
    """A row per file: href (URL-quoted), name and what it holds, in the order of KNOWN."""
    rows = []
    for name in sorted({str(n).replace("\\", "/").lstrip("/") for n in names if n}, key=_key):
        i, _ = _key(name)
        what = message(KNOWN[i][1], lang) if i < len(KNOWN) else ""
        rows.append({"href": quote(name), "name": name, "what": what})
    return rows
