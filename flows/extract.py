"""Extract: find the inputs (files, folders, a manifest) and decode each one to text.

Every input ends either as a RawDocument or as a Rejection that says why.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
from pathlib import Path

from flows.records import PipelineError, RawDocument, Rejection, Source

MEDIA_TYPES = {".txt": "text/plain", ".pdf": "application/pdf",
               ".html": "text/html", ".htm": "text/html"}
MANIFEST_NAME = "sources.csv"
MANIFEST_COLUMNS = {"path", "url", "sha256", "title", "publisher", "published", "region",
                    "page_start", "license"}
BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16")]


def read_manifest(manifest: Path) -> list[dict[str, str]]:
    """Rows of a sources.csv, with empty cells dropped. Raises PipelineError if malformed."""
    try:
        with open(manifest, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            unknown = set(reader.fieldnames or []) - MANIFEST_COLUMNS
            if unknown or not {"path", "url"} & set(reader.fieldnames or []):
                raise PipelineError(
                    f"manifest {manifest}: needs a 'path' or 'url' column and only "
                    f"{sorted(MANIFEST_COLUMNS)}; unknown columns: {sorted(unknown)}")
            return [{k: v.strip() for k, v in row.items() if k and v and v.strip()}
                    for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PipelineError(f"manifest {manifest} is not a readable UTF-8 CSV: {exc}") from exc


def _sources_in_folder(folder: Path, manifest: Path | None) -> list[Source]:
    """The folder's files in sorted order, with metadata from the manifest where it has a row."""
    manifest = manifest or (folder / MANIFEST_NAME if (folder / MANIFEST_NAME).is_file() else None)
    rows = read_manifest(manifest) if manifest else []
    base = manifest.parent if manifest else folder
    sources: dict[str, Source] = {}
    for row in rows:
        uri = row.get("path") or row.get("url", "")
        sources[uri] = Source(Path(uri).name or uri, uri, base / uri, row)
    for path in sorted(folder.rglob("*")):
        uri = path.relative_to(base).as_posix()
        if path.is_file() and path.suffix.lower() in MEDIA_TYPES and uri not in sources:
            sources[uri] = Source(path.name, uri, path)
    return [sources[uri] for uri in sorted(sources)]


def discover_sources(inputs: list[Path], manifest: Path | None = None) -> list[Source]:
    """Expand the run's inputs (files and folders) into the sources to read, in sorted order."""
    sources: list[Source] = []
    for item in inputs:
        if item.is_dir():
            sources += _sources_in_folder(item, manifest)
        else:
            sources.append(Source(item.name, item.name, item))
    if manifest and not inputs:
        sources = _sources_in_folder(manifest.parent, manifest)
    return sources


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding of a plain-text source; UnicodeDecodeError when not confidently known."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    return data.decode("utf-8"), "utf-8"


def read_source(source: Source) -> RawDocument | Rejection:
    """Read and decode one source, or say why it cannot be."""
    def reject(code: str, reason: str, sha256: str | None = None) -> Rejection:
        return Rejection(source.source_name, source.source_uri, sha256, "extract", reason, code)

    if "url" in source.manifest and "path" not in source.manifest:
        return reject("remote_not_supported",
                      f"{source.source_uri}: fetching sources by URL is not supported yet")
    media_type = MEDIA_TYPES.get(source.path.suffix.lower())
    if media_type is None:
        return reject("unsupported_format", f"{source.source_name}: unsupported file type "
                      f"'{source.path.suffix}'; expected one of {sorted(MEDIA_TYPES)}")
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return reject("unreadable", f"{source.source_uri}: cannot be read ({exc.strerror})")
    sha256 = hashlib.sha256(data).hexdigest()
    expected = source.manifest.get("sha256", "").lower()
    if expected and expected != sha256:
        return reject("sha256_mismatch", f"{source.source_uri}: sha256 is {sha256}, "
                      f"but the manifest expects {expected}", sha256)
    if media_type != "text/plain":
        return reject("unsupported_format",
                      f"{source.source_name}: {media_type} sources are not supported yet", sha256)
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        return reject("undecodable", f"{source.source_name}: not valid UTF-8 or UTF-16 text "
                      f"(byte {exc.start}: {exc.reason})", sha256)
    if not text.strip():
        return reject("empty", f"{source.source_name}: the file holds no text", sha256)
    return RawDocument(source, sha256, media_type, encoding, text)


def extract(sources: list[Source]) -> tuple[list[RawDocument], list[Rejection]]:
    """Read a batch of sources; duplicates (same bytes or same file name) are rejected."""
    documents: list[RawDocument] = []
    rejections: list[Rejection] = []
    seen_hash: dict[str, str] = {}
    seen_name: dict[str, str] = {}
    for source in sources:
        result = read_source(source)
        if isinstance(result, RawDocument):
            if result.sha256 in seen_hash:
                result = Rejection(source.source_name, source.source_uri, result.sha256, "extract",
                                   f"{source.source_uri}: same content as "
                                   f"{seen_hash[result.sha256]}", "duplicate_content")
            elif source.source_name in seen_name:
                result = Rejection(source.source_name, source.source_uri, result.sha256, "extract",
                                   f"{source.source_uri}: another source, "
                                   f"{seen_name[source.source_name]}, has the same file name",
                                   "duplicate_name")
        if isinstance(result, RawDocument):
            seen_hash[result.sha256] = source.source_uri
            seen_name[source.source_name] = source.source_uri
            documents.append(result)
        else:
            rejections.append(result)
    return documents, rejections
