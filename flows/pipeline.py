"""The cnfiscal flow: extract → clean → normalise → validate → load → publish.

This file only wires the steps; each step is a plain function in its own module, wrapped here in
a thin Prefect task. Tasks work on whole batches (never one task per document), and pass paths
and rows, never open connections.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import clean, extract, load, normalise, publish, validate
from flows.records import RawDocument, Rejection, Source

step = task(cache_policy=NO_CACHE)  # rows are large; hashing them for a cache key is waste


@step(name="extract")
def extract_step(sources: list[Source]) -> tuple[list[RawDocument], list[Rejection]]:
    return extract.extract(sources)


@step(name="clean")
def clean_step(raws: list[RawDocument]) -> tuple[list[dict], list[Rejection]]:
    return clean.clean(raws)


@step(name="normalise")
def normalise_step(documents: list[dict]) -> list[dict]:
    return normalise.normalise(documents)


@step(name="stage")
def stage_step(documents: list[dict], figures: list[dict], rejections: list[Rejection],
               out: Path) -> Path:
    staging = publish.new_staging_dir(out)
    tables = publish.build_tables(documents, figures, [r.row() for r in rejections])
    publish.stage_package(tables, staging)
    return staging


@step(name="validate")
def validate_step(staging: Path, input_uris: list[str]) -> dict:
    return validate.validate_package(staging, input_uris)


@step(name="load")
def load_step(staging: Path) -> Path:
    return load.load_duckdb(staging)


@step(name="publish")
def publish_step(staging: Path, out: Path) -> Path:
    return publish.swap_in(staging, out)


@flow(name="cnfiscal-run")
def run_pipeline(inputs: list[str], out: str, manifest: str | None = None) -> dict:
    """Turn the sources into a validated package at `out`; the previous package survives any failure."""
    sources = extract.discover_sources([Path(i) for i in inputs], Path(manifest) if manifest else None)
    raws, extract_rejections = extract_step(sources)
    documents, clean_rejections = clean_step(raws)
    figures = normalise_step(documents)
    rejections = extract_rejections + clean_rejections
    staging = stage_step(documents, figures, rejections, Path(out))
    try:
        validate_step(staging, [s.source_uri for s in sources])
        load_step(staging)
        package = publish_step(staging, Path(out))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"documents": len(documents), "figures": len(figures), "rejections": len(rejections),
            "package": str(package / "datapackage.json"),
            "duckdb": str(package / publish.DUCKDB_NAME)}
