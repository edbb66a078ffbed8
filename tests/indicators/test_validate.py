"""Row checks: every [[row]] case of the corpus gives exactly the documented quarantine."""

from __future__ import annotations

from indicators.load import load


def quarantined(loaded) -> list[list]:
    return sorted(
        [table, row, reason]
        for table, frame in loaded.quarantine.items()
        for row, reason in frame.select("row", "reason").iter_rows()
    )


def test_row_case(row_case, kit, tmp_path, con):
    case = row_case
    loaded = load(kit.build_case(case, tmp_path / "data"), con, as_of=kit.AS_OF)
    assert quarantined(loaded) == sorted(case["expect"])
    for table, counts in loaded.counts.items():
        assert counts.read == counts.accepted + counts.quarantined
        assert counts.accepted == con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if "detail" in case:
        table, row, _ = case["expect"][0]
        frame = loaded.quarantine[table]
        detail = frame.filter(frame["row"] == row)["detail"][0]
        assert case["detail"] in detail
