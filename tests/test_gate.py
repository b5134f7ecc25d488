"""The validation gate: a broken package is never published, and the previous one survives."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from conftest import SAMPLES
from flows import clean, extract, fetch, normalise, publish, sources
from flows.records import PipelineError
from flows.validate import validate_package


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stage_samples(out: Path) -> tuple[Path, list[str]]:
    found, _ = sources.discover_sources([SAMPLES])
    raws, rejections = extract.extract(found, fetch.RawStore(out.parent / "raw"), 10**8)
    documents, passages, _ = clean.clean(raws)
    tables = publish.build_tables(documents, passages, normalise.normalise(documents, passages),
                                  [r.row() for r in rejections])
    staging = publish.new_staging_dir(out)
    publish.stage_package(tables, staging)
    return staging, [s.source_uri for s in found]


def rewrite_csv(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def test_gate_refuses_a_figure_whose_text_is_not_at_its_offsets(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out")
    validate_package(staging, inputs)  # the untouched staging passes

    def shift_first_figure(rows):
        header = rows[0]
        rows[1][header.index("char_start")] = str(int(rows[1][header.index("char_start")]) + 1)
        return rows
    rewrite_csv(staging / "data" / "figures.csv", shift_first_figure)
    with pytest.raises(PipelineError) as failure:
        validate_package(staging, inputs)
    # the edited CSV no longer matches its hash nor its Parquet twin; Frictionless names both
    assert "hash-count" in str(failure.value)
    assert "parquet_matches_csv" in str(failure.value)


def test_gate_refuses_a_foreign_key_to_an_unknown_region(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out")

    def unknown_region(rows):
        rows[1][rows[0].index("region_code")] = "999999"
        return rows
    rewrite_csv(staging / "data" / "figures.csv", unknown_region)
    with pytest.raises(PipelineError, match="foreign-key"):
        validate_package(staging, inputs)


def test_gate_refuses_an_input_that_landed_nowhere(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out")
    with pytest.raises(PipelineError, match="inputs_accounted"):
        validate_package(staging, inputs + ["lost.txt"])


def test_failed_run_leaves_the_previous_package_untouched(run_flow, published, tmp_path):
    out = tmp_path / "cnfiscal"
    run_flow([SAMPLES], out)
    before = snapshot(out)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sources.csv").write_text("file,colour\na.txt,blue\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="manifest"):
        run_flow([broken], out)
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_bad_inputs_are_rejected_with_reasons_and_good_ones_published(run_flow, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = "2023年，某市一般公共预算收入完成120.5亿元，增长6.2%。\n"
    (corpus / "good.txt").write_text(good, encoding="utf-8")
    (corpus / "repeat.txt").write_text(good, encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("caf\xe9 \xa3".encode("latin-1"))
    (corpus / "blank.txt").write_text("  \n\n", encoding="utf-8")
    (corpus / "tampered.txt").write_text("税收收入80亿元。\n", encoding="utf-8")
    (corpus / "sources.csv").write_text(
        "path,sha256,region\n"
        f"tampered.txt,{'0' * 64},\n"
        "good.txt,,青岛\n"
        "missing.txt,,\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = run_flow([corpus], out)
    assert summary["documents"] == 1
    with open(out / "data" / "rejections.csv", encoding="utf-8", newline="") as handle:
        rejected = {r["source_uri"]: r for r in csv.DictReader(handle)}
    assert {k: v["error_code"] for k, v in rejected.items()} == {
        "blank.txt": "empty", "repeat.txt": "duplicate_content", "latin1.txt": "undecodable",
        "missing.txt": "unreadable", "tampered.txt": "sha256_mismatch"}
    assert all(r["reason"] for r in rejected.values())
    with open(out / "data" / "figures.csv", encoding="utf-8", newline="") as handle:
        figures = list(csv.DictReader(handle))
    assert [(f["value_text"], f["region_code"]) for f in figures] == [
        ("120.5亿元", "370200"), ("6.2%", "370200")]
