"""The cnfiscal flow: fetch → extract → clean → normalise → validate → load → site → publish.

This file only wires the steps; each step is a plain function in its own module, wrapped here in
a thin Prefect task. Tasks work on whole batches (never one task per document), and pass paths
and rows, never open connections. Rows are passed quote()d: Prefect would otherwise visit every
value of every row looking for futures, which cost more than the work itself.
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
from prefect.task_runners import ProcessPoolTaskRunner
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote

from flows import extract, fetch, incremental, load, metadata, publish, release, site, sources, validate
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
def process_step(batch: list[RawFile], cache: Path | None, version: str) -> incremental.BatchResult:
    return incremental.process_batch(batch, cache, version)


@step("stage")
def stage_step(documents: list[dict], passages: list[dict], figures: list[dict],
               rejections: list[Rejection], staging: Path) -> Path:
    tables = publish.build_tables(documents, passages, figures, [r.row() for r in rejections])
    tables = publish.with_flags(tables, validate.figure_flags(tables))
    return publish.stage_package(tables, staging)


@step("validate")
def validate_step(staging: Path, input_uris: list[str]) -> dict:
    report = validate.validate_package(staging, input_uris)
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


@flow(name="cnfiscal-run")
def run_pipeline(inputs: list[str], out: str, manifest: str | None = None,
                 raw_store: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 fetch_timeout: float = 30.0, fetch_retries: int = 3,
                 fetch_backoff: float = 2.0, releases: str | None = None,
                 cache: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> dict:
    """Turn the sources into a validated package at `out`; the previous package survives any failure."""
    out_dir = Path(out)
    store = Path(raw_store) if raw_store else out_dir.parent / "raw-store"
    cache_dir = Path(cache) if cache else out_dir.parent / "cache"
    with publish.publish_lock(out_dir):
        publish.remove_stale_builds(out_dir)
        found, refused = sources.discover_sources([Path(i) for i in inputs],
                                                  Path(manifest) if manifest else None)
        fetcher = fetch_step.with_options(retries=fetch_retries,
                                          retry_delay_seconds=exponential_backoff(backoff_factor=fetch_backoff))
        fetched, fetch_rejections = fetcher(quote(found), store, fetch_timeout, max_bytes, fetch_retries)
        raws, read_rejections = read_step(quote(fetched), store, max_bytes)
        version = incremental.code_version()
        fingerprint = incremental.run_fingerprint(
            raws, refused + fetch_rejections + read_rejections, version,
            metadata.package_metadata() + f"\0{os.environ.get('SOURCE_DATE_EPOCH', '')}")
        if fingerprint == publish.published_fingerprint(out_dir):
            return publish.unchanged_summary(out_dir, len(raws))  # nothing changed: keep it
        batches = [raws[i:i + batch_size] for i in range(0, len(raws), batch_size)]
        results = [f.result() for f in [process_step.submit(b, cache_dir, version) for b in batches]]
        documents = [d for r in results for d in r.documents]
        passages = [p for r in results for p in r.passages]
        figures = [f for r in results for f in r.figures]
        rejections = (refused + fetch_rejections + read_rejections
                      + [x for r in results for x in r.rejections])
        staging = publish.new_staging_dir(out_dir)
        try:
            stage_step(quote(documents), quote(passages), quote(figures), quote(rejections), staging)
            validate_step(staging, quote([s.source_uri for s in found] + [r.source_uri for r in refused]))
            load_step(staging)
            site_step(staging)
            package = publish_step(staging, out_dir)
            publish.record_fingerprint(out_dir, fingerprint)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        released = release_step(package, Path(releases)) if releases else None
    return {"documents": len(documents), "figures": len(figures), "rejections": len(rejections),
            "processed": sum(r.processed for r in results), "cached": sum(r.cached for r in results),
            "package": str(package / "datapackage.json"),
            "duckdb": str(package / publish.DUCKDB_NAME),
            "release": str(released) if released else None}


def configured(workers: int = 1, dask_address: str | None = None):
    """The flow with its task runner: threads by default, N local processes, or a Dask cluster."""
    if dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise PipelineError("--dask-address needs prefect-dask: pip install -e '.[dask]'") from exc
        return run_pipeline.with_options(task_runner=DaskTaskRunner(address=dask_address))
    if workers > 1:
        return run_pipeline.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))
    return run_pipeline
