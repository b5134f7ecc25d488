"""Read the rule tables in flows/rules/: the extractor's and cleaner's vocabulary lives there as data."""
from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")


@cache
def rule_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of flows/rules/<name>.csv as dicts (cached: the tables are read-only)."""
    with open(RULES_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def required_words(row: dict[str, str]) -> tuple[str, ...]:
    """A rule's `requires` column: words one of which a text must hold for the rule to apply
    (a substring test is far cheaper than a regex scan, and most texts lack most of them)."""
    return tuple(row["requires"].split("|"))


def holds_any(words: tuple[str, ...], text: str) -> bool:
    return any(word in text for word in words)


def longest_first(words: list[str]) -> list[str]:
    """Order alternatives so a regex tries 万亿元 before 亿元 before 元."""
    return sorted(set(words), key=lambda w: (-len(w), w))


def trie_regex(words: list[str]) -> str:
    """One regex matching the longest of many literal words, factored by common prefixes
    (青岛|青海|青铜峡 → 青(?:岛|海|铜峡)), so that matching fails fast at each position
    instead of trying thousands of alternatives."""
    trie: dict = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    # A character-class lookahead lets the engine skip most positions with one set test.
    first = "".join(re.escape(ch) for ch in sorted(k for k in trie if k))
    return f"(?=[{first}])" + _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    ends_here = "" in node
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not ends_here else "(?:" + "|".join(branches) + ")"
    return body + "?" if ends_here else body


class WordFinder:
    """Finds the longest of thousands of literal words (region names) in a text, left to right.

    One regex would try every alternative at every position; instead a character class finds
    the positions where some word can start, and a small pattern per first character matches
    there — about five times faster on Chinese prose."""

    def __init__(self, words: list[str]):
        by_first: dict[str, list[str]] = {}
        for word in set(words):
            by_first.setdefault(word[0], []).append(word)
        self._starts = re.compile("[" + "".join(re.escape(ch) for ch in sorted(by_first)) + "]")
        self._rest = {ch: re.compile(trie_regex(group)) for ch, group in by_first.items()}

    def finditer(self, text: str):
        """(start, end) of each non-overlapping word, longest first at each position."""
        resume = 0
        for candidate in self._starts.finditer(text):
            if candidate.start() < resume:
                continue
            found = self._rest[candidate.group()].match(text, candidate.start())
            if found:
                resume = found.end()
                yield found.start(), found.end()
