"""Load: build the DuckDB file from the validated Parquet files.

Tables, constraints and COMMENT ON statements come from schemas/ (flows.metadata), so an analyst
who opens the file reads the same descriptions as the data dictionary.
"""
from __future__ import annotations

from pathlib import Path

from flows.metadata import (duckdb_connect, duckdb_ddl, duckdb_enum_ddl, duckdb_view_ddl,
                            resource_names, views)
from flows.publish import DUCKDB_NAME


def load_duckdb(staging: Path) -> Path:
    """Create <staging>/cnfiscal.duckdb: one commented table per resource, the schemas'
    enumerations as ENUM types, and the views."""
    path = staging / DUCKDB_NAME
    path.unlink(missing_ok=True)
    with duckdb_connect(str(path)) as con:
        for name in resource_names():
            for statement in duckdb_ddl(name):
                con.execute(statement)
            # The Parquet files are sorted by primary key, and DuckDB keeps insertion order.
            rows = con.read_parquet(str(staging / "data" / f"{name}.parquet"))
            con.register("staged_rows", rows)
            con.execute(f'INSERT INTO "{name}" SELECT * FROM staged_rows')
            con.unregister("staged_rows")
        for statement in duckdb_enum_ddl():
            con.execute(statement)
        for view in views():
            for statement in duckdb_view_ddl(view):
                con.execute(statement)
        con.execute("CHECKPOINT")
    return path

