"""Privacy: personal data in free text is masked where text leaves the data layer, with no false
positives on record ids, amounts, dates and names of bodies (masking_corpus.toml), and no
personal data of the input reaches any output file of a run: HTML, CSV, XLSX or DuckDB."""
from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import polars as pl
from polars.testing import assert_series_equal
import pytest

from indicators.mask import luhn, mask, mask_column, mask_frame
from indicators.synth import text as synth_text

CORPUS = tomllib.loads((Path(__file__).parent / "masking_corpus.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CORPUS["positive"] + CORPUS["known_gap"], ids=lambda c: c["text"][:30])
def test_corpus_masked(case):
    assert mask(case["text"]) == case["expected"]
    assert mask(case["expected"]) == case["expected"]  # masking twice changes nothing


@pytest.mark.parametrize("case", CORPUS["negative"], ids=lambda c: c["text"][:30])
def test_corpus_unchanged(case):
    assert mask(case["text"]) == case["text"]


@pytest.mark.parametrize("text", ["a" * 1_000_000 + "@", "a@" + "a." * 500_000 + "!", "1 " * 500_000,
                                  "负责人" * 300_000, "13812345678" + " " * 1_000_000 + "元"],
                         ids=["local-part", "domain", "digits", "roles", "spaces"])
def test_masking_never_hangs(text):
    """Text of the reader's largest line (about 2 MB) built to make a regular expression
    backtrack: every pattern must stay linear (a quadratic one takes hours here, not seconds)."""
    import signal

    def stop(*_):
        raise TimeoutError("masking does not finish: a pattern backtracks")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    try:
        assert len(mask(text)) > 0
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_luhn_and_none():
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert mask(None) is None and mask("") == ""


#: Personal data as the generator writes it, found without the engine's patterns.
PII = re.compile(r"[1-9]\d{16}[\dX]|1[3-9]\d{9}|0\d{2,3}-\d{7,8}|[陈李黄张梁林刘吴罗何郑杨谢周叶钟曾蔡许邓冯]某")


def test_generated_descriptions_are_masked_without_false_positives():
    g = np.random.default_rng(5)
    n = 3000
    cats = np.array(list(synth_text.TEMPLATES))[g.integers(0, len(synth_text.TEMPLATES), n)]
    names = np.array(["广州市发展和改革委员会", "天河区", "地方金融监督管理局", "黄埔区人民政府", "江门市财政局"])[
        g.integers(0, 5, n)]
    amount = np.where(g.random(n) < 0.3, np.nan, g.lognormal(12, 2, n))
    year = g.integers(2019, 2025, n)
    county = np.array(["440106", "440112", "440703"])[g.integers(0, 3, n)]
    city = np.array(["440100", "440100", "440700"])[g.integers(0, 3, n)]
    texts, pii = synth_text.descriptions(g, cats, names, amount, year, county, city)
    assert pii.sum() > 200
    for text, personal in zip(texts, pii):
        if text is None:
            continue
        masked = mask(text)
        if personal:
            assert masked != text and not PII.search(masked), (text, masked)
        else:
            assert masked == text, (text, masked)


def test_mask_column_and_frame_keep_shape_and_nulls():
    df = pl.DataFrame({"record_id": ["F1", "F2", "F3"], "description": ["手机13812345678", None, "金额100元"],
                       "amount": [1.0, None, 3.0], "topic": ["邮箱a@b.cn", "教育", None]})
    out = mask_column(df, "description")
    assert out["description"].to_list() == ["手机[手机号]", None, "金额100元"]
    assert_series_equal(out["topic"], df["topic"])
    assert mask_column(df, "absent") is df
    all_text = mask_frame(df, exclude=("record_id",))
    assert all_text["topic"].to_list() == ["邮箱[邮箱]", "教育", None]
    assert_series_equal(all_text["amount"], df["amount"], check_exact=True)
    assert all_text.columns == df.columns


# ---- end to end ---------------------------------------------------------------------------------
PLANTED = {
    "id": "44010619850315672X",
    "mobile": "13987654321",
    "landline": "020-87654321",
    "email": "zhang.wei@example.com",
    "card": "6222021234567890128",
}


def plant(data: Path) -> None:
    """Personal data in free text of accepted rows, of quarantined rows (a bad severity, a bad
    kind, a row the CSV parser rejects) and of an extra column."""
    p = PLANTED
    with open(data / "failure_records.csv", "a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for i, status in enumerate(["active", "under_objection", "rectified"]):
            w.writerow([f"FR-PII-{i}", "440100", "disciplinary", "2", "2024-05-0%d" % (i + 1), "", status,
                        "2024-06-01" if status == "rectified" else "",
                        f"当事人张某，身份证号{p['id']}，手机{p['mobile']}，座机{p['landline']}，邮箱{p['email']}，"
                        f"银行卡号{p['card']}"])
        w.writerow(["FR-PII-Q", "440100", "disciplinary", "9", "2024-05-09", "", "active", "",
                    f"举报人李某某，联系方式{p['mobile']}，身份证{p['id']}"])  # severity 9: quarantined
        fh.write(f'FR-PII-M,440100,"unclosed quote {p["mobile"]} {p["email"]}\n')  # malformed
    complaints = pl.read_csv(data / "complaints.csv", infer_schema_length=0)
    extra = complaints.head(3).with_columns(
        pl.Series("ticket_id", ["T-PII-1", "T-PII-2", "T-PII-3"]),
        pl.Series("topic", [f"来电人{p['mobile']}", f"邮箱{p['email']}", f"身份证{p['id']}"]),
        pl.Series("kind", ["complaint", "complaint", "not-a-kind"]))  # the last one is quarantined
    complaints = pl.concat([complaints, extra]).with_columns(pl.lit(f"备注{p['landline']}").alias("note"))
    complaints.write_csv(data / "complaints.csv")


def texts_of(path: Path) -> str:
    """Everything a person could read in an output file."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                             for v in row if v is not None)
        finally:
            book.close()
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            return "\n".join(str(row) for n in names for row in con.execute(f'SELECT * FROM "{n}"').fetchall())
        finally:
            con.close()
    return path.read_bytes().decode("utf-8", errors="replace")


def test_no_personal_data_in_any_output(tmp_path, city_world, kit):
    data = kit.copy_world(city_world, tmp_path / "data")
    generated = pl.read_csv(data / "failure_records.csv", infer_schema_length=0)["description"].drop_nulls()
    planted = set(PLANTED.values()) | {m.group(0) for d in generated for m in PII.finditer(d)}
    plant(data)
    out = tmp_path / "out"
    r = kit.rating_cli(*kit.run_args(data, out))
    assert r.returncode == 0, r.stderr
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.name == "rating.xlsx" for p in files)
    assert (out / "quarantine" / "failure_records.csv").exists()
    leaks = {}
    for path in files:
        text = texts_of(path)
        found = sorted(v for v in planted if v in text)
        if found:
            leaks[str(path.relative_to(out))] = found
    assert leaks == {}, f"personal data in outputs: {leaks}"
    # the masked text does reach the report: the records are shown, with markers
    unit_page = (out / "units" / "440100.html").read_text(encoding="utf-8")
    assert "[身份证号]" in unit_page and "[手机号]" in unit_page
