"""Incremental and parallel runs: reruns redo only what changed, and every way of running the
flow publishes the same bytes."""
from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import process_folder, shared_path
from flows import stage
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


def test_a_csv_joined_from_pieces_is_the_csv_written_whole(tmp_path, monkeypatch):
    documents, passages, figures, _ = process_folder(shared_path("corpus/dev"))
    parts, whole, in_pieces = tmp_path / "parts", tmp_path / "whole", tmp_path / "pieces"
    stage.write_parts(BatchResult(documents, passages, figures, []), parts, "batch")
    monkeypatch.setattr(stage, "CHUNK_ROWS", 7)  # row groups of 7 rows
    for data in (whole, in_pieces):
        data.mkdir()
    groups = stage.write_parquet("figures", parts, [], whole, True)
    assert stage.write_parquet("figures", parts, [], in_pieces, False) == groups > 6
    starts = range(0, groups, 3)
    pieces = [tmp_path / f"piece-{start}.csv" for start in starts]
    for start, piece in zip(starts, pieces):
        stage.write_csv_piece("figures", in_pieces, start, min(start + 3, groups), piece)
    stage.join_csv("figures", pieces, in_pieces)
    assert (in_pieces / "figures.csv").read_bytes() == (whole / "figures.csv").read_bytes()
    assert (in_pieces / "figures.parquet").read_bytes() == (whole / "figures.parquet").read_bytes()
