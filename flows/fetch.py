"""Fetch remote sources over HTTP into the raw store, and keep a snapshot of every input.

The raw store is content-addressed (objects/<sha256>), with an origin record per object: where
the bytes came from, when, how many. A URL already fetched is not fetched again. Fetch times live
only here, never in the published package, so reruns stay byte-identical.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

from flows.records import Rejection, Source
from flows.sources import MEDIA_TYPES

CONTENT_TYPES = {"text/html": "text/html", "application/xhtml+xml": "text/html",
                 "application/pdf": "application/pdf", "text/plain": "text/plain"}
USER_AGENT = "cnfiscal (open-data pipeline; https://github.com/cnfiscal/cnfiscal)"


class TransientFetchError(Exception):
    """A failure worth retrying: a timeout, a refused connection, a 5xx answer."""


class RawStore:
    """Content-addressed snapshots of every input, with their origins."""

    def __init__(self, root: Path):
        self.root = root

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def _url_record(self, url: str) -> Path:
        return self.root / "urls" / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def put(self, data: bytes, origin: str, media_type: str | None = None) -> str:
        """Store bytes (once) and record where they came from; returns their sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.object_path(sha256)
        if not path.exists():
            _write_atomically(path, data)
        record = {"origin": origin, "sha256": sha256, "bytes": len(data),
                  "media_type": media_type,
                  "seen": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        origins = self.root / "origins" / f"{sha256}.jsonl"
        known = origins.read_text(encoding="utf-8") if origins.exists() else ""
        if origin not in {json.loads(line)["origin"] for line in known.splitlines()}:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            _write_atomically(origins, (known + line).encode("utf-8"))
        if origin.startswith(("http://", "https://")):
            _write_atomically(self._url_record(origin), json.dumps(record, ensure_ascii=False).encode())
        return sha256

    def fetched(self, url: str) -> dict | None:
        """The record of a URL fetched before, if its object is still held."""
        record_path = self._url_record(url)
        if not record_path.exists():
            return None
        record = json.loads(record_path.read_text(encoding="utf-8"))
        return record if self.object_path(record["sha256"]).exists() else None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def media_type_of(url: str, content_type: str | None) -> str | None:
    """From the URL's extension, else from the Content-Type header."""
    suffix = Path(url.split("?")[0]).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())


def download(url: str, timeout: float, max_bytes: int) -> tuple[bytes, str | None]:
    """The body and Content-Type of a URL. Raises TransientFetchError for retryable failures and
    ValueError (with a reason) for permanent ones."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ValueError(f"is {int(declared):,} bytes, over the {max_bytes:,}-byte cap")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise ValueError(f"is over the {max_bytes:,}-byte cap")
            return body, response.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise TransientFetchError(f"the server answered {exc.code} {exc.reason}") from exc
        raise ValueError(f"the server answered {exc.code} {exc.reason}") from exc
    except (socket.timeout, TimeoutError) as exc:
        raise TransientFetchError(f"no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise TransientFetchError(f"no answer within {timeout:g} s") from exc
        raise TransientFetchError(f"cannot connect ({exc.reason})") from exc
    except (ConnectionError, OSError) as exc:
        raise TransientFetchError(f"the connection failed ({exc})") from exc


def fetch_sources(sources: list[Source], store: RawStore, timeout: float, max_bytes: int,
                  final_attempt: bool) -> tuple[list[Source], list[Rejection]]:
    """Give every URL source a local path in the raw store, fetching only what is not held.

    Permanent failures become rejections; transient ones raise TransientFetchError (so the
    Prefect task retries) unless this is the final attempt, when they become rejections too."""
    ready, rejections, transient = [], [], []
    for source in sources:
        if source.url is None:
            ready.append(source)
            continue
        record = store.fetched(source.url)
        if record is None:
            try:
                body, content_type = download(source.url, timeout, max_bytes)
            except ValueError as exc:
                rejections.append(Rejection(source.source_name, source.source_uri, None, "extract",
                                            f"{source.url}: {exc}", "fetch_failed"))
                continue
            except TransientFetchError as exc:
                transient.append((source, str(exc)))
                continue
            store.put(body, source.url, media_type_of(source.url, content_type))
            record = store.fetched(source.url)
        ready.append(replace(source, path=store.object_path(record["sha256"]),
                             media_type=record["media_type"]))
    if transient and not final_attempt:
        raise TransientFetchError("; ".join(f"{s.url}: {reason}" for s, reason in transient))
    rejections += [Rejection(s.source_name, s.source_uri, None, "extract",
                             f"{s.url}: {reason}, and retries did not help", "fetch_failed")
                   for s, reason in transient]
    return ready, rejections
