"""The codelists the package publishes: indicators (owned here) and regions (built from GB/T 2260)."""
from __future__ import annotations

import csv
from functools import cache, lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from flows.rules import WordFinder, rule_table

CODELIST_DIR = Path(__file__).parent
NATION_CODE = "100000"


def read_codelist(name: str) -> pa.Table:
    """A codelist CSV as an Arrow table of strings (empty cells become nulls)."""
    path = CODELIST_DIR / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        columns = next(csv.reader(handle))
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=True
        ),
    )


@cache
def _region_lookup() -> dict[str, list[str]]:
    """Codes by code, full name and short name (a short name may be shared: 朝阳)."""
    lookup: dict[str, list[str]] = {}
    for row in read_codelist("regions").to_pylist():
        for key in {row["code"], row["name"], row["short_name"]}:
            lookup.setdefault(key, []).append(row["code"])
    return lookup


def resolve_region(name_or_code: str) -> list[str]:
    """The region codes a manifest's `region` value may mean: one when unambiguous, none when unknown."""
    return sorted(set(_region_lookup().get(name_or_code.strip(), [])))


@cache
def _region_levels() -> dict[str, str]:
    return {r["code"]: r["level"] for r in read_codelist("regions").to_pylist()}


def _containing(codes: list[str]) -> str | None:
    """The one code whose region holds all the others: 荆州 names both 荆州市 (421000) and its
    district 荆州区 (421003); the city is meant."""
    prefixes = {"province": 2, "prefecture": 4}
    for code in codes:
        width = prefixes.get(_region_levels()[code])
        if width and all(other[:width] == code[:width] for other in codes):
            return code
    return None


def choose_region(codes: list[str], within: str | None = None) -> str | None:
    """One code for a name: the only one, else the one inside `within` (a region code whose
    province narrows the choice), else a province-level one; among several left, the one that
    holds the others, else the only city (西安: 西安市, not 辽源's 西安区); None when still
    ambiguous."""
    if len(codes) == 1:
        return codes[0]
    if within:
        inside = [c for c in codes if c[:2] == within[:2]]
        if len(inside) == 1 or (inside and _containing(inside)):
            return inside[0] if len(inside) == 1 else _containing(inside)
    provinces = [c for c in codes if _region_levels()[c] == "province"]
    if len(provinces) == 1:
        return provinces[0]
    prefectures = [c for c in codes if _region_levels()[c] == "prefecture"]
    return _containing(codes) or (prefectures[0] if len(prefectures) == 1 else None)


@cache
def _mention_finder() -> WordFinder:
    """Names a text may mention a region by: full names at every level, and short names of
    provinces and prefectures (county short names are too often ordinary words)."""
    names = set()
    for row in read_codelist("regions").to_pylist():
        if row["level"] == "nation":
            continue
        names.add(row["name"])
        if row["level"] in ("province", "prefecture") and len(row["short_name"]) >= 2:
            names.add(row["short_name"])
    return WordFinder(list(names))


@lru_cache(maxsize=8192)
def _mentioned_region(name: str, within: str | None) -> str | None:
    return choose_region(resolve_region(name), within)


@cache
def _place_suffixes() -> tuple[str, ...]:
    return tuple(r["suffix"] for r in rule_table("place_suffixes"))


@cache
def _place_name_words() -> frozenset[str]:
    return frozenset(r["word"] for r in rule_table("place_name_words"))


def _word_not_place(name: str, code: str, text: str, end: int, within: str | None) -> bool:
    """A county's two-character name read inside ordinary words (提高县级 holds 高县, 经费县级
    费县) or one that is a common word itself (中心城区): a county named by one character plus
    县/区 counts only inside the document's province and not before 级."""
    if name in _place_name_words():
        return True
    return len(name) == 2 and _region_levels()[code] == "county" and (
        text.startswith("级", end) or (within is not None and code[:2] != within[:2]))


def region_mentions(text: str, within: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, code) of every unambiguous region name in the text; names that are part of
    a street's or a station's name (安顺路), or of ordinary words (提高县级), are not mentions of
    the region."""
    found = []
    for start, end, _ in _mention_finder().find(text):
        if text.startswith(_place_suffixes(), end):
            continue
        code = _mentioned_region(text[start:end], within)
        if code and not _word_not_place(text[start:end], code, text, end, within):
            found.append((start, end, code))
    return found
