"""Shared fixtures. Prefect runs in local (ephemeral) mode against a temporary PREFECT_HOME, set
before Prefect is first imported; the flow runs once per session on the samples and is reused."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

PREFECT_HOME = tempfile.mkdtemp(prefix="cnfiscal-prefect-home-")
os.environ.update({
    "PREFECT_HOME": PREFECT_HOME,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "SOURCE_DATE_EPOCH": "1767225600",
})

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT / "samples"
SHARED = PROJECT_ROOT.parent / "shared"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(PREFECT_HOME, ignore_errors=True)


def shared_path(relative: str) -> Path:
    """A file of ../shared; tests that need it skip where it is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def run_flow():
    """The real Prefect flow, called in-process."""
    from flows.pipeline import run_pipeline

    def run(inputs: list[Path], out: Path, manifest: Path | None = None, **options) -> dict:
        options = {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
        return run_pipeline([str(p) for p in inputs], str(out),
                            str(manifest) if manifest else None, **options)

    return run


@pytest.fixture(scope="session")
def published(run_flow, tmp_path_factory) -> Path:
    """The package published from the bundled samples."""
    out = tmp_path_factory.mktemp("first") / "cnfiscal"
    run_flow([SAMPLES], out)
    return out


@pytest.fixture(scope="session")
def published_again(run_flow, tmp_path_factory) -> Path:
    """A second, independent run on the same inputs."""
    out = tmp_path_factory.mktemp("second") / "cnfiscal"
    run_flow([SAMPLES], out)
    return out


def process_folder(folder: Path, max_bytes: int = 10**7):
    """A folder through discover, read and per-document work, as the flow does (no cache):
    (documents, passages, figures, rejections)."""
    from flows import extract, fetch, incremental, sources

    found, refused = sources.discover_sources([folder])
    store = fetch.RawStore(folder.parent / "raw-store")
    raws, rejections = extract.read_all(found, store, max_bytes)
    batch = incremental.process_batch(raws, store, None, incremental.code_version())
    return batch.documents, batch.passages, batch.figures, refused + rejections + batch.rejections
