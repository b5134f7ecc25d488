"""The codelists the package publishes: indicators (owned here) and regions (built from GB/T 2260)."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

CODELIST_DIR = Path(__file__).parent
NATION_CODE = "100000"


def read_codelist(name: str) -> pa.Table:
    """A codelist CSV as an Arrow table of strings (empty cells become nulls)."""
    path = CODELIST_DIR / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        columns = next(csv.reader(handle))
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=True
        ),
    )


@cache
def _region_lookup() -> dict[str, list[str]]:
    """Codes by code, full name and short name (a short name may be shared: 朝阳)."""
    lookup: dict[str, list[str]] = {}
    for row in read_codelist("regions").to_pylist():
        for key in {row["code"], row["name"], row["short_name"]}:
            lookup.setdefault(key, []).append(row["code"])
    return lookup


def resolve_region(name_or_code: str) -> list[str]:
    """The region codes a manifest's `region` value may mean: one when unambiguous, none when unknown."""
    return sorted(set(_region_lookup().get(name_or_code.strip(), [])))
