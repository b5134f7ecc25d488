"""Publish: write the package's files into a staging folder, then swap it in for --out.

The staging folder sits beside --out; it replaces --out only after validation, so a failed run
leaves the previous package untouched. Everything written here is a pure function of the rows
(sorted by primary key) and SOURCE_DATE_EPOCH, so two runs on the same inputs give the same bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.codelists import read_codelist
from flows.metadata import arrow_schema, dataset_descriptor, resource_names, table_schema

DUCKDB_NAME = "cnfiscal.duckdb"


def build_tables(documents: list[dict], passages: list[dict], figures: list[dict],
                 rejections: list[dict]) -> dict[str, pa.Table]:
    """Every resource as an Arrow table typed from schemas/, rows sorted by primary key."""
    rows = {"documents": documents, "passages": passages, "figures": figures,
            "rejections": rejections,
            "indicators": read_codelist("indicators").to_pylist(),
            "regions": read_codelist("regions").to_pylist()}
    tables = {}
    for name in resource_names():
        key = table_schema(name)["primaryKey"]
        ordered = sorted(rows[name], key=lambda r: tuple(r[k] for k in key))
        tables[name] = pa.Table.from_pylist(ordered, schema=arrow_schema(name))
    return tables


def _csv_cell(value: Any) -> str:
    """Table Schema's lexical forms: empty for null, true/false, ISO dates, 9.4 and 457020000000."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_resource_files(tables: dict[str, pa.Table], staging: Path) -> None:
    """data/<resource>.csv (UTF-8, RFC 4180) and data/<resource>.parquet for every resource."""
    data = staging / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        with open(data / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(table.column_names)
            for row in table.to_pylist():
                writer.writerow([_csv_cell(v) for v in row.values()])
        pq.write_table(table, data / f"{name}.parquet", compression="zstd")


def _file_facts(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size,
            "hash": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()}


def created_timestamp() -> str | None:
    """SOURCE_DATE_EPOCH as an ISO timestamp: wall-clock time would break reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_descriptor(staging: Path) -> dict[str, Any]:
    """The published datapackage.json: the dataset's metadata, schemas inlined, bytes and hash
    for every data file. A resource's CSV carries its name; its Parquet twin is <name>-parquet."""
    descriptor = {k: v for k, v in dataset_descriptor().items() if k != "resources"}
    created = created_timestamp()
    if created:
        descriptor["created"] = created
    descriptor["resources"] = []
    for name in resource_names():
        schema = table_schema(name)
        csv_path, parquet_path = f"data/{name}.csv", f"data/{name}.parquet"
        descriptor["resources"].append({
            "name": name, "type": "table", "path": csv_path, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "title": schema["title"], "description": schema["description"],
            **_file_facts(staging / csv_path), "schema": schema,
        })
        # Frictionless reads Parquet through pandas, which turns null integers into NaN and
        # fails them; the pipeline checks each Parquet file against its CSV twin instead.
        descriptor["resources"].append({
            "name": f"{name}-parquet", "type": "file", "path": parquet_path, "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "title": f"{schema['title']} (Parquet)",
            "description": f"The {name} resource as typed Parquet: same rows and columns as {csv_path}.",
            **_file_facts(staging / parquet_path),
        })
    return descriptor


def stage_package(tables: dict[str, pa.Table], staging: Path) -> Path:
    """Write data files and datapackage.json into the staging folder."""
    write_resource_files(tables, staging)
    descriptor_path = staging / "datapackage.json"
    descriptor_path.write_text(
        json.dumps(package_descriptor(staging), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    return descriptor_path


def new_staging_dir(out: Path) -> Path:
    """An empty folder beside --out (same file system, so the final swap is a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the published package is not
    return staging


def swap_in(staging: Path, out: Path) -> Path:
    """Replace --out with the validated staging folder; the old package is removed last."""
    retired = None
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.retired-", dir=out.parent))
        os.replace(out, retired / out.name)
    os.replace(staging, out)
    if retired:
        shutil.rmtree(retired)
    return out
