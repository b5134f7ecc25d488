"""The cnfiscal flow: fetch → extract → clean → normalise → stage → validate ∥ load → site → publish.

This file only wires the steps; each step is a plain function in its own module, wrapped here in
a thin Prefect task. Tasks work on whole batches (never one task per document), and pass paths,
ids and small records, never open connections: a batch's rows go to Parquet parts on disk
(flows.stage), not back through the flow. Lists are passed quote()d where Prefect would
otherwise visit every item looking for futures.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import signal
import time
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from flows import (extract, fetch, incremental, load, preflight, publish, release, site, sources,
                   stage, validate, workers)
from flows.records import PipelineError, RawFile, Rejection, Source

DEFAULT_MAX_BYTES = 50_000_000
DEFAULT_BATCH_SIZE = 200  # documents per task: few task runs, yet work for every worker
TEST_HOOK = "CNFISCAL_TEST_HOOK"  # kill:<step> or pause:<step>:<seconds>, for the crash tests


def _test_hook(name: str) -> None:
    """Let tests crash (SIGKILL to the whole process group) or stall a run as a step begins."""
    action, _, rest = os.environ.get(TEST_HOOK, "").partition(":")
    target, _, seconds = rest.partition(":")
    if target == name and action == "kill":
        os.killpg(os.getpgid(0), signal.SIGKILL)
    if target == name and action == "pause":
        time.sleep(float(seconds))


def step(name: str, **options):
    """A thin Prefect task around a step function; rows are large, so no input hashing."""
    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            _test_hook(name)
            return function(*args, **kwargs)
        return task(name=name, cache_policy=NO_CACHE, **options)(run)
    return wrap


@step("fetch")
def fetch_step(items: list[Source], store: Path, timeout: float, max_bytes: int,
               retries: int) -> tuple[list[Source], list[Rejection]]:
    # Transient failures raise until the last attempt, so Prefect retries the batch; what was
    # fetched already sits in the raw store and is not fetched again.
    final_attempt = task_run.run_count > retries
    return fetch.fetch_sources(items, fetch.RawStore(store), timeout, max_bytes, final_attempt)


@step("read")
def read_step(items: list[Source], store: Path, max_bytes: int
              ) -> tuple[list[RawFile], list[Rejection]]:
    return extract.read_all(items, fetch.RawStore(store), max_bytes)


@step("extract-clean-normalise")
def process_step(batch: list[RawFile], store: Path, cache: Path | None, version: str,
                 parts: Path, name: str, local_workers: int) -> stage.StagedBatch:
    # The rows go to disk in the worker; only counts and rejections travel back.
    return workers.run_in_worker(local_workers, stage.process_to_parts, batch, store, cache,
                                 version, parts, name)


@step("stage")
def stage_step(parts: Path, rejections: list[Rejection], staging: Path, local_workers: int) -> Path:
    return stage.stage_package(parts, [r.row() for r in rejections], staging, local_workers)


@step("validate")
def validate_step(staging: Path, input_uris: list[str], local_workers: int) -> dict:
    report = validate.validate_package(staging, input_uris, local_workers)
    create_markdown_artifact(validate.markdown_report(report), key="validation-report",
                             description="cnfiscal validation report")
    return report


@step("load")
def load_step(staging: Path) -> Path:
    return load.load_duckdb(staging)


@step("site")
def site_step(staging: Path) -> Path:
    return site.write_site(staging)


@step("publish")
def publish_step(staging: Path, out: Path) -> Path:
    return publish.swap_in(staging, out)


@step("release")
def release_step(package: Path, releases: Path) -> Path:
    return release.make_release(package, releases, dt.datetime.now(dt.timezone.utc).date())


# Two threads: validation and loading run side by side. More would only hold more batches in
# memory at once, since per-document work holds the GIL (--workers N hands batches to processes).
@flow(name="cnfiscal-run", task_runner=ThreadPoolTaskRunner(max_workers=2))
def run_pipeline(inputs: list[str], out: str, manifest: str | None = None,
                 raw_store: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 fetch_timeout: float = 30.0, fetch_retries: int = 3,
                 fetch_backoff: float = 2.0, releases: str | None = None,
                 cache: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 local_workers: int = 1) -> dict:
    """Turn the sources into a validated package at `out`; the previous package survives any failure."""
    out_dir = Path(out)
    store = Path(raw_store) if raw_store else out_dir.parent / "raw-store"
    cache_dir = Path(cache) if cache else out_dir.parent / "cache"
    with publish.publish_lock(out_dir):
        publish.remove_stale_builds(out_dir)
        workers.start(local_workers)
        found, refused = sources.discover_sources([Path(i) for i in inputs],
                                                  Path(manifest) if manifest else None)
        fetcher = fetch_step.with_options(retries=fetch_retries,
                                          retry_delay_seconds=exponential_backoff(backoff_factor=fetch_backoff))
        fetched, fetch_rejections = fetcher(quote(found), store, fetch_timeout, max_bytes, fetch_retries)
        raws, read_rejections = read_step(quote(fetched), store, max_bytes)
        version = incremental.code_version()
        fingerprint = preflight.run_fingerprint(raws, refused + fetch_rejections + read_rejections)
        if fingerprint == publish.published_fingerprint(out_dir):
            return publish.unchanged_summary(out_dir, len(raws))  # nothing changed: keep it
        staging, parts = publish.new_staging_dir(out_dir), publish.new_staging_dir(out_dir)
        try:
            batches = [raws[i:i + batch_size] for i in range(0, len(raws), batch_size)]
            results = [f.result() for f in [process_step.submit(b, store, cache_dir, version, parts,
                                                                f"{n:06d}", local_workers)
                                            for n, b in enumerate(batches)]]
            rejections = (refused + fetch_rejections + read_rejections
                          + [x for r in results for x in r.rejections])
            stage_step(parts, quote(rejections), staging, local_workers)
            shutil.rmtree(parts)
            # Validation and loading read the same staged files: run them side by side.
            validation = validate_step.submit(
                staging, [s.source_uri for s in found] + [r.source_uri for r in refused],
                local_workers)
            loading = load_step.submit(staging)
            for future in (validation, loading):
                future.wait()
            validation.result()  # a failed check is the more telling error: raise it first
            loading.result()
            site_step(staging)  # lists the DuckDB file's hash: after loading
            package = publish_step(staging, out_dir)
            publish.record_fingerprint(out_dir, fingerprint)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(parts, ignore_errors=True)
            raise
        released = release_step(package, Path(releases)) if releases else None
    return {"documents": sum(r.documents for r in results), "figures": sum(r.figures for r in results),
            "rejections": len(rejections),
            "processed": sum(r.processed for r in results), "cached": sum(r.cached for r in results),
            "package": str(package / "datapackage.json"),
            "duckdb": str(package / publish.DUCKDB_NAME),
            "release": str(released) if released else None}


def configured(workers: int = 1, dask_address: str | None = None):
    """The flow with its task runner: a Dask cluster's, or threads — as many as local workers
    (call it with local_workers=workers), each batch's thread waiting on its worker process."""
    if dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise PipelineError("--dask-address needs prefect-dask: pip install -e '.[dask]'") from exc
        return run_pipeline.with_options(task_runner=DaskTaskRunner(address=dask_address))
    if workers > 2:
        return run_pipeline.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))
    return run_pipeline
