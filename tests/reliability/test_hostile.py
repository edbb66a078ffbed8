"""Hostile text: script payloads in every input text that can reach a report and in the
framework's labels are escaped in every page; unit ids that try to leave the output folder are
quarantined and no file is written outside OUT; SQL in a framework's condition values is a
literal (or a validation error), never code.
"""
from __future__ import annotations

import copy
import csv
import json
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
import pytest

from indicators.errors import FrameworkError
from indicators.framework_load import default_framework_path, parse_framework

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script><script>alert(1)</script>",
            "javascript:alert(1)", "' onmouseover='alert(1)' x='", "\\g<0>\\1 {{7*7}} ]]> <!-- &amp;"]
HOSTILE = " ".join(PAYLOADS)
TRAVERSAL = ["../../etc/passwd", "440100/../x", "440100-../../x", "..\\..\\x", "/tmp/x", "440100-DRC/../../y"]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}


class PageCheck(HTMLParser):
    """Collects what an unescaped payload would have created: handlers, javascript: URLs, an
    <img src=x>, a script element holding the payload, JSON blocks that do not parse."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script: str | None = None
        self.buffer: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(" in value:
                self.problems.append(f"<{tag} {name}=...> handler from data")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}='javascript:...'>")
            self.text.append(value)
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x> from data")
        if tag == "script":
            self.script, self.buffer = dict(attrs).get("type") or "text/javascript", []

    def handle_data(self, data):
        if self.script is not None:
            self.buffer.append(data)
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            body = "".join(self.buffer)
            if self.script == "application/json":
                try:
                    self.text.append(json.dumps(json.loads(body), ensure_ascii=False))
                except ValueError:
                    self.problems.append("a JSON block does not parse (a payload broke out of it?)")
            elif "alert(1)" in body:
                self.problems.append("a script element holds the payload")
            self.script = None


def hostile_framework(path: Path) -> Path:
    """The default framework with the payloads in its labels, descriptions, units, grade
    names, veto reasons and alert messages (the first three of each)."""
    text = default_framework_path().read_text(encoding="utf-8")
    for key in ("name_zh", "name_en", "description", "unit", "reason_zh", "reason_en", "message_zh", "message_en"):
        seen = 0

        def swap(m):
            nonlocal seen
            seen += 1
            value = HOSTILE + (" {value}" if key.startswith("message") else "")
            return f"{m.group(1)}{json.dumps(value)}" if seen <= 3 else m.group(0)

        text = re.sub(rf'^({key}\s*=\s*)"[^"\n]*"', swap, text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return path


def hostile_world(data: Path) -> Path:
    """Payloads in every free-text column that can reach a report, and unit ids that climb."""
    units = pl.read_csv(data / "units.csv", infer_schema_length=0)
    first = pl.col("unit_id").is_in(units["unit_id"].head(5).to_list())
    units = units.with_columns(pl.when(first).then(pl.lit(HOSTILE)).otherwise(pl.col("name")).alias("name"),
                               pl.when(first).then(pl.lit(HOSTILE)).otherwise(pl.col("name_en")).alias("name_en"))
    base = units.row(0, named=True)
    bad = pl.DataFrame([{**base, "unit_id": uid, "parent_id": None, "region_id": uid} for uid in TRAVERSAL],
                       schema=units.schema)
    pl.concat([units, bad]).with_columns(pl.lit(HOSTILE).alias("note")).write_csv(data / "units.csv")
    uid = base["unit_id"]
    with open(data / "failure_records.csv", "a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for i, status in enumerate(["active", "under_objection"]):
            w.writerow([f"FR-X{i}{HOSTILE}", uid, "dishonest_debtor", "3", "2024-03-0%d" % (i + 1), "1000", status,
                        "", HOSTILE])
        w.writerow(["FR-TRAVERSAL", TRAVERSAL[0], "disciplinary", "1", "2024-03-01", "", "active", "", "x"])
    complaints = pl.read_csv(data / "complaints.csv", infer_schema_length=0)
    complaints.with_columns(pl.lit(HOSTILE).alias("topic"), pl.col("ticket_id") + HOSTILE).write_csv(
        data / "complaints.csv")
    contracts = pl.read_csv(data / "contracts.csv", infer_schema_length=0)
    contracts.with_columns(pl.col("contract_id") + HOSTILE).write_csv(data / "contracts.csv")
    return data


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_payloads_are_escaped_and_ids_cannot_climb(tmp_path, city_world, kit):
    data = hostile_world(kit.copy_world(city_world, tmp_path / "data"))
    framework = hostile_framework(tmp_path / "framework.toml")
    outs = {"zh": tmp_path / "a" / "b" / "out-zh", "en": tmp_path / "a" / "b" / "out-en"}
    before = files_under(tmp_path)
    children = [kit.rating_popen(*kit.run_args(data, outs["zh"], "--framework", framework)),
                kit.rating_popen(*kit.run_args(data, outs["en"], "--framework", framework, "--lang", "en",
                                               "--audience", "public"))]
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
    # nothing outside OUT: every new path is one of the two output folders or inside them
    new = files_under(tmp_path) - before
    assert {p for p in new if not p.startswith(("a/b/out-zh", "a/b/out-en"))} == {"a", "a/b"}
    for out in outs.values():
        quarantined = pl.read_csv(out / "quarantine" / "units.csv", infer_schema_length=0)
        assert set(TRAVERSAL) <= set(quarantined.filter(pl.col("reason") == "bad_id")["unit_id"])
        unit_pages = {p.name for p in (out / "units").iterdir()}
        assert all(re.fullmatch(r"[0-9]{6}(-[A-Z][A-Z0-9_]{0,31})?\.html", n) for n in unit_pages)
        reached = 0
        for page in sorted(out.rglob("*.html")):
            check = PageCheck()
            check.feed(page.read_text(encoding="utf-8"))
            check.close()
            assert check.problems == [], f"{page.relative_to(out)}: {check.problems}"
            reached += "alert(1)" in " ".join(check.text)  # the payload is shown, as text
        assert reached > 3, "the payloads never reached the reports: the test proves nothing"


# ---- SQL in a framework ----------------------------------------------------------------------
INJECTION = "x'; DROP TABLE units; --"


def with_probe(doc: dict, where: list, **extra) -> dict:
    """The framework plus an auxiliary indicator (no parent) counting failure records that
    match `where`, and an event alert on the same records."""
    doc = copy.deepcopy(doc)
    doc["indicator"].append({"code": "probe", "name_zh": "探针", "name_en": "Probe", "table": "failure_records",
                             "measure": "count", "where": where, **extra})
    doc["alert"].append({"code": "probe_event", "kind": "event", "where": where, "level": "blue",
                         "message_zh": "{value}", "message_en": "{value}"})
    return doc


def test_sql_in_condition_values_is_a_literal(small_city_world, kit):
    import rating

    doc = tomllib.loads(default_framework_path().read_text(encoding="utf-8"))
    runs = {}
    for name, value in (("benign", "no such text"), ("injection", INJECTION)):
        fw = parse_framework(with_probe(doc, [{"column": "description", "eq": value},
                                               {"column": "record_id", "not_in": [value, "y"]}]))
        runs[name] = rating.run(small_city_world, fw, seed=3, replications=20, as_of=kit.AS_OF)
    for table in ("scores", "indicators", "alerts", "units"):
        assert_frame_equal(runs["benign"].tables[table], runs["injection"].tables[table], check_exact=True)
    assert runs["injection"].tables["units"].height > 0  # the table the payload names is intact


@pytest.mark.parametrize("change, code", [
    (lambda d: with_probe(d, [{"column": "category", "eq": INJECTION}]), "[bad_value]"),
    (lambda d: with_probe(d, [{"column": 'severity" = 1; DROP TABLE units; --', "eq": 1}]), "[unknown_column]"),
    (lambda d: with_probe(d, [{"column": "severity", "ge_column": "severity; DROP TABLE units"}]), "[unknown_column]"),
    (lambda d: with_probe(d, [], date="occurred_on); DROP TABLE units; --"), "[unknown_column]"),
    (lambda d: with_probe(d, [], per="population; DROP TABLE units"), "[unknown_column]"),
    (lambda d: {**d, "indicator": [*d["indicator"], {**d["indicator"][0], "code": "p2",
                                                     "table": "read_csv('/etc/passwd')"}]}, "[unknown_table]"),
    (lambda d: {**d, "indicator": [*d["indicator"], {**d["indicator"][0], "code": "p3",
                                                     "table": "../../etc/passwd"}]}, "[unknown_table]"),
])
def test_sql_in_names_is_a_validation_error(change, code):
    doc = tomllib.loads(default_framework_path().read_text(encoding="utf-8"))
    with pytest.raises(FrameworkError) as err:
        parse_framework(change(copy.deepcopy(doc)))
    assert code in str(err.value)


def test_message_templates_reach_named_values_only(small_city_world, kit):
    """A framework's alert message is filled with named values; attribute and index lookups
    (`{value.__class__}`, `{value.foo}`) are not followed, and never fail the run."""
    import rating

    doc = copy.deepcopy(tomllib.loads(default_framework_path().read_text(encoding="utf-8")))
    for alert in doc["alert"]:
        alert["message_zh"] = alert["message_en"] = "{value.__class__.__mro__} {value.foo} {name[0]} {0}"
    result = rating.run(small_city_world, parse_framework(doc), seed=3, replications=20, as_of=kit.AS_OF)
    rules = result.tables["alerts"].filter(pl.col("source") == "rule")
    assert rules.height > 0
    assert not rules["message"].str.contains("<class").any()
