"""Validate: the gate between a staged package and its publication, and the quality report.

Blocking checks: Frictionless over the descriptor and every data file (types, constraints,
primary and foreign keys, bytes and sha256), and the pipeline's structural checks as SQL over
the staged files (provenance, every input accounted for, pages, Parquet equal to CSV). Any
failure raises PipelineError naming the check, and nothing is published.

Plausibility checks never block: they flag figures (the figure_flags resource) and are counted in
the report, with the conflicts between documents.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from frictionless import FrictionlessException, Package, Report, Resource

from flows.metadata import arrow_schema, duckdb_connect, duckdb_enum_ddl, resource_names, table_schema, views
from flows.records import PipelineError
from flows.rules import rule_table
from flows.workers import submit

REPORT_NAME = "validation-report.json"
MARKDOWN_REPORT_NAME = "validation-report.md"
VOLATILE_KEYS = {"seconds", "time", "memory"}  # timings would make reports differ between runs
GROWTH_TOLERANCE = 1.0  # percentage points between stated growth and growth implied by levels

# Plausibility checks: (check, severity, SQL selecting figure_id and message). Not blocking.
PLAUSIBILITY = [
    ("growth_out_of_range", "warning", """
        SELECT figure_id, 'growth of ' || value || '% lies outside -100…1000%' FROM figures
        WHERE unit = 'percent' AND measure = 'growth' AND (value < -100 OR value > 1000)"""),
    ("share_out_of_range", "warning", """
        SELECT figure_id, measure || ' of ' || value || '% lies outside 0…200%' FROM figures
        WHERE unit = 'percent' AND measure IN ('share', 'budget_completion')
          AND (value < 0 OR value > 200)"""),
    ("count_not_whole", "warning", """
        SELECT figure_id, 'a count of ' || value || ' is not a whole, non-negative number'
        FROM figures WHERE unit = 'count' AND measure = 'level' AND (value < 0 OR value <> floor(value))"""),
    ("negative_level", "warning", """
        SELECT figure_id, 'a level of ' || value || ' is negative' FROM figures
        WHERE measure = 'level' AND value < 0"""),
    ("period_reversed", "error", """
        SELECT figure_id, 'the period starts (' || period_start || ') after it ends (' || period_end || ')'
        FROM figures WHERE period_start > period_end"""),
    ("period_out_of_range", "warning", """
        SELECT f.figure_id, 'the period ' || f.period_start || '…' || f.period_end
               || ' lies outside 1949…' || (d.reference_year + 1)
        FROM figures f JOIN documents d USING (document_id)
        WHERE year(f.period_start) < 1949 OR year(f.period_end) > d.reference_year + 1"""),
    ("part_exceeds_whole", "warning", """
        SELECT DISTINCT p.figure_id, p.indicator || ' (' || p.value_text || ') exceeds '
               || w.indicator || ' (' || w.value_text || ') for the same region and period'
        FROM figures p JOIN indicator_parts r ON p.indicator = r.part
        JOIN figures w ON w.indicator = r.whole AND w.document_id = p.document_id
         AND w.region_code = p.region_code AND w.period_start = p.period_start
         AND w.period_end = p.period_end
        WHERE p.unit = 'CNY' AND w.unit = 'CNY' AND p.measure = 'level' AND w.measure = 'level'
          AND p.phase IS NOT DISTINCT FROM w.phase AND p.value > w.value"""),
    ("growth_contradicts_levels", "warning", f"""
        SELECT g.figure_id, 'growth of ' || g.value || '% but the levels given imply '
               || round((cur.value / prev.value - 1) * 100, 1) || '%'
        FROM figures g
        JOIN figures cur ON cur.document_id = g.document_id AND cur.indicator = g.indicator
         AND cur.region_code = g.region_code AND cur.period_start = g.period_start
         AND cur.period_end = g.period_end AND cur.measure = 'level' AND cur.unit = 'CNY'
        JOIN figures prev ON prev.document_id = g.document_id AND prev.indicator = g.indicator
         AND prev.region_code = g.region_code AND prev.measure = 'level' AND prev.unit = 'CNY'
         AND prev.period_start = g.period_start - INTERVAL 1 YEAR
         AND prev.period_end = g.period_end - INTERVAL 1 YEAR AND prev.value > 0
        WHERE g.unit = 'percent' AND g.measure = 'growth'
          AND abs((cur.value / prev.value - 1) * 100 - g.value) > {GROWTH_TOLERANCE}"""),
]


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _connect(tables: dict[str, pa.Table | Path]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with each resource as a view (over Arrow tables or Parquet files)."""
    con = duckdb_connect()
    for statement in duckdb_enum_ddl():  # the views' SQL casts to them
        con.execute(statement)
    for name, table in tables.items():
        relation = con.read_parquet(str(table)) if isinstance(table, Path) else con.from_arrow(table)
        relation.create_view(name)
    parts = pa.Table.from_pylist([dict(r) for r in rule_table("indicator_parts")])
    con.from_arrow(parts).create_view("indicator_parts")
    return con


def figure_flags(tables: dict[str, pa.Table]) -> list[dict[str, str]]:
    """figure_flags rows: every plausibility check's findings, one per figure and check (the
    first message in sort order where a check finds several), in a stable order."""
    flags: dict[tuple[str, str], dict[str, str]] = {}
    with _connect({k: tables[k] for k in ("documents", "figures")}) as con:
        for check, severity, sql in PLAUSIBILITY:
            for figure_id, message in sorted(con.execute(sql).fetchall()):
                flags.setdefault((figure_id, check), {"figure_id": figure_id, "check": check,
                                                      "severity": severity, "message": message})
    return [flags[key] for key in sorted(flags)]


PART_BYTES = 25_000_000  # a CSV larger than this has its rows checked in parts of about this size
RECORD_END = b"\r\n"


def split_csv(path: Path, parts: int, folder: Path) -> list[Path]:
    """The CSV cut at record ends into `parts` files, each starting with its header, read and
    written a block at a time. A CRLF ends a record when an even number of quote characters
    precedes it (RFC 4180 doubles the quotes inside quoted fields)."""
    size = path.stat().st_size
    paths = [folder / f"{path.stem}-rows-{k}.csv" for k in range(parts)]
    with open(path, "rb") as source:
        header = source.readline()
        targets = [len(header) + (size - len(header)) * k // parts for k in range(1, parts)]
        outputs = [open(p, "wb") for p in paths]
        try:
            for output in outputs:
                output.write(header)
            current, quotes, position = 0, 0, len(header)
            while block := source.read(1 << 20):
                while current < len(targets) and position + len(block) > targets[current]:
                    cut = _record_end(block, max(0, targets[current] - position), quotes)
                    if cut is None:
                        break  # the record goes on into the next block
                    outputs[current].write(block[:cut])
                    quotes += block.count(b'"', 0, cut)
                    block, position, current = block[cut:], position + cut, current + 1
                outputs[current].write(block)
                quotes += block.count(b'"')
                position += len(block)
        finally:
            for output in outputs:
                output.close()
    return paths


def _record_end(block: bytes, start: int, quotes_before: int) -> int | None:
    """The offset just past the first record end at or after `start` in the block."""
    found = block.find(RECORD_END, start)
    while found != -1:
        if (quotes_before + block.count(b'"', 0, found)) % 2 == 0:
            return found + len(RECORD_END)
        found = block.find(RECORD_END, found + len(RECORD_END))
    return None


def _validation_resources(package: Package, package_dir: Path, folder: Path) -> list[Resource]:
    """The package's resources, each large CSV replaced by a file resource (its bytes and
    sha256) and table resources over its rows in parts (written to `folder`): the parts can be
    checked in parallel. They depend only on the file, so the report does not depend on how it
    was run."""
    resources = []
    for resource in package.resources:
        size = (package_dir / resource.path).stat().st_size
        if resource.type != "table" or resource.format != "csv" or size <= PART_BYTES:
            resources.append(resource)
            continue
        resources.append(Resource.from_descriptor(
            {"name": resource.name, "type": "file", "path": resource.path,
             "hash": resource.hash, "bytes": resource.bytes}, basepath=str(package_dir)))
        for k, part in enumerate(split_csv(package_dir / resource.path, -(-size // PART_BYTES), folder)):
            resources.append(Resource.from_descriptor(
                {"name": f"{resource.name}-rows-{k}", "type": "table", "path": part.name,
                 "format": "csv", "encoding": resource.encoding,
                 "schema": resource.schema.to_descriptor()}, basepath=str(folder)))
    return resources


def _validate_resource(descriptor: dict[str, Any], basepath: str) -> dict[str, Any]:
    """One resource's Frictionless report (in a worker process, when parallel)."""
    return Resource.from_descriptor(descriptor, basepath=basepath).validate().to_descriptor()


def frictionless_report(package_dir: Path, parallel: bool = False) -> dict[str, Any]:
    """Frictionless validation of the descriptor and of every resource's rows and files (types,
    formats, constraints, bytes, sha256), minus timings. Keys are left to key_checks: Frictionless
    holds every key of a resource in memory, DuckDB spills to disk. Without keys, resources — and
    a large one's rows, in parts — can be validated in parallel processes."""
    package = Package(str(package_dir / "datapackage.json"))
    try:
        package.to_descriptor(validate=True)  # the descriptor as published, keys and all
    except FrictionlessException as exception:
        return _without_volatile(Report.from_validation(errors=exception.to_errors()).to_dict())
    for resource in package.resources:
        if resource.schema:
            resource.schema.primary_key = []
            resource.schema.foreign_keys = []
            for field in resource.schema.fields:
                field.constraints.pop("unique", None)
    with tempfile.TemporaryDirectory(prefix="cnfiscal-validation-") as folder:
        resources = _validation_resources(package, package_dir, Path(folder))
        tasks = [(r.to_descriptor(), r.basepath) for r in resources]
        if parallel:
            with ProcessPoolExecutor(os.cpu_count() or 2) as pool:  # largest first, for balance
                order = sorted(range(len(resources)), key=lambda i: -Path(
                    resources[i].basepath, resources[i].path).stat().st_size)
                futures = {i: pool.submit(_validate_resource, *tasks[i]) for i in order}
                reports = [futures[i].result() for i in range(len(resources))]
        else:
            reports = [_validate_resource(*task) for task in tasks]
    report = Report.from_validation_reports(time=0, reports=[Report.from_descriptor(r) for r in reports])
    return _without_volatile(report.to_dict())


def _columns(fields: list[str], table: str = "") -> str:
    """Quoted column names for SQL, optionally qualified by a table alias."""
    prefix = f"{table}." if table else ""
    return ", ".join(f'{prefix}"{f}"' for f in fields)


def key_checks(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The schemas' primary keys, unique fields and foreign keys, checked in SQL over every
    resource (a view per resource)."""
    repeated, orphans = [], []
    for name in resource_names():
        schema = table_schema(name)
        keys = [schema["primaryKey"]] + [[f["name"]] for f in schema["fields"]
                                         if f.get("constraints", {}).get("unique")]
        for key in keys:
            repeated += [f"{name}({', '.join(key)}) = {row}" for row in con.execute(
                f'SELECT {_columns(key)} FROM "{name}" GROUP BY ALL HAVING count(*) > 1 '
                "ORDER BY ALL LIMIT 5").fetchall()]
        for foreign in schema.get("foreignKeys", []):
            own, target = foreign["fields"], foreign["reference"]
            parent = target["resource"] or name  # "" refers to the resource itself
            joined = " AND ".join(f'p."{t}" = c."{o}"' for o, t in zip(own, target["fields"]))
            present = " AND ".join(f'c."{o}" IS NOT NULL' for o in own)
            orphans += [f"{name}.{', '.join(own)} = {row} is not in {parent}"
                        for row in con.execute(
                            f'SELECT DISTINCT {_columns(own, "c")} FROM "{name}" c '
                            f'ANTI JOIN "{parent}" p ON {joined} '
                            f"WHERE {present} ORDER BY ALL LIMIT 5").fetchall()]
    return [_check("primary_keys", repeated, "every primary key and unique field is unique",
                   "values repeated"),
            _check("foreign_keys", orphans, "every foreign key points to an existing row",
                   "foreign-key values with no row to point to")]


def _check(name: str, problems: list, ok: str, failed: str) -> dict[str, Any]:
    return {"check": name, "valid": not problems, "failures": len(problems),
            "message": ok if not problems else f"{failed}: {', '.join(map(str, problems[:5]))}"}


def structural_checks(package_dir: Path, input_uris: list[str] | None) -> list[dict[str, Any]]:
    """The pipeline's blocking checks, as SQL over the package's Parquet files."""
    data = package_dir / "data"
    with _connect({n: data / f"{n}.parquet" for n in resource_names()}) as con:
        checks = key_checks(con)
        provenance = [r[0] for r in con.execute("""
            SELECT 'figure ' || f.figure_id FROM figures f LEFT JOIN documents d USING (document_id)
            WHERE d.text IS NULL
               OR substring(d.text, f.char_start + 1, f.char_end - f.char_start) <> f.value_text
            UNION ALL
            SELECT 'passage ' || p.document_id || '/' || p.passage_no
            FROM passages p LEFT JOIN documents d USING (document_id)
            WHERE d.text IS NULL
               OR substring(d.text, p.char_start + 1, p.char_end - p.char_start) <> p.text
            ORDER BY 1""").fetchall()]
        pages = [r[0] for r in con.execute("""
            SELECT f.figure_id FROM figures f WHERE f.page IS NOT NULL AND f.page NOT IN (
                SELECT p.page FROM passages p WHERE p.document_id = f.document_id AND p.page IS NOT NULL)
            ORDER BY 1""").fetchall()]
        landed = Counter(r[0] for r in con.execute(
            "SELECT source_uri FROM documents UNION ALL SELECT source_uri FROM rejections").fetchall())
    checks += [
        _check("provenance", provenance, "every figure's value_text and every passage's text is "
               "the text at its offsets", "rows that differ from documents.text at their offsets"),
        _check("figure_pages", pages, "every figure's page is a page of its document",
               "figures on a page their document does not have"),
    ]
    if input_uris is not None:
        inputs = Counter(input_uris)
        unaccounted = sorted(u for u in inputs | landed if inputs[u] != 1 or landed[u] != 1)
        checks.append(_check("inputs_accounted", unaccounted,
                             f"all {len(inputs)} inputs are in documents or rejections, once",
                             "inputs missing, duplicated or unexpected in documents/rejections"))
    checks.append(parquet_matches_csv_check(package_dir))
    return checks


def _same_rows(parquet: Iterator[pa.RecordBatch], from_csv: Iterator[pa.RecordBatch]) -> bool:
    """Whether two streams of record batches hold the same rows, batch sizes aside."""
    pending = None
    for batch in from_csv:
        while pending is None or pending.num_rows < batch.num_rows:
            more = next(parquet, None)
            if more is None:
                return False
            more = pa.Table.from_batches([more])
            pending = more if pending is None else pa.concat_tables([pending, more])
        if not pending.slice(0, batch.num_rows).equals(pa.Table.from_batches([batch])):
            return False
        pending = pending.slice(batch.num_rows)
    return (pending is None or pending.num_rows == 0) and next(parquet, None) is None


def parquet_matches_csv_check(package_dir: Path) -> dict[str, Any]:
    """Each Parquet file has the schema's Arrow types and exactly the rows of its CSV twin
    (compared a block at a time, so memory does not grow with the files)."""
    mismatched = []
    for name in resource_names():
        expected = arrow_schema(name)
        try:
            parquet = pq.ParquetFile(package_dir / "data" / f"{name}.parquet")
            from_csv = pacsv.open_csv(
                package_dir / "data" / f"{name}.csv",
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(column_types=expected, strings_can_be_null=True,
                                                     true_values=["true"], false_values=["false"]))
            same = parquet.schema_arrow.equals(expected) and _same_rows(
                iter(parquet.iter_batches()), (b.cast(expected) for b in from_csv))
        except (pa.ArrowInvalid, OSError):
            same = False
        if not same:
            mismatched.append(name)
    return _check("parquet_matches_csv", mismatched,
                  "every Parquet file has its schema's types and its CSV's rows",
                  "Parquet and CSV differ (or cannot be read) for")


def quality_summary(package_dir: Path) -> dict[str, Any]:
    """Counts for the report: rows per resource, flags by check, conflicts, rejections by code."""
    data = package_dir / "data"
    with _connect({n: data / f"{n}.parquet" for n in resource_names()}) as con:
        conflicts_sql = next(v["sql"] for v in views() if v["name"] == "conflicts")
        return {
            "rows": {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in resource_names()},
            "flags": dict(con.execute("""SELECT "check" || ' (' || severity || ')', count(*)
                                         FROM figure_flags GROUP BY ALL ORDER BY 1""").fetchall()),
            "conflicts": con.execute(f"SELECT count(*) FROM ({conflicts_sql})").fetchone()[0],
            "rejections": dict(con.execute("SELECT error_code, count(*) FROM rejections "
                                           "GROUP BY ALL ORDER BY 1").fetchall()),
        }


def markdown_report(report: dict[str, Any]) -> str:
    """The report for people: verdict, checks, counts, flags, conflicts, rejections."""
    summary = report["summary"]
    lines = ["# Validation report", "",
             f"**{'Valid' if report['valid'] else 'INVALID'}**: Frictionless "
             f"{'passed' if report['frictionless']['valid'] else 'failed'}; "
             f"{sum(c['valid'] for c in report['checks'])} of {len(report['checks'])} pipeline checks passed.",
             "", "## Checks (blocking)", "", "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {c['check']} | {'pass' if c['valid'] else 'FAIL'} | {c['message']} |" for c in report["checks"]]
    lines += ["", "## Rows", "", "| resource | rows |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in summary["rows"].items()]
    lines += ["", "## Plausibility flags (not blocking)", ""]
    lines += [f"- {name}: {count}" for name, count in summary["flags"].items()] or ["- none"]
    lines += ["", f"## Conflicts between documents: {summary['conflicts']}", "",
              "See the `conflicts` view in the DuckDB file.", "", "## Rejected inputs", ""]
    lines += [f"- {code}: {count}" for code, count in summary["rejections"].items()] or ["- none"]
    return "\n".join(lines) + "\n"


def failure_summary(report: dict[str, Any]) -> list[str]:
    """One line per failed check, naming it (and, for Frictionless, the file)."""
    lines = [f"{c['check']}: {c['message']}" for c in report["checks"] if not c["valid"]]
    fr = report["frictionless"]
    for error in fr.get("errors", []):
        lines.append(f"frictionless {error.get('type')}: {error.get('message')}")
    for task in fr.get("tasks", []):
        for error in task.get("errors", [])[:3]:
            lines.append(f"frictionless {task.get('place')} {error.get('type')}: {error.get('message')}")
    return lines


def _sql_checks(package_dir: Path, input_uris: list[str] | None
                ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The structural checks and, when they pass, the quality summary."""
    checks = structural_checks(package_dir, input_uris)
    return checks, quality_summary(package_dir) if all(c["valid"] for c in checks) else None


def validate_package(package_dir: Path, input_uris: list[str] | None,
                     workers: int = 1) -> dict[str, Any]:
    """Validate a package folder, write its JSON and Markdown reports, raise if anything failed.
    `input_uris` are the run's inputs; None when re-validating a published package. With
    `workers` > 1, Frictionless checks the resources in parallel processes while one of the local
    worker processes runs the SQL checks, which would otherwise wait for it."""
    beside = submit(workers, _sql_checks, package_dir, input_uris) if workers > 1 else None
    try:
        frictionless = frictionless_report(package_dir, workers > 1)
    finally:
        if beside:
            wait([beside])
    checks, summary = [], None  # files that fail their hash or cannot be parsed: no further
    if frictionless["valid"]:  # (beside, they may have failed on such a file: not reported)
        checks, summary = beside.result() if beside else _sql_checks(package_dir, input_uris)
    report = {"valid": frictionless["valid"] and all(c["valid"] for c in checks),
              "checks": checks, "frictionless": frictionless}
    if report["valid"]:
        report["summary"] = summary
    if input_uris is not None:  # a run writes its reports; re-validation only reads
        (package_dir / REPORT_NAME).write_text(
            json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
            encoding="utf-8")
        if report["valid"]:
            (package_dir / MARKDOWN_REPORT_NAME).write_text(markdown_report(report), encoding="utf-8")
    if not report["valid"]:
        raise PipelineError("validation failed: " + "; ".join(failure_summary(report)))
    return report
