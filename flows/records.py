"""The records that travel between steps. Rows bound for a resource are plain dicts keyed by field."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """One input to read: a local file or a URL, with what the manifest says about it.

    A URL source gets its `path` (into the raw store) and `media_type` once fetched."""

    source_name: str
    source_uri: str
    path: Path | None
    manifest: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class RawFile:
    """A source's bytes, read and checked, not yet decoded; its batch keeps them in the raw store
    at `path` (extract.snapshot) before decoding them from there."""

    source: Source
    sha256: str
    media_type: str
    path: Path


@dataclass(frozen=True)
class RawDocument:
    """A source's bytes decoded to text, before cleaning. Paged sources (PDF) separate their
    pages with a form feed, so cleaning knows where each page starts."""

    source: Source
    sha256: str
    media_type: str
    encoding: str | None
    raw_text: str
    n_pages: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A rebuilt paragraph of cleaned text and the page it starts on."""

    text: str
    page: int | None


@dataclass(frozen=True)
class Rejection:
    """An input that did not become a document, and why."""

    source_name: str
    source_uri: str
    sha256: str | None
    stage: str
    reason: str
    error_code: str

    def row(self) -> dict[str, str | None]:
        return {"source_name": self.source_name, "source_uri": self.source_uri,
                "sha256": self.sha256, "stage": self.stage, "reason": self.reason,
                "error_code": self.error_code}


class PipelineError(Exception):
    """A run that cannot publish: the message names the failing step or check."""
