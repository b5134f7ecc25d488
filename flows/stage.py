"""Stage: gather the batches' rows into the package's sorted resource files, in bounded memory.

Each batch of per-document work writes its rows as Parquet parts (write_parts), so rows never
travel back through the flow. Staging then sorts every resource by its primary key in DuckDB —
which spills to disk past its memory limit — and streams the sorted rows, a fixed number at a
time, into data/<resource>.parquet and data/<resource>.csv. Peak memory does not grow with the
corpus, and the chunks are the same on every run, so the files are byte-identical. With
--workers N, the worker processes write the resources side by side, and each CSV from its
Parquet file's row groups, in pieces joined at the end (the same bytes).
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flows.codelists import read_codelist
from flows.dictionary import write_dictionary
from flows.fetch import RawStore
from flows.incremental import BatchResult, process_batch
from flows.metadata import arrow_schema, duckdb_connect, resource_names, table_schema
from flows.publish import CSV_ENCODING, csv_cell, package_descriptor
from flows.records import PipelineError, RawFile, Rejection
from flows.validate import figure_flags
from flows.workers import submit

PART_RESOURCES = ("documents", "passages", "figures")  # rows made by per-document work
CHUNK_ROWS = 10_000  # rows per Parquet row group and per CSV write
PIECE_GROUPS = 5  # row groups per piece of a CSV file: large files are written in parallel pieces
FLAGS_NEED = ("documents", "figures")  # figure_flags are found in these resources' files


@dataclass
class StagedBatch:
    """What the flow keeps of a batch once its rows are on disk: counts and rejections."""

    documents: int = 0
    figures: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    processed: int = 0
    cached: int = 0


def process_to_parts(raws: list[RawFile], raw_store: Path, cache: Path | None, version: str,
                     parts: Path, name: str) -> StagedBatch:
    """Per-document work for a batch, its rows written as parts (what a worker process runs)."""
    return write_parts(process_batch(raws, RawStore(raw_store), cache, version), parts, name)


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


def _csv_header(name: str) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerow(arrow_schema(name).names)
    return text.getvalue()


def _csv_rows(chunk: pa.Table) -> str:
    """A chunk's rows as CSV (RFC 4180, Table Schema's lexical forms): one write (and one
    encode) per chunk, not per row."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(
        zip(*(_csv_cells(column) for column in chunk.columns)))
    return text.getvalue()


def write_parquet(name: str, parts: Path, rejections: list[dict], data: Path,
                  with_csv: bool) -> int:
    """data/<name>.parquet (zstd), its rows sorted by primary key in DuckDB, in row groups of
    CHUNK_ROWS rows — and, `with_csv`, data/<name>.csv (UTF-8 with BOM) in the same pass;
    returns the number of row groups."""
    csv_file = open(data / f"{name}.csv", "w", encoding=CSV_ENCODING, newline="") if with_csv \
        else nullcontext()
    with csv_file as handle, duckdb_connect(spill=parts / f"spill-{name}") as con, \
            pq.ParquetWriter(data / f"{name}.parquet", arrow_schema(name), compression="zstd") as parquet:
        if handle:
            handle.write(_csv_header(name))
        groups = 0
        for chunk in sorted_rows(con, name, _rows(name, parts, rejections, data)):
            parquet.write_table(chunk, row_group_size=CHUNK_ROWS)
            if handle:
                handle.write(_csv_rows(chunk))
            groups += 1
    return groups


def _rows(name: str, parts: Path, rejections: list[dict], data: Path) -> pa.Table | list[Path]:
    """A resource's unsorted rows: the batches' parts, or rows made here."""
    if name in PART_RESOURCES:
        return sorted((parts / name).glob("*.parquet"))
    if name == "figure_flags":
        rows = figure_flags({n: data / f"{n}.parquet" for n in FLAGS_NEED})
    else:
        rows = rejections if name == "rejections" else read_codelist(name).to_pylist()
    return pa.Table.from_pylist(rows, schema=arrow_schema(name))


def write_csv_piece(name: str, data: Path, first: int, stop: int, piece: Path) -> None:
    """Row groups first…stop-1 of data/<name>.parquet as CSV rows, without header or BOM: a
    piece of data/<name>.csv."""
    parquet = pq.ParquetFile(data / f"{name}.parquet")
    with open(piece, "w", encoding="utf-8", newline="") as handle:
        for group in range(first, stop):
            handle.write(_csv_rows(parquet.read_row_group(group)))


def join_csv(name: str, pieces: list[Path], data: Path) -> None:
    """data/<name>.csv: BOM and header row, then the pieces in order."""
    with open(data / f"{name}.csv", "wb") as handle:
        handle.write(_csv_header(name).encode(CSV_ENCODING))
        for piece in pieces:
            with open(piece, "rb") as source:
                shutil.copyfileobj(source, handle, 1 << 20)


def _write_data(parts: Path, rejections: list[dict], data: Path, workers: int,
                jobs: list[Future]) -> dict[str, list[Path]]:
    """Every resource's Parquet file, figures (the largest) first. With one process, each CSV is
    written in the same pass; with more, in pieces (jobs started as soon as the Parquet file is
    written), returned in order for joining. Every job goes into `jobs`."""
    def parquet(name: str) -> Future:
        jobs.append(submit(workers, write_parquet, name, parts,
                           rejections if name == "rejections" else [], data, workers <= 1))
        return jobs[-1]

    pieces: dict[str, list[Path]] = {}
    first = ["figures"] + [n for n in resource_names() if n not in ("figures", "figure_flags")]
    pending = {parquet(name): name for name in first}
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for job in done:
            name = pending.pop(job)
            if name in FLAGS_NEED and not set(FLAGS_NEED) & set(pending.values()):
                pending[parquet("figure_flags")] = "figure_flags"  # its inputs are written
            groups = job.result()
            if workers > 1:
                starts = range(0, groups, PIECE_GROUPS)
                pieces[name] = [parts / "csv" / f"{name}-{start:06d}.csv" for start in starts]
                jobs += [submit(workers, write_csv_piece, name, data, start,
                                min(start + PIECE_GROUPS, groups), piece)
                         for start, piece in zip(starts, pieces[name])]
    return pieces


def stage_package(parts: Path, rejections: list[dict], staging: Path, workers: int = 1) -> Path:
    """Write every resource's files, data-dictionary.md and datapackage.json into the staging
    folder, the resources' files as jobs for `workers` local processes (here, when 1)."""
    data = staging / "data"
    jobs: list[Future] = []
    try:
        data.mkdir(parents=True, exist_ok=True)
        (parts / "csv").mkdir(parents=True, exist_ok=True)
        pieces = _write_data(parts, rejections, data, workers, jobs)
        for job in jobs:
            job.result()
        for name, files in pieces.items():
            join_csv(name, files, data)
        write_dictionary(staging)
        (staging / "datapackage.json").write_text(
            json.dumps(package_descriptor(staging), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
    except OSError as exc:
        raise PipelineError(f"writing the package failed: {exc.strerror} ({exc.filename})") from exc
    finally:  # after a failure, the jobs still running end before the caller removes their folders
        for job in jobs:
            job.cancel()
        wait(jobs)
    return staging
