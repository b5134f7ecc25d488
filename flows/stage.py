"""Stage: gather the batches' rows into the package's sorted resource files, in bounded memory.

Each batch of per-document work writes its rows as Parquet parts (write_parts), so rows never
travel back through the flow. Staging then sorts every resource by its primary key in DuckDB —
which spills to disk past its memory limit — and streams the sorted rows, a fixed number at a
time, into data/<resource>.parquet and data/<resource>.csv. Peak memory does not grow with the
corpus, and the chunks are the same on every run, so the files are byte-identical.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows.codelists import read_codelist
from flows.dictionary import write_dictionary
from flows.incremental import BatchResult, process_batch
from flows.metadata import arrow_schema, duckdb_connect, resource_names, table_schema
from flows.publish import CSV_ENCODING, csv_cell, package_descriptor
from flows.records import PipelineError, RawFile, Rejection
from flows.validate import figure_flags

PART_RESOURCES = ("documents", "passages", "figures")  # rows made by per-document work
CHUNK_ROWS = 10_000  # rows per Parquet row group and per CSV write


@dataclass
class StagedBatch:
    """What the flow keeps of a batch once its rows are on disk: counts and rejections."""

    documents: int = 0
    figures: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    processed: int = 0
    cached: int = 0


def process_to_parts(raws: list[RawFile], cache: Path | None, version: str, parts: Path,
                     name: str) -> StagedBatch:
    """Per-document work for a batch, its rows written as parts (what a worker process runs)."""
    return write_parts(process_batch(raws, cache, version), parts, name)


def write_parts(batch: BatchResult, parts: Path, name: str) -> StagedBatch:
    """The batch's rows as parts/<resource>/<name>.parquet, typed from schemas/."""
    for resource in PART_RESOURCES:
        folder = parts / resource
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(getattr(batch, resource), schema=arrow_schema(resource))
        pq.write_table(table, folder / f"{name}.parquet")
    return StagedBatch(len(batch.documents), len(batch.figures), batch.rejections,
                       batch.processed, batch.cached)


def _rechunked(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    """Exactly CHUNK_ROWS rows at a time (the last chunk fewer), typed to the schema: DuckDB's
    own batch sizes may vary between runs, and row groups must not."""
    pending: pa.Table | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        pending = table if pending is None else pa.concat_tables([pending, table])
        while pending.num_rows >= CHUNK_ROWS:
            yield pending.slice(0, CHUNK_ROWS).cast(schema)
            pending = pending.slice(CHUNK_ROWS)
    if pending is not None and pending.num_rows:
        yield pending.cast(schema)


def sorted_rows(con: duckdb.DuckDBPyConnection, name: str, rows: pa.Table | list[Path]) -> Iterator[pa.Table]:
    """A resource's rows (an Arrow table, or Parquet parts) in primary-key order, in chunks."""
    schema = arrow_schema(name)
    key = ", ".join(f'"{k}"' for k in table_schema(name)["primaryKey"])
    if isinstance(rows, pa.Table):
        relation = con.from_arrow(rows)
    elif rows:
        relation = con.read_parquet([str(p) for p in rows])
    else:
        return _rechunked([], schema)
    reader = relation.order(key).to_arrow_reader(CHUNK_ROWS)
    return _rechunked(reader, schema)


def _csv_cells(column: pa.ChunkedArray) -> list[str]:
    """A column's cells in Table Schema's lexical forms, formatted column by column: Arrow casts
    integers, dates and booleans (2021-01-01, true); numbers keep csv_cell's form (457020000000,
    not Arrow's 4.5702e+11)."""
    if pa.types.is_floating(column.type):
        return [csv_cell(v) for v in column.to_pylist()]
    return pc.fill_null(column.cast(pa.string()), "").to_pylist()


def write_resource(name: str, chunks: Iterable[pa.Table], data: Path) -> None:
    """data/<name>.parquet (zstd) and data/<name>.csv (UTF-8 with BOM, RFC 4180, Table Schema's
    lexical forms), written chunk by chunk."""
    schema = arrow_schema(name)
    with pq.ParquetWriter(data / f"{name}.parquet", schema, compression="zstd") as parquet, \
            open(data / f"{name}.csv", "w", encoding=CSV_ENCODING, newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(schema.names)
        for chunk in chunks:
            parquet.write_table(chunk, row_group_size=CHUNK_ROWS)
            text = io.StringIO()  # one write (and one encode) per chunk, not per row
            csv.writer(text, lineterminator="\r\n").writerows(
                zip(*(_csv_cells(column) for column in chunk.columns)))
            handle.write(text.getvalue())


def _in_memory_rows(name: str, rejections: list[dict]) -> pa.Table:
    rows = rejections if name == "rejections" else read_codelist(name).to_pylist()
    return pa.Table.from_pylist(rows, schema=arrow_schema(name))


def stage_package(parts: Path, rejections: list[dict], staging: Path) -> Path:
    """Write every resource's files, data-dictionary.md and datapackage.json into the staging
    folder."""
    data = staging / "data"
    try:
        data.mkdir(parents=True, exist_ok=True)
        with duckdb_connect(spill=parts / "spill") as con:
            for name in resource_names():
                if name == "figure_flags":
                    continue  # needs the figures file: written last
                source = sorted((parts / name).glob("*.parquet")) if name in PART_RESOURCES \
                    else _in_memory_rows(name, rejections)
                write_resource(name, sorted_rows(con, name, source), data)
            flags = figure_flags({n: data / f"{n}.parquet" for n in ("documents", "figures")})
            write_resource("figure_flags", sorted_rows(con, "figure_flags", pa.Table.from_pylist(
                flags, schema=arrow_schema("figure_flags"))), data)
        write_dictionary(staging)
        (staging / "datapackage.json").write_text(
            json.dumps(package_descriptor(staging), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    except OSError as exc:
        raise PipelineError(f"writing the package failed: {exc.strerror} ({exc.filename})") from exc
    return staging
