"""Read the rule tables in flows/rules/: the extractor's and cleaner's vocabulary lives there as data."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")


@cache
def rule_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of flows/rules/<name>.csv as dicts (cached: the tables are read-only)."""
    with open(RULES_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def longest_first(words: list[str]) -> list[str]:
    """Order alternatives so a regex tries 万亿元 before 亿元 before 元."""
    return sorted(set(words), key=lambda w: (-len(w), w))
