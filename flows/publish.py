"""Publish: build folders beside --out, the package descriptor, and the switch to a new build.

Builds sit beside --out (in .<name>.builds/); --out becomes a symlink to a build only after
validation, in one atomic rename, so a failed or killed run leaves the previous package
untouched. The descriptor is a pure function of the staged files (flows.stage) and
SOURCE_DATE_EPOCH, so two runs on the same inputs give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flows.dictionary import DICTIONARY_NAME
from flows.metadata import dataset_descriptor, resource_names, table_schema
from flows.records import PipelineError

DUCKDB_NAME = "cnfiscal.duckdb"
# UTF-8 with a byte-order mark: without it, Excel on Windows decodes the Chinese text as the
# system code page. Frictionless, pyarrow, DuckDB, pandas and R read the BOM as such.
CSV_ENCODING = "utf-8-sig"


def csv_cell(value: Any) -> str:
    """Table Schema's lexical forms: empty for null, true/false, ISO dates, 9.4 and 457020000000."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


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
    for every data file. A resource's CSV carries its name; its Parquet twin is <name>-parquet.
    data-dictionary.md is listed too, so validation checks its hash; index.html is not (it lists
    the hashes of the other files, this one included)."""
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
            "mediatype": "text/csv", "encoding": CSV_ENCODING,
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
    descriptor["resources"].append({
        "name": "data-dictionary", "type": "text", "path": DICTIONARY_NAME, "format": "md",
        "mediatype": "text/markdown", "encoding": "utf-8", "title": "Data dictionary",
        "description": "Every resource, column, enumeration, view and indicator, in Chinese and English.",
        **_file_facts(staging / DICTIONARY_NAME),
    })
    return descriptor


def builds_dir(out: Path) -> Path:
    """Where builds of --out live: --out itself is a symlink to the published one."""
    return out.parent / f".{out.name}.builds"


def new_staging_dir(out: Path) -> Path:
    """An empty build folder beside --out (same file system, so publishing is one rename)."""
    try:
        builds_dir(out).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="build-", dir=builds_dir(out)))
        staging.chmod(0o755)  # mkdtemp makes it private; the published package is not
    except OSError as exc:
        raise PipelineError(f"cannot write beside {out}: {exc.strerror} ({exc.filename})") from exc
    return staging


def swap_in(staging: Path, out: Path) -> Path:
    """Publish a validated build: --out becomes a symlink to it in one atomic rename, so a
    reader (or a crash) sees either the old package or the new one, never a mixture."""
    link = out.parent / f".{out.name}.link-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(staging, out.parent), link)
    if out.exists() and not out.is_symlink():  # a package published before builds existed
        os.replace(out, builds_dir(out) / f"legacy-{uuid.uuid4().hex}")
    os.replace(link, out)
    remove_stale_builds(out)
    return out


def remove_stale_builds(out: Path) -> None:
    """Delete builds and links that --out does not point to: what failed or killed runs left."""
    current = out.resolve() if out.is_symlink() else None
    if builds_dir(out).is_dir():
        for build in builds_dir(out).iterdir():
            if build.resolve() != current:
                shutil.rmtree(build, ignore_errors=True)
    for link in out.parent.glob(f".{out.name}.link-*"):
        link.unlink(missing_ok=True)


@contextmanager
def publish_lock(out: Path):
    """One run at a time per --out: a second run refuses at once with a clear message."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(out.parent / f".{out.name}.lock", "a+")
    except OSError as exc:
        raise PipelineError(f"cannot write beside {out}: {exc.strerror} ({exc.filename})") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise PipelineError(f"another cnfiscal run is publishing to {out}; "
                            "try again when it has finished") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _fingerprint_path(out: Path) -> Path:
    return out.parent / f".{out.name}.fingerprint"


def published_fingerprint(out: Path) -> str | None:
    """The fingerprint of the inputs and code that made the package --out points at, if known."""
    try:
        fingerprint, build = _fingerprint_path(out).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return None
    return fingerprint if out.is_symlink() and out.resolve().name == build else None


def record_fingerprint(out: Path, fingerprint: str) -> None:
    """Remember what made the package just published (next to it, not inside it)."""
    _fingerprint_path(out).write_text(f"{fingerprint} {out.resolve().name}\n", encoding="utf-8")


def unchanged_summary(out: Path, documents: int) -> dict:
    """A run's summary when the published package already reflects every input and rule."""
    report = json.loads((out / "validation-report.json").read_text(encoding="utf-8"))
    rows = report["summary"]["rows"]
    return {"documents": rows["documents"], "figures": rows["figures"],
            "rejections": rows["rejections"], "processed": 0, "cached": documents,
            "package": str(out / "datapackage.json"), "duckdb": str(out / DUCKDB_NAME),
            "release": None, "unchanged": True}
