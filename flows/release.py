"""Releases: immutable, versioned copies of a validated package, a `latest` pointer, and what
changed since the release before (diff.json, and an entry on top of CHANGELOG.md).

    RELEASES/2026.11.26/      a release (read-only once written)
    RELEASES/2026.11.26.2/    a second release the same day
    RELEASES/latest -> 2026.11.26.2
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import Any

import duckdb

from flows.validate import validate_package

LATEST = "latest"
COMPARED = ["value", "value_text", "unit", "measure", "qualifier", "indicator", "region_code",
            "period_start", "period_end", "benchmark_region_code", "rank_of", "phase", "page"]


def next_version(releases: Path, day: dt.date) -> str:
    """CalVer YYYY.MM.DD, with .2, .3 … for further releases the same day."""
    base = day.strftime("%Y.%m.%d")
    taken = {p.name for p in releases.iterdir()} if releases.is_dir() else set()
    if base not in taken:
        return base
    return next(f"{base}.{n}" for n in range(2, 10_000) if f"{base}.{n}" not in taken)


def _schemas(package: Path) -> dict[str, dict[str, str]]:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: {f["name"]: f["type"] for f in r["schema"]["fields"]}
            for r in descriptor["resources"] if r.get("type") == "table"}


def schema_changes(old: Path, new: Path) -> list[str]:
    """Resources and fields added, removed or retyped, one sentence each."""
    before, after = _schemas(old), _schemas(new)
    changes = [f"resource {n} added" for n in sorted(after.keys() - before.keys())]
    changes += [f"resource {n} removed" for n in sorted(before.keys() - after.keys())]
    for name in sorted(before.keys() & after.keys()):
        old_fields, new_fields = before[name], after[name]
        changes += [f"{name}.{f} added" for f in new_fields if f not in old_fields]
        changes += [f"{name}.{f} removed" for f in old_fields if f not in new_fields]
        changes += [f"{name}.{f} changed type from {old_fields[f]} to {new_fields[f]}"
                    for f in old_fields if f in new_fields and old_fields[f] != new_fields[f]]
    return changes


def release_diff(old: Path | None, new: Path) -> dict[str, Any]:
    """Figures added, removed and changed (by figure_id, old and new values), documents added
    and removed, schema changes — between two packages."""
    if old is None:
        return {"previous": None, "figures": {"added": [], "removed": [], "changed": []},
                "documents": {"added": [], "removed": []}, "schema_changes": []}
    with duckdb.connect() as con:
        for side, package in (("old", old), ("new", new)):
            for name in ("figures", "documents"):
                con.read_parquet(str(package / "data" / f"{name}.parquet")).create_view(f"{side}_{name}")
        added = [r[0] for r in con.execute(
            "SELECT figure_id FROM new_figures ANTI JOIN old_figures USING (figure_id) ORDER BY 1").fetchall()]
        removed = [r[0] for r in con.execute(
            "SELECT figure_id FROM old_figures ANTI JOIN new_figures USING (figure_id) ORDER BY 1").fetchall()]
        differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in COMPARED)
        changed = [
            {"figure_id": figure_id,
             "old": {c: old_value for c, old_value in zip(COMPARED, row[:len(COMPARED)])},
             "new": {c: new_value for c, new_value in zip(COMPARED, row[len(COMPARED):])}}
            for figure_id, *row in con.execute(
                f"SELECT o.figure_id, {', '.join('o.' + c for c in COMPARED)}, "
                f"{', '.join('n.' + c for c in COMPARED)} FROM old_figures o "
                f"JOIN new_figures n USING (figure_id) WHERE {differs} ORDER BY 1").fetchall()]
        documents = {
            side: [{"document_id": d, "source_name": s} for d, s in con.execute(
                f"SELECT document_id, source_name FROM {a}_documents ANTI JOIN {b}_documents "
                "USING (document_id) ORDER BY 1").fetchall()]
            for side, a, b in (("added", "new", "old"), ("removed", "old", "new"))}
    return {"previous": old.name, "figures": {"added": added, "removed": removed, "changed": changed},
            "documents": documents, "schema_changes": schema_changes(old, new)}


def changelog_entry(version: str, diff: dict[str, Any], rows: dict[str, int]) -> str:
    figures, documents = diff["figures"], diff["documents"]
    lines = [f"## {version}", "",
             f"{rows.get('documents', 0)} documents, {rows.get('figures', 0)} figures."]
    if diff["previous"] is None:
        lines.append("First release.")
    else:
        lines += [f"Compared with {diff['previous']}:",
                  f"- figures: {len(figures['added'])} added, {len(figures['removed'])} removed, "
                  f"{len(figures['changed'])} changed",
                  f"- documents added: {', '.join(d['source_name'] for d in documents['added']) or 'none'}",
                  f"- documents removed: {', '.join(d['source_name'] for d in documents['removed']) or 'none'}",
                  f"- schema changes: {'; '.join(diff['schema_changes']) or 'none'}"]
    return "\n".join(lines) + "\n"


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def make_release(package: Path, releases: Path, day: dt.date) -> Path:
    """Copy a validated package into RELEASES/<version>, with diff.json and CHANGELOG.md, then
    point RELEASES/latest at it. Earlier releases are never touched."""
    report = validate_package(package, None)
    releases.mkdir(parents=True, exist_ok=True)
    latest = releases / LATEST
    previous = latest.resolve() if latest.is_symlink() else None
    version = next_version(releases, day)
    work = releases / f".{version}.{uuid.uuid4().hex}"
    shutil.copytree(package.resolve(), work)
    diff = release_diff(previous, work)
    (work / "diff.json").write_text(json.dumps(diff, ensure_ascii=False, indent=1, default=str) + "\n",
                                    encoding="utf-8")
    history = (previous / "CHANGELOG.md").read_text(encoding="utf-8").split("\n", 2)[2] \
        if previous and (previous / "CHANGELOG.md").exists() else ""
    (work / "CHANGELOG.md").write_text(
        "# Changelog\n\n" + changelog_entry(version, diff, report["summary"]["rows"]) + "\n" + history,
        encoding="utf-8")
    _read_only(work)
    os.replace(work, releases / version)
    link = releases / f".latest.{uuid.uuid4().hex}"
    os.symlink(version, link)
    os.replace(link, latest)
    return releases / version
