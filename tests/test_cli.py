"""The `cnfiscal` command as a user runs it: a subprocess with the installed entry point."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import PREFECT_HOME

CNFISCAL = shutil.which("cnfiscal", path=str(Path(sys.executable).parent))


def cnfiscal(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_HOME": PREFECT_HOME}
    return subprocess.run([CNFISCAL, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


def test_help_describes_the_commands():
    result = cnfiscal("--help")
    assert result.returncode == 0 and "run" in result.stdout
    run_help = cnfiscal("run", "--help")
    assert run_help.returncode == 0
    assert all(word in run_help.stdout for word in ("SOURCE", "--manifest", "--out", "dist/cnfiscal"))


def test_usage_errors_exit_2_and_name_the_cause(tmp_path):
    missing = cnfiscal("run", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere does not exist" in missing.stderr
    assert cnfiscal("frobnicate").returncode == 2
    assert cnfiscal().returncode == 2


def test_run_on_the_samples_prints_a_summary_and_publishes(tmp_path):
    result = cnfiscal("run", "--out", str(tmp_path / "pkg"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 documents" in result.stdout and "0 rejections" in result.stdout
    assert f"package: {tmp_path / 'pkg' / 'datapackage.json'}" in result.stdout
    assert f"duckdb:  {tmp_path / 'pkg' / 'cnfiscal.duckdb'}" in result.stdout
    assert (tmp_path / "pkg" / "data" / "figures.csv").is_file()


def test_failed_run_exits_1_and_says_nothing_was_published(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.csv").write_text("file\nx.txt\n", encoding="utf-8")
    result = cnfiscal("run", str(corpus), "--out", str(tmp_path / "pkg"))
    assert result.returncode == 1
    assert "manifest" in result.stderr and "nothing was published" in result.stderr
    assert not (tmp_path / "pkg").exists()


def test_a_rerun_with_nothing_changed_does_not_start_prefect(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[1] / "samples", corpus)
    assert cnfiscal("run", str(corpus), "--out", str(tmp_path / "pkg")).returncode == 0
    # An unreachable Prefect API: any run that starts the flow fails.
    env = {**os.environ, "PREFECT_HOME": PREFECT_HOME, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    rerun = subprocess.run([CNFISCAL, "run", str(corpus), "--out", str(tmp_path / "pkg")],
                           capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "nothing changed, the published package stands" in rerun.stdout
    (corpus / "seed" / "extra.txt").write_text("全市一般公共预算收入12亿元，增长5%。\n", encoding="utf-8")
    changed = subprocess.run([CNFISCAL, "run", str(corpus), "--out", str(tmp_path / "pkg")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert changed.returncode == 1  # a changed input needs the flow, which cannot reach Prefect
