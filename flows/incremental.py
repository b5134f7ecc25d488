"""Per-document work — extract (decode), clean, normalise — in batches, cached by content.

A document's result depends only on its raw bytes, what the manifest says about it, and the
code and rules that process it, so it is cached under a key made of exactly those. A rerun with
no changed input does no per-document work; changing one source reprocesses only that source.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from flows import clean, extract, normalise
from flows.fetch import RawStore
from flows.records import RawFile, Rejection

FLOWS_DIR = Path(__file__).parent
# Modules and libraries whose behaviour shapes a document's rows; a change to any invalidates.
PER_DOCUMENT_MODULES = ["extract.py", "clean.py", "structure.py", "normalise.py", "numbers.py",
                        "periods.py", "rules.py", "codelists/__init__.py", "records.py"]
PER_DOCUMENT_LIBRARIES = ["opencc", "pypdfium2", "trafilatura", "charset-normalizer", "cn2an"]

Result = tuple[dict, list[dict], list[dict]] | Rejection


@cache
def code_version() -> str:
    """A hash of the code, rules, codelists and library versions that per-document work uses."""
    digest = hashlib.sha256()
    files = [FLOWS_DIR / m for m in PER_DOCUMENT_MODULES]
    files += sorted((FLOWS_DIR / "rules").glob("*.csv")) + sorted((FLOWS_DIR / "codelists").glob("*.csv"))
    for path in files:
        digest.update(path.relative_to(FLOWS_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    for library in PER_DOCUMENT_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:16]


PACKAGE_LIBRARIES = ["duckdb", "pyarrow", "frictionless"]


@cache
def package_code_version() -> str:
    """A hash of all of cnfiscal's code and the libraries that write the package: a change to
    staging, validation or loading republishes even when no input changed."""
    digest = hashlib.sha256(code_version().encode())
    for path in sorted(FLOWS_DIR.rglob("*.py")):
        digest.update(path.relative_to(FLOWS_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    for library in PACKAGE_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:16]


def cache_key(raw: RawFile, version: str) -> str:
    """Everything a document's rows depend on: its bytes, its names, its manifest row, the code."""
    source = raw.source
    described = json.dumps([raw.sha256, raw.media_type, source.source_name, source.source_uri,
                            sorted(source.manifest.items()), version], ensure_ascii=False)
    return hashlib.sha256(described.encode("utf-8")).hexdigest()


class DocumentCache:
    """Results of per-document work on disk, one file per cache key."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Result | None:
        try:
            return pickle.loads(self._path(key).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError):
            return None

    def put(self, key: str, result: Result) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, path)


def process_document(raw: RawFile) -> Result:
    """extract → clean → normalise for one document."""
    decoded = extract.decode(raw)
    if isinstance(decoded, Rejection):
        return decoded
    cleaned = clean.clean_document(decoded)
    if isinstance(cleaned, Rejection):
        return cleaned
    document, passages = cleaned
    return document, passages, normalise.extract_figures(document, passages)


@dataclass
class BatchResult:
    documents: list[dict] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    processed: int = 0
    cached: int = 0


def process_batch(raws: list[RawFile], raw_store: RawStore, cache_root: Path | None,
                  version: str) -> BatchResult:
    """Per-document work for a batch — its bytes snapshotted in the raw store, then the rest —
    taking what the cache holds (no cache: do it all)."""
    batch = BatchResult()
    snapshotted = []
    for raw in raws:  # all at once: file writes between documents' work take longer
        changed = extract.snapshot(raw, raw_store)
        if changed:
            batch.rejections.append(changed)
        else:
            snapshotted.append(raw)
    store = DocumentCache(cache_root) if cache_root else None
    for raw in snapshotted:
        key = cache_key(raw, version)
        result = store.get(key) if store else None
        if result is None:
            result = process_document(raw)
            batch.processed += 1
            if store:
                store.put(key, result)
        else:
            batch.cached += 1
        if isinstance(result, Rejection):
            batch.rejections.append(result)
        else:
            batch.documents.append(result[0])
            batch.passages += result[1]
            batch.figures += result[2]
    return batch


def run_fingerprint(raws: list[RawFile], rejections: list[Rejection], version: str,
                    package_metadata: str) -> str:
    """What a whole run's package depends on: every document's cache key, every rejection, the
    code, and the dataset's metadata. Equal fingerprints publish equal packages."""
    digest = hashlib.sha256(f"{version}\0{package_metadata}".encode("utf-8"))
    for key in sorted(cache_key(raw, version) for raw in raws):
        digest.update(key.encode())
    for rejection in sorted(json.dumps(r.row(), ensure_ascii=False, sort_keys=True) for r in rejections):
        digest.update(rejection.encode("utf-8"))
    return digest.hexdigest()
