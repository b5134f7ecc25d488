"""Validate: the gate between a staged package and its publication.

Frictionless checks the descriptor and every data file (types, constraints, primary and foreign
keys, bytes and hashes); the pipeline's own checks run as SQL over the staged Parquet files.
Any failure raises PipelineError naming the check, and nothing is published.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from frictionless import Package

from flows.metadata import arrow_schema, resource_names
from flows.records import PipelineError

REPORT_NAME = "validation-report.json"
VOLATILE_KEYS = {"seconds", "time", "memory"}  # timings would make reports differ between runs


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def frictionless_report(staging: Path) -> dict[str, Any]:
    """Frictionless validation of the descriptor and every resource, minus timings."""
    package = Package(str(staging / "datapackage.json"))
    report = package.validate()
    return _without_volatile(report.to_dict())


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def provenance_check(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """documents.text[char_start:char_end] == value_text for every figure, and == text for
    every passage."""
    bad = _rows(con, """
        SELECT 'figure ' || f.figure_id FROM figures f LEFT JOIN documents d USING (document_id)
        WHERE d.text IS NULL
           OR substring(d.text, f.char_start + 1, f.char_end - f.char_start) <> f.value_text
        UNION ALL
        SELECT 'passage ' || p.document_id || '/' || p.passage_no
        FROM passages p LEFT JOIN documents d USING (document_id)
        WHERE d.text IS NULL
           OR substring(d.text, p.char_start + 1, p.char_end - p.char_start) <> p.text
        ORDER BY 1""")
    return {"check": "provenance", "valid": not bad, "failures": len(bad),
            "message": "every figure's value_text and every passage's text is the text at its "
            "offsets" if not bad else f"{len(bad)} rows differ from documents.text at their "
            f"offsets, e.g. {', '.join(r[0] for r in bad[:5])}"}


def inputs_accounted_check(con: duckdb.DuckDBPyConnection, input_uris: list[str]) -> dict[str, Any]:
    """Every input is in exactly one of documents and rejections."""
    con.execute("CREATE TEMP TABLE inputs (source_uri VARCHAR)")
    con.executemany("INSERT INTO inputs VALUES (?)", [[u] for u in input_uris])
    problems = _rows(con, """
        WITH landed AS (SELECT source_uri FROM documents UNION ALL SELECT source_uri FROM rejections)
        SELECT i.source_uri, count(l.source_uri) AS n FROM inputs i
        LEFT JOIN landed l USING (source_uri) GROUP BY i.source_uri HAVING count(l.source_uri) <> 1
        UNION ALL
        SELECT l.source_uri, 0 FROM landed l ANTI JOIN inputs i USING (source_uri)
        ORDER BY 1""")
    return {"check": "inputs_accounted", "valid": not problems, "failures": len(problems),
            "message": f"all {len(input_uris)} inputs are in documents or rejections, once"
            if not problems else "inputs missing, duplicated or unexpected in documents/"
            f"rejections: {', '.join(f'{u} ({n}x)' for u, n in problems[:5])}"}


def parquet_matches_csv_check(staging: Path) -> dict[str, Any]:
    """Each Parquet file has the schema's Arrow types and exactly the rows of its CSV twin."""
    mismatched = []
    for name in resource_names():
        expected = arrow_schema(name)
        parquet = pq.read_table(staging / "data" / f"{name}.parquet")
        from_csv = pacsv.read_csv(
            staging / "data" / f"{name}.csv",
            convert_options=pacsv.ConvertOptions(
                column_types=expected, strings_can_be_null=True,
                true_values=["true"], false_values=["false"]))
        if not parquet.schema.equals(expected) or not parquet.equals(from_csv.cast(expected)):
            mismatched.append(name)
    return {"check": "parquet_matches_csv", "valid": not mismatched, "failures": len(mismatched),
            "message": "every Parquet file has its schema's types and its CSV's rows"
            if not mismatched else f"Parquet and CSV differ for: {', '.join(mismatched)}"}


def pipeline_checks(staging: Path, input_uris: list[str]) -> list[dict[str, Any]]:
    """The pipeline's own checks, as SQL over the staged Parquet files."""
    with duckdb.connect() as con:
        for name in ("documents", "passages", "figures", "rejections"):
            path = staging / "data" / f"{name}.parquet"
            con.read_parquet(str(path)).create_view(name)
        checks = [provenance_check(con), inputs_accounted_check(con, input_uris)]
    return checks + [parquet_matches_csv_check(staging)]


def validate_package(staging: Path, input_uris: list[str]) -> dict[str, Any]:
    """Validate the staged package, write validation-report.json, raise if anything failed."""
    frictionless = frictionless_report(staging)
    checks = pipeline_checks(staging, input_uris)
    report = {"valid": frictionless["valid"] and all(c["valid"] for c in checks),
              "checks": checks, "frictionless": frictionless}
    (staging / REPORT_NAME).write_text(
        json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if not report["valid"]:
        raise PipelineError("validation failed: " + "; ".join(failure_summary(report)))
    return report


def failure_summary(report: dict[str, Any]) -> list[str]:
    """One line per failed check, naming it."""
    lines = [f"{c['check']}: {c['message']}" for c in report["checks"] if not c["valid"]]
    fr = report["frictionless"]
    for error in fr.get("errors", []):
        lines.append(f"frictionless {error.get('type')}: {error.get('message')}")
    for task in fr.get("tasks", []):
        for error in task.get("errors", [])[:3]:
            lines.append(f"frictionless {task.get('name')} {error.get('type')}: {error.get('message')}")
    return lines
