"""The records that travel between steps. Rows bound for a resource are plain dicts keyed by field."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Source:
    """One input to read: a file, with what the manifest says about it."""

    source_name: str
    source_uri: str
    path: Path
    manifest: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawDocument:
    """A source's bytes decoded to text, before cleaning."""

    source: Source
    sha256: str
    media_type: str
    encoding: str | None
    raw_text: str


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
