"""Releases: immutable versions, a latest pointer, and a diff naming exactly what changed."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow as pa

from flows.metadata import arrow_schema
from flows.release import make_release
from flows.validate import figure_flags

DAY = dt.date(2026, 11, 26)
CITY_A = "2023年，全市一般公共预算收入完成120.5亿元，增长6.2%。税收收入80亿元。\n"
CITY_B = "2023年，全市一般公共预算收入完成118.0亿元，增长5.9%，其中税收收入79亿元。\n"


def figures_of(package: Path, source_name: str) -> set[str]:
    with open(package / "data" / "documents.csv", encoding="utf-8-sig", newline="") as handle:
        ids = {d["document_id"] for d in csv.DictReader(handle) if d["source_name"] == source_name}
    with open(package / "data" / "figures.csv", encoding="utf-8-sig", newline="") as handle:
        return {f["figure_id"] for f in csv.DictReader(handle) if f["document_id"] in ids}


def files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_releases_diff_exactly_the_changed_source(run_flow, tmp_path):
    corpus, out, releases = tmp_path / "corpus", tmp_path / "cnfiscal", tmp_path / "releases"
    corpus.mkdir()
    (corpus / "a.txt").write_text(CITY_A, encoding="utf-8")
    (corpus / "b.txt").write_text(CITY_B, encoding="utf-8")
    (corpus / "sources.csv").write_text("path,region\na.txt,青岛\nb.txt,青岛\n", encoding="utf-8")
    run_flow([corpus], out)
    first = make_release(out, releases, DAY)
    first_files = files(first)
    old_b = figures_of(out, "b.txt")

    (corpus / "b.txt").write_text(CITY_B.replace("79亿元", "79.5亿元"), encoding="utf-8")
    run_flow([corpus], out)
    second = make_release(out, releases, DAY)

    assert (first.name, second.name) == ("2026.11.26", "2026.11.26.2")
    assert (releases / "latest").resolve() == second.resolve()
    assert files(first) == first_files  # an earlier release is never modified
    diff = json.loads((second / "diff.json").read_text(encoding="utf-8"))
    assert set(diff["figures"]["removed"]) == old_b
    assert set(diff["figures"]["added"]) == figures_of(out, "b.txt")
    assert diff["figures"]["changed"] == []
    assert [d["source_name"] for d in diff["documents"]["added"]] == ["b.txt"]
    assert [d["source_name"] for d in diff["documents"]["removed"]] == ["b.txt"]
    changelog = (second / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 2026.11.26.2" in changelog and "## 2026.11.26\n" in changelog
    assert "documents added: b.txt" in changelog and "First release." in changelog


def test_conflicting_figures_from_different_documents_are_listed_not_resolved(run_flow, tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "cnfiscal"
    corpus.mkdir()
    (corpus / "a.txt").write_text(CITY_A, encoding="utf-8")
    (corpus / "b.txt").write_text(CITY_B, encoding="utf-8")
    (corpus / "sources.csv").write_text("path,region\na.txt,青岛\nb.txt,青岛\n", encoding="utf-8")
    run_flow([corpus], out)
    with duckdb.connect(str(out / "cnfiscal.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT indicator, value_text_a, value_text_b, source_a, source_b "
                           "FROM conflicts ORDER BY ALL").fetchall()
        comments = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'conflicts'").fetchall()
    pairs = {(r[0], frozenset({(r[1], r[3]), (r[2], r[4])})) for r in rows}
    assert ("gpb_revenue", frozenset({("120.5亿元", "a.txt"), ("118.0亿元", "b.txt")})) in pairs
    assert ("tax_revenue", frozenset({("80亿元", "a.txt"), ("79亿元", "b.txt")})) in pairs
    assert all(comment for (comment,) in comments)
    report = (out / "validation-report.md").read_text(encoding="utf-8")
    assert "## Conflicts between documents: " in report and "Conflicts between documents: 0" not in report


def test_plausibility_checks_flag_without_blocking():
    documents = pa.Table.from_pylist([{"document_id": "d", "reference_year": 2023}])
    base = {"document_id": "d", "region_code": "370200", "period_start": dt.date(2023, 1, 1),
            "period_end": dt.date(2023, 12, 31), "phase": "execution"}
    rows = [
        {**base, "figure_id": "growth", "value": 1500.0, "value_text": "1500%", "unit": "percent", "measure": "growth", "indicator": "gpb_revenue"},
        {**base, "figure_id": "share", "value": 250.0, "value_text": "250%", "unit": "percent", "measure": "share", "indicator": None},
        {**base, "figure_id": "count", "value": 2.5, "value_text": "2.5项", "unit": "count", "measure": "level", "indicator": None},
        {**base, "figure_id": "whole", "value": 1e9, "value_text": "10亿元", "unit": "CNY", "measure": "level", "indicator": "gpb_revenue"},
        {**base, "figure_id": "part", "value": 2e9, "value_text": "20亿元", "unit": "CNY", "measure": "level", "indicator": "tax_revenue"},
        {**base, "figure_id": "reversed", "value": 1.0, "value_text": "1亿元", "unit": "CNY", "measure": "level", "indicator": None,
         "period_start": dt.date(2023, 6, 1), "period_end": dt.date(2023, 1, 31)},
        {**base, "figure_id": "fine", "value": 5.0, "value_text": "5%", "unit": "percent", "measure": "growth", "indicator": "gpb_revenue"},
    ]
    schema = arrow_schema("figures")
    figures = pa.Table.from_pylist([{f: r.get(f) for f in schema.names} for r in rows], schema=schema)
    flags = {(f["figure_id"], f["check"], f["severity"]) for f in figure_flags({"documents": documents, "figures": figures})}
    assert flags == {("growth", "growth_out_of_range", "warning"), ("share", "share_out_of_range", "warning"),
                     ("count", "count_not_whole", "warning"), ("part", "part_exceeds_whole", "warning"),
                     ("reversed", "period_reversed", "error")}
