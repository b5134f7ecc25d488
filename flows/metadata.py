"""The resources' metadata, read once from schemas/ and datapackage.json.

Everything else that describes a resource — Arrow (Parquet) types, DuckDB DDL and comments, the
published descriptor — is generated here from the Table Schemas, never restated by hand.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DESCRIPTOR_PATH = PROJECT_ROOT / "datapackage.json"

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}
DUCKDB_MEMORY_LIMIT = "256MB"  # past this, DuckDB sorts and joins on disk: memory stays flat


def duckdb_connect(database: str = ":memory:", spill: Path | None = None,
                   read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection held to DUCKDB_MEMORY_LIMIT, spilling to `spill` (or DuckDB's default
    folder next to the database)."""
    con = duckdb.connect(database, read_only=read_only)
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    if spill:
        con.execute(f"SET temp_directory = {sql_literal(str(spill))}")
    return con


DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE",
                "boolean": "BOOLEAN", "date": "DATE"}


@cache
def dataset_descriptor() -> dict[str, Any]:
    """The repository's datapackage.json: dataset metadata and the resources' schema paths."""
    return json.loads(DESCRIPTOR_PATH.read_text(encoding="utf-8"))


def resource_names() -> list[str]:
    """Resources in publishing order."""
    return [r["name"] for r in dataset_descriptor()["resources"]]


@cache
def table_schema(resource: str) -> dict[str, Any]:
    """The Table Schema of one resource, as written in schemas/."""
    entry = next(r for r in dataset_descriptor()["resources"] if r["name"] == resource)
    return json.loads((PROJECT_ROOT / entry["schema"]).read_text(encoding="utf-8"))


def arrow_schema(resource: str) -> pa.Schema:
    """Arrow types for the resource's Parquet file; required fields are not nullable."""
    return pa.schema([
        pa.field(f["name"], ARROW_TYPES[f["type"]],
                 nullable=not f.get("constraints", {}).get("required", False),
                 metadata={"description": f["description"]})
        for f in table_schema(resource)["fields"]
    ])


def sql_literal(text: str) -> str:
    """A single-quoted SQL string literal (for DDL comments, which take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _column_ddl(field: dict[str, Any]) -> str:
    constraints = field.get("constraints", {})
    ddl = f'"{field["name"]}" {DUCKDB_TYPES[field["type"]]}'
    if constraints.get("required"):
        ddl += " NOT NULL"
    if "enum" in constraints:
        allowed = ", ".join(sql_literal(v) for v in constraints["enum"])
        ddl += f' CHECK ("{field["name"]}" IN ({allowed}))'
    return ddl


def duckdb_ddl(resource: str) -> list[str]:
    """CREATE TABLE and COMMENT ON statements for one resource."""
    schema = table_schema(resource)
    columns = [_column_ddl(f) for f in schema["fields"]]
    if schema.get("primaryKey"):
        columns.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in schema["primaryKey"]) + ")")
    statements = [f'CREATE TABLE "{resource}" (\n  ' + ",\n  ".join(columns) + "\n)",
                  f'COMMENT ON TABLE "{resource}" IS {sql_literal(schema["description"])}']
    statements += [
        f'COMMENT ON COLUMN "{resource}"."{f["name"]}" IS {sql_literal(f["description"])}'
        for f in schema["fields"]
    ]
    return statements


def enum_types() -> dict[str, list[str]]:
    """The schemas' enumerations as DuckDB ENUM types named <resource>_<field> (figures_unit):
    the views cast to them, so an analyst's DESCRIBE shows the allowed values."""
    return {f'{resource}_{field["name"]}': field["constraints"]["enum"]
            for resource in resource_names() for field in table_schema(resource)["fields"]
            if "enum" in field.get("constraints", {})}


def duckdb_enum_ddl() -> list[str]:
    """CREATE TYPE statements for every enumeration of the schemas."""
    return [f'CREATE TYPE "{name}" AS ENUM (' + ", ".join(sql_literal(v) for v in values) + ")"
            for name, values in enum_types().items()]


@cache
def views() -> list[dict[str, Any]]:
    """The DuckDB views of schemas/views.json: name, description, SQL and column comments.
    The SQL is stored as a list of lines so that the JSON stays readable."""
    raw = json.loads((PROJECT_ROOT / "schemas" / "views.json").read_text(encoding="utf-8"))["views"]
    return [{**view, "sql": "\n".join(view["sql"])} for view in raw]


def duckdb_view_ddl(view: dict[str, Any]) -> list[str]:
    """CREATE VIEW and COMMENT ON statements for one view."""
    return ([f'CREATE VIEW "{view["name"]}" AS {view["sql"]}',
             f'COMMENT ON VIEW "{view["name"]}" IS {sql_literal(view["description"])}']
            + [f'COMMENT ON COLUMN "{view["name"]}"."{column}" IS {sql_literal(text)}'
               for column, text in view["columns"].items()])


def package_metadata() -> str:
    """The dataset descriptor, schemas and views as one string: a change to any of them changes
    the published package even when no input changed."""
    parts = [DESCRIPTOR_PATH.read_text(encoding="utf-8")]
    parts += [(PROJECT_ROOT / r["schema"]).read_text(encoding="utf-8") for r in dataset_descriptor()["resources"]]
    parts.append((PROJECT_ROOT / "schemas" / "views.json").read_text(encoding="utf-8"))
    return "\n".join(parts)
