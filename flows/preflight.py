"""Preflight: is the published package already current? Known without starting Prefect.

A scheduled rerun usually finds nothing changed, yet Prefect's start-up alone costs seconds. So
`cnfiscal run` first reads the sources as the flow's read step would (hashing local files, taking
URLs from the raw store) and compares the run's fingerprint with the published package's; only a
run that would publish something new starts the flow. A URL not yet in the raw store, or any
error, leaves the decision to the flow.
"""
from __future__ import annotations

import os
from pathlib import Path

from flows import extract, fetch, incremental, metadata, publish, sources
from flows.records import RawFile, Rejection


def run_fingerprint(raws: list[RawFile], rejections: list[Rejection]) -> str:
    """What the package depends on: inputs, per-document code, all package-writing code, the
    dataset's metadata and SOURCE_DATE_EPOCH (the package's `created`)."""
    return incremental.run_fingerprint(
        raws, rejections, incremental.code_version(),
        metadata.package_metadata() + incremental.package_code_version()
        + f"\0{os.environ.get('SOURCE_DATE_EPOCH', '')}")


def current_package_summary(inputs: list[str], out: str, manifest: str | None,
                            raw_store: str | None, max_bytes: int) -> dict | None:
    """The run's summary if the package at `out` already reflects every input, else None."""
    out_dir = Path(out)
    if publish.published_fingerprint(out_dir) is None:
        return None
    store = fetch.RawStore(Path(raw_store) if raw_store else out_dir.parent / "raw-store")
    try:
        found, refused = sources.discover_sources([Path(i) for i in inputs],
                                                  Path(manifest) if manifest else None)
        if any(s.url and store.fetched(s.url) is None for s in found):
            return None  # only the flow fetches
        held, _ = fetch.fetch_sources(found, store, timeout=1.0, max_bytes=max_bytes,
                                      final_attempt=True)
        raws, rejections = extract.read_all(held, store, max_bytes)
        fingerprint = run_fingerprint(raws, refused + rejections)
    except Exception:  # whatever went wrong, the flow will meet it and report it properly
        return None
    if fingerprint != publish.published_fingerprint(out_dir):
        return None
    return publish.unchanged_summary(out_dir, len(raws))
