"""Find the run's inputs: files, folders and manifests (sources.csv) become Source records.

Manifest rows that cannot be honoured (a path escaping the manifest's folder, a URL that is not
http or https) become rejections here, so every input is accounted for from the start.
"""
from __future__ import annotations

import csv
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flows.records import PipelineError, Rejection, Source

MEDIA_TYPES = {".txt": "text/plain", ".pdf": "application/pdf",
               ".html": "text/html", ".htm": "text/html"}
MANIFEST_NAME = "sources.csv"
MANIFEST_COLUMNS = {"path", "url", "sha256", "title", "publisher", "published", "region",
                    "page_start", "license"}
URL_SCHEMES = {"http", "https"}


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


def url_name(url: str) -> str:
    """The URL's last path segment (or its host), as a source name."""
    parts = urlsplit(url)
    return unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or parts.netloc or url


def manifest_path(row: dict[str, str]) -> str:
    """A manifest row's path in normal form (./a.txt and a.txt are the same file)."""
    return posixpath.normpath(row["path"].replace("\\", "/"))


def _manifest_source(row: dict[str, str], base: Path, resolved_base: Path) -> Source | Rejection:
    if "url" in row:
        url = row["url"]
        scheme = urlsplit(url).scheme.lower()
        if scheme not in URL_SCHEMES:
            return Rejection(url_name(url), url, None, "extract",
                             f"{url}: only http and https addresses can be fetched, not "
                             f"'{scheme or 'no scheme'}'", "unsupported_scheme")
        return Source(url_name(url), url, None, row, url=url)
    uri = manifest_path(row)
    path = (base / uri).resolve()
    if not path.is_relative_to(resolved_base):
        return Rejection(Path(uri).name, uri, None, "extract",
                         f"{uri}: the manifest path leads outside the manifest's folder "
                         f"{base}", "path_escapes_manifest")
    return Source(Path(uri).name, uri, path, row)


def _sources_in_folder(folder: Path, manifest: Path | None) -> list[Source | Rejection]:
    """The folder's files in sorted order, with metadata from the manifest where it has a row."""
    manifest = manifest or (folder / MANIFEST_NAME if (folder / MANIFEST_NAME).is_file() else None)
    base = manifest.parent if manifest else folder
    found: dict[str, Source | Rejection] = {}
    resolved_base = base.resolve()  # once, not per row: 20,000 rows took a second
    for row in read_manifest(manifest) if manifest else []:
        uri = row.get("url") or manifest_path(row)
        found.setdefault(uri, _manifest_source(row, base, resolved_base))
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in MEDIA_TYPES:
            uri = path.relative_to(base).as_posix()
            found.setdefault(uri, Source(path.name, uri, path))
    return [found[uri] for uri in sorted(found)]


def discover_sources(inputs: list[Path], manifest: Path | None = None
                     ) -> tuple[list[Source], list[Rejection]]:
    """Expand the run's inputs (files and folders, or a manifest alone) into sources to read."""
    found: list[Source | Rejection] = []
    for item in inputs:
        if item.is_dir():
            found += _sources_in_folder(item, manifest)
        else:
            found.append(Source(item.name, item.name, item))
    if manifest and not inputs:
        found = _sources_in_folder(manifest.parent, manifest)
    return ([s for s in found if isinstance(s, Source)],
            [r for r in found if isinstance(r, Rejection)])
