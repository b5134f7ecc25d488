"""Crashes, concurrent runs and tampering never cost the last good package."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PREFECT_HOME, SAMPLES
from flows.publish import builds_dir, publish_lock
from flows.records import PipelineError
from flows.validate import validate_package

CNFISCAL = str(Path(sys.executable).parent / "cnfiscal")


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def start_run(out: Path, hook: str | None = None, *sources: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_HOME": PREFECT_HOME}
    env.pop("CNFISCAL_TEST_HOOK", None)
    if hook:
        env["CNFISCAL_TEST_HOOK"] = hook
    # A session of its own: a kill hook takes down the run and Prefect's server with it.
    return subprocess.Popen([CNFISCAL, "run", *(sources or [str(SAMPLES)]), "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.fixture
def published_out(tmp_path, run_flow) -> Path:
    out = tmp_path / "cnfiscal"
    run_flow([SAMPLES], out)
    return out


def test_a_run_killed_at_any_step_leaves_the_previous_package_valid(published_out, tmp_path):
    before = snapshot(published_out)
    corpus = tmp_path / "new-sources"  # new inputs, so that every step has work to do
    corpus.mkdir()
    (corpus / "report.txt").write_text("2023年，全市税收收入完成80亿元，增长3%。", encoding="utf-8")
    for step in ("read", "extract-clean-normalise", "stage", "validate", "load", "site", "publish"):
        run = start_run(published_out, f"kill:{step}", str(corpus))
        run.communicate(timeout=300)
        assert run.returncode == -signal.SIGKILL, step
        assert snapshot(published_out) == before, step
        validate_package(published_out, None)
    assert len(list(builds_dir(published_out).iterdir())) > 1  # the killed runs' leftovers

    again = start_run(published_out, None, str(corpus))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    validate_package(published_out, None)
    assert list(builds_dir(published_out).iterdir()) == [published_out.resolve()]
    assert not list(published_out.parent.glob(".cnfiscal.link-*"))


def test_a_second_run_on_the_same_out_refuses_while_the_first_publishes(tmp_path):
    out = tmp_path / "cnfiscal"
    first = start_run(out, "pause:load:15")
    deadline = time.monotonic() + 120
    while not (builds_dir(out).is_dir() and any(builds_dir(out).iterdir())):
        assert time.monotonic() < deadline and first.poll() is None, first.stderr.read()
        time.sleep(0.2)
    second = start_run(out)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 1
    assert "another cnfiscal run is publishing to" in err
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    validate_package(out, None)


def test_the_lock_is_held_for_the_whole_run():
    out = Path(os.environ["PREFECT_HOME"]) / "lock-test" / "cnfiscal"
    with publish_lock(out):
        with pytest.raises(PipelineError, match="another cnfiscal run"):
            with publish_lock(out):
                pass
    with publish_lock(out):  # released afterwards
        pass


def test_a_write_error_is_reported_and_publishes_nothing(tmp_path, run_flow):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder's parent should be", encoding="utf-8")
    with pytest.raises(PipelineError, match="cannot write beside"):
        run_flow([SAMPLES], blocker / "cnfiscal")


@pytest.mark.parametrize("damage, named", [
    (lambda p: p.write_bytes(p.read_bytes().replace(b"CNY", b"USD", 1)), "data/figures.csv"),
    (lambda p: p.write_bytes(p.read_bytes()[:-100]), "data/figures.parquet"),
])
@pytest.mark.parametrize("workers", [1, 2])  # 2: the SQL checks run beside Frictionless
def test_validate_names_a_tampered_or_truncated_file(published, tmp_path, damage, named, workers):
    copy = tmp_path / "copy"
    shutil.copytree(published.resolve(), copy)
    damage(copy / named)
    with pytest.raises(PipelineError) as failure:
        validate_package(copy, None, workers)
    assert named in str(failure.value) and "hash" in str(failure.value)
    result = subprocess.run([CNFISCAL, "validate", str(copy)], capture_output=True, text=True)
    assert result.returncode == 1 and named in result.stderr
    ok = subprocess.run([CNFISCAL, "validate", str(published)], capture_output=True, text=True)
    assert ok.returncode == 0 and "is valid" in ok.stdout
