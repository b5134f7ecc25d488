"""The package a real flow run publishes: valid, traceable, deterministic, and queryable."""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from frictionless import Package

from conftest import shared_path
from flows.metadata import arrow_schema, resource_names, table_schema

csv.field_size_limit(1 << 30)


def read_csv(package: Path, name: str) -> list[dict[str, str]]:
    with open(package / "data" / f"{name}.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_output_folder_has_every_file_of_the_contract(published):
    expected = {"datapackage.json", "validation-report.json", "validation-report.md", "cnfiscal.duckdb",
                "data-dictionary.md", "index.html"}
    expected |= {f"data/{n}.{ext}" for n in resource_names() for ext in ("csv", "parquet")}
    found = {p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file()}
    assert found == expected


def test_frictionless_validates_the_published_package(published):
    report = Package(str(published / "datapackage.json")).validate()
    assert report.valid, report.flatten(["title", "message"])
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"].endswith("/2.0/datapackage.json")
    for resource in descriptor["resources"]:
        data = (published / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    tables = [r for r in descriptor["resources"] if r["type"] == "table"]
    assert [r["name"] for r in tables] == resource_names()
    assert all("fields" in r["schema"] for r in tables)  # schemas inlined


def test_csv_files_are_utf8_with_a_bom_and_the_descriptor_says_so(published):
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    for resource in [r for r in descriptor["resources"] if r["type"] == "table"]:
        assert resource["encoding"] == "utf-8-sig"
        data = (published / resource["path"]).read_bytes()
        assert data.startswith(codecs.BOM_UTF8) and not data[3:].startswith(codecs.BOM_UTF8)
        with open(published / resource["path"], encoding=resource["encoding"], newline="") as handle:
            header = next(csv.reader(handle))
        assert header == [f["name"] for f in table_schema(resource["name"])["fields"]]


def test_frictionless_reads_the_header_without_the_bom(published):
    figures = Package(str(published / "datapackage.json")).get_resource("figures")
    with figures:
        assert figures.encoding == "utf-8-sig"
        assert figures.header[0] == "figure_id"
        assert figures.read_rows(size=1)[0]["figure_id"]


def test_validation_report_records_every_check_passing(published):
    report = json.loads((published / "validation-report.json").read_text(encoding="utf-8"))
    assert report["valid"] and report["frictionless"]["valid"]
    assert {c["check"] for c in report["checks"]} >= {"provenance", "inputs_accounted",
                                                       "parquet_matches_csv"}


def test_provenance_every_value_text_is_the_text_at_its_offsets(published):
    texts = {d["document_id"]: d["text"] for d in read_csv(published, "documents")}
    figures = read_csv(published, "figures")
    assert figures
    for f in figures:
        start, end = int(f["char_start"]), int(f["char_end"])
        assert texts[f["document_id"]][start:end] == f["value_text"]
        assert f["value_text"] in f["quote"]


def test_seed_money_and_percents_have_the_gold_values(published):
    gold = [g for g in csv.DictReader(open(shared_path("gold/seed.csv"), encoding="utf-8"))
            if g["unit"] in ("CNY", "percent") and g["status"] == "required"]
    found = {(f["value_text"], f["unit"], float(f["value"])) for f in read_csv(published, "figures")}
    for g in gold:
        assert (g["value_text"].replace(" ", ""), g["unit"], float(g["value"])) in found, g


def test_parquet_has_the_schema_types_and_the_csv_rows(published):
    for name in resource_names():
        table = pq.read_table(published / "data" / f"{name}.parquet")
        assert table.schema.equals(arrow_schema(name))
        assert table.num_rows == len(read_csv(published, name))


def test_two_runs_publish_identical_bytes(published, published_again):
    def digests(root: Path) -> dict[str, str]:
        files = [root / "datapackage.json", root / "validation-report.json",
                 *sorted((root / "data").iterdir())]
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in files}
    assert digests(published) == digests(published_again)


def test_two_runs_give_duckdb_files_with_identical_tables(published, published_again):
    def contents(root: Path) -> dict[str, list[tuple]]:
        with duckdb.connect(str(root / "cnfiscal.duckdb"), read_only=True) as con:
            return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall()
                    for n in resource_names()}
    assert contents(published) == contents(published_again)


def test_duckdb_has_every_resource_with_comments_on_every_table_and_column(published):
    with duckdb.connect(str(published / "cnfiscal.duckdb"), read_only=True) as con:
        tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        assert set(tables) == set(resource_names())
        assert all(tables.values())
        for name in resource_names():
            columns = con.execute("SELECT column_name, comment FROM duckdb_columns() "
                                  "WHERE table_name = ? ORDER BY column_index", [name]).fetchall()
            assert [c for c, _ in columns] == [f["name"] for f in table_schema(name)["fields"]]
            assert all(comment for _, comment in columns), name
            count = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            assert count == len(read_csv(published, name))
