"""Incremental and parallel runs: reruns redo only what changed, and every way of running the
flow publishes the same bytes."""
from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import process_folder, shared_path
from flows import stage, validate
from flows.incremental import BatchResult
from flows.pipeline import configured

REPORT = "全市一般公共预算收入完成{}亿元，增长{}%。税收收入{}亿元，占比{}%。"


def digests(package: Path) -> dict[str, str]:
    files = [package / "datapackage.json", package / "validation-report.json",
             *sorted((package / "data").iterdir())]
    return {p.relative_to(package).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def write_corpus(folder: Path, numbers: list[int]) -> None:
    folder.mkdir(exist_ok=True)
    for n in numbers:
        (folder / f"report-{n:03d}.txt").write_text(
            f"{2000 + n % 20}年，" + REPORT.format(100 + n, n % 9 + 1, 60 + n, 70 + n % 20),
            encoding="utf-8")


def test_a_rerun_reprocesses_only_what_changed(run_flow, tmp_path):
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    write_corpus(corpus, list(range(6)))
    first = run_flow([corpus], tmp_path / "out", cache=cache, batch_size=2)
    assert (first["processed"], first["cached"]) == (6, 0)
    before = digests(tmp_path / "out")

    again = run_flow([corpus], tmp_path / "out", cache=cache, batch_size=2)
    assert (again["processed"], again["cached"]) == (0, 6)
    assert digests(tmp_path / "out") == before

    (corpus / "report-003.txt").write_text("2023年，全市税收收入完成99亿元。", encoding="utf-8")
    changed = run_flow([corpus], tmp_path / "out", cache=cache, batch_size=2)
    assert (changed["processed"], changed["cached"]) == (1, 5)
    cold = run_flow([corpus], tmp_path / "cold", cache=tmp_path / "empty-cache")
    assert cold["processed"] == 6
    assert digests(tmp_path / "out") == digests(tmp_path / "cold")


def test_manifest_metadata_is_part_of_what_is_cached(run_flow, tmp_path):
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    write_corpus(corpus, [1])
    run_flow([corpus], tmp_path / "out", cache=cache)
    (corpus / "sources.csv").write_text("path,region\nreport-001.txt,青岛\n", encoding="utf-8")
    rerun = run_flow([corpus], tmp_path / "out", cache=cache)
    assert rerun["processed"] == 1  # the region changes the rows, so the cached ones won't do


def test_two_worker_processes_publish_the_same_bytes_as_one(run_flow, tmp_path):
    dev = shared_path("corpus/dev")
    serial = run_flow([dev], tmp_path / "serial", cache=tmp_path / "cache-1", batch_size=5)
    parallel = configured(workers=2)([str(dev)], str(tmp_path / "parallel"),
                                     cache=str(tmp_path / "cache-2"), batch_size=5, local_workers=2)
    assert serial["figures"] == parallel["figures"] and parallel["processed"] == serial["processed"]
    assert digests(tmp_path / "serial") == digests(tmp_path / "parallel")


def test_a_dask_cluster_with_two_worker_processes_publishes_the_same_bytes(run_flow, tmp_path):
    from distributed import LocalCluster

    dev = shared_path("corpus/dev")
    run_flow([dev], tmp_path / "serial", cache=tmp_path / "cache-1", batch_size=5)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        on_dask = configured(dask_address=cluster.scheduler_address)(
            [str(dev)], str(tmp_path / "dask"), cache=str(tmp_path / "cache-2"), batch_size=5)
    assert on_dask["processed"] == 17
    assert digests(tmp_path / "serial") == digests(tmp_path / "dask")


def test_csv_files_written_in_pieces_are_the_files_written_whole(tmp_path, monkeypatch):
    documents, passages, figures, rejections = process_folder(shared_path("corpus/dev"))
    batch = BatchResult(documents, passages, figures, [])
    rows = [r.row() for r in rejections]

    def staged(name: str) -> Path:
        parts = tmp_path / name / "parts"
        stage.write_parts(batch, parts, "batch")
        return stage.stage_package(parts, rows, tmp_path / name / "staging")
    whole = staged("whole")
    monkeypatch.setattr(stage, "CHUNK_ROWS", 7)  # row groups of 7 rows, pieces of 2 row groups
    monkeypatch.setattr(stage, "PIECE_GROUPS", 2)
    in_pieces = staged("pieces")
    assert len(figures) > 7 * 2 * 3  # several pieces
    for csv_file in sorted((whole / "data").glob("*.csv")):
        assert csv_file.read_bytes() == (in_pieces / "data" / csv_file.name).read_bytes()
    assert validate.parquet_matches_csv_check(in_pieces)["valid"]
