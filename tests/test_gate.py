"""The validation gate: a broken package is never published, and the previous one survives."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from conftest import SAMPLES
from pdfmaker import make_blank_pdf, make_pdf
from flows import extract, fetch, incremental, publish, sources, stage, validate
from flows.records import PipelineError
from flows.validate import validate_package


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stage_samples(out: Path, change_figures=lambda figures: figures) -> tuple[Path, list[str]]:
    """Stage the samples' package as the flow does; change_figures plays an extractor bug."""
    found, _ = sources.discover_sources([SAMPLES])
    raws, rejections = extract.read_all(found, fetch.RawStore(out.parent / "raw"), 10**8)
    batch = incremental.process_batch(raws, fetch.RawStore(out.parent / "raw"), None,
                                      incremental.code_version())
    batch.figures = change_figures(batch.figures)
    parts, staging = publish.new_staging_dir(out), publish.new_staging_dir(out)
    stage.write_parts(batch, parts, "batch")
    stage.stage_package(parts, [r.row() for r in rejections], staging)
    return staging, [s.source_uri for s in found]


def rewrite_csv(path: Path, change) -> None:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def test_gate_refuses_a_figure_whose_text_is_not_at_its_offsets(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out")
    validate_package(staging, inputs)  # the untouched staging passes

    def off_by_one(figures):
        return [{**figures[0], "char_start": figures[0]["char_start"] + 1}] + figures[1:]
    staging, inputs = stage_samples(tmp_path / "again", off_by_one)
    with pytest.raises(PipelineError, match="provenance: rows that differ from documents.text"):
        validate_package(staging, inputs)


def test_gate_refuses_an_edited_file(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out")

    def shift_first_figure(rows):
        header = rows[0]
        rows[1][header.index("char_start")] = str(int(rows[1][header.index("char_start")]) + 1)
        return rows
    rewrite_csv(staging / "data" / "figures.csv", shift_first_figure)
    with pytest.raises(PipelineError, match="data/figures.csv hash-count"):
        validate_package(staging, inputs)


def test_gate_refuses_a_foreign_key_to_an_unknown_region(tmp_path):
    staging, inputs = stage_samples(
        tmp_path / "out", lambda figures: [{**figures[0], "region_code": "999999"}] + figures[1:])
    with pytest.raises(PipelineError, match="foreign_keys: foreign-key values with no row to point to: figures.region_code"):
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
    """One corpus mixing good sources with every kind of bad one, through the whole flow."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = "2023年，某市一般公共预算收入完成120.5亿元，增长6.2%。\n"
    (corpus / "good.txt").write_text(good, encoding="utf-8")
    make_pdf(corpus / "good.pdf", ["全县税收收入完成9.8亿元，增长3.1%，非税收入2.8亿元。"])
    (corpus / "repeat.txt").write_text(good, encoding="utf-8")
    (corpus / "blank.txt").write_text("  \n\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "latin1.txt").write_bytes("caf\xe9 \xa3 budget".encode("latin-1"))
    (corpus / "large.txt").write_text("财政" * 40_000, encoding="utf-8")
    make_pdf(corpus / "locked.pdf", ["全县税收收入完成9.8亿元。"], encrypt="secret")
    make_blank_pdf(corpus / "scan.pdf")
    (corpus / "cut.pdf").write_bytes((corpus / "good.pdf").read_bytes()[:300])
    (corpus / "tampered.txt").write_text("税收收入80亿元。\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("税收收入1亿元。", encoding="utf-8")
    (corpus / "sources.csv").write_text(
        "path,url,sha256,region,published\n"
        f"tampered.txt,,{'0' * 64},,\n"
        "good.txt,,,青岛,2023\n"
        "missing.txt,,,,\n"
        "../secret.txt,,,,\n"
        ",ftp://example.org/budget.txt,,,\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = run_flow([corpus], out, max_bytes=100_000)
    assert summary["documents"] == 2
    with open(out / "data" / "rejections.csv", encoding="utf-8-sig", newline="") as handle:
        rejected = {r["source_uri"]: r for r in csv.DictReader(handle)}
    assert {k: v["error_code"] for k, v in rejected.items()} == {
        "blank.txt": "empty", "binary.txt": "binary", "latin1.txt": "undecodable",
        "large.txt": "too_large", "locked.pdf": "pdf_encrypted", "scan.pdf": "pdf_no_text",
        "cut.pdf": "pdf_damaged", "repeat.txt": "duplicate_content",
        "missing.txt": "unreadable", "tampered.txt": "sha256_mismatch",
        "../secret.txt": "path_escapes_manifest",
        "ftp://example.org/budget.txt": "unsupported_scheme"}
    for row in rejected.values():
        assert row["reason"].startswith(row["source_uri"] + ": ") and row["stage"] == "extract"
    with open(out / "data" / "figures.csv", encoding="utf-8-sig", newline="") as handle:
        figures = list(csv.DictReader(handle))
    assert sorted((f["value_text"], f["region_code"]) for f in figures) == [
        ("120.5亿元", "370200"), ("2.8亿元", ""), ("3.1%", ""), ("6.2%", "370200"), ("9.8亿元", "")]


def test_gate_refuses_a_repeated_primary_key(tmp_path):
    staging, inputs = stage_samples(tmp_path / "out", lambda figures: figures + figures[:1])
    with pytest.raises(PipelineError, match=r"primary_keys: values repeated: figures\(figure_id\)"):
        validate_package(staging, inputs)


def test_split_csv_cuts_only_at_record_ends(tmp_path):
    rows = [["id", "text"]] + [[str(i), f'line {i}\r\nwith "quotes", commas\r\nand breaks' * (i % 3)]
                               for i in range(200)]
    path = tmp_path / "table.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    (tmp_path / "parts").mkdir()
    parts = validate.split_csv(path, 3, tmp_path / "parts")
    read_back = []
    for part in parts:
        with open(part, encoding="utf-8-sig", newline="") as handle:
            part_rows = list(csv.reader(handle))
        assert part_rows[0] == rows[0] and len(part_rows) > 1
        read_back += part_rows[1:]
    assert read_back == rows[1:]


def test_large_csvs_are_validated_in_parts_with_the_same_findings(tmp_path, monkeypatch):
    staging, inputs = stage_samples(tmp_path / "out")
    monkeypatch.setattr(validate, "PART_BYTES", 4_000)
    report = validate.frictionless_report(staging, parallel=True)
    names = [task["name"] for task in report["tasks"]]
    assert report["valid"] and "figures-rows-0" in names and "figures-rows-1" in names
    assert report == validate.frictionless_report(staging)  # serial: the same report

    def bad_last_unit(rows):
        rows[-1][rows[0].index("unit")] = "bananas"
        return rows
    rewrite_csv(staging / "data" / "figures.csv", bad_last_unit)
    report = validate.frictionless_report(staging, parallel=True)
    failed = {task["name"] for task in report["tasks"] if not task["valid"]}
    assert "figures" in failed  # the file's bytes and sha256 no longer match
    assert max(n for n in names if n.startswith("figures-rows-")) in failed  # the bad cell, last part
