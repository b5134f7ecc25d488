"""Read the rule tables in flows/rules/: the extractor's and cleaner's vocabulary lives there as data."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import ahocorasick_rs

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


@cache
def _required_word_finder() -> ahocorasick_rs.AhoCorasick:
    """Every word that any rule table's `requires` column names."""
    words = set()
    for path in sorted(RULES_DIR.glob("*.csv")):
        for row in rule_table(path.stem):
            if row.get("requires"):
                words.update(required_words(row))
    return ahocorasick_rs.AhoCorasick(sorted(words))


def words_present(text: str) -> frozenset[str]:
    """The rules' required words that a text holds, found in one pass (overlapping matches, so
    that no word hides inside another): the rules then need only set tests."""
    return frozenset(_required_word_finder().find_matches_as_strings(text, overlapping=True))


def holds_any(words: tuple[str, ...], present: frozenset[str]) -> bool:
    """Whether a text holds one of the words, given its words_present."""
    return not present.isdisjoint(words)


def longest_first(words: list[str]) -> list[str]:
    """Order alternatives so a regex tries 万亿元 before 亿元 before 元."""
    return sorted(set(words), key=lambda w: (-len(w), w))


class WordSets:
    """Several vocabularies found in a text in one pass. One automaton over all their words
    reports every occurrence, overlapping; each vocabulary then takes its own words
    leftmost-longest (the earliest start, and there the longest word), exactly as an automaton
    of its own would find them: one pass instead of one per vocabulary."""

    def __init__(self, vocabularies: dict[str, list[str]]):
        self.words = sorted(set().union(*vocabularies.values()))
        position = {word: index for index, word in enumerate(self.words)}
        members: list[list[str]] = [[] for _ in self.words]
        for name, words in vocabularies.items():
            for word in set(words):
                members[position[word]].append(name)
        self.members = [tuple(m) for m in members]
        self.names = tuple(vocabularies)
        self._automaton = ahocorasick_rs.AhoCorasick(self.words) if self.words else None

    def find(self, text: str) -> dict[str, list[tuple[int, int, str]]]:
        """Each vocabulary's (start, end, word) found, in reading order."""
        found: dict[str, list[tuple[int, int, str]]] = {name: [] for name in self.names}
        if self._automaton is None:
            return found
        reached = dict.fromkeys(self.names, 0)  # where each vocabulary's last word ends
        occurrences = self._automaton.find_matches_as_indexes(text, overlapping=True)
        for index, start, end in sorted(occurrences, key=lambda o: (o[1], -o[2])):
            for name in self.members[index]:
                if start >= reached[name]:
                    found[name].append((start, end, self.words[index]))
                    reached[name] = end
        return found


class WordFinder:
    """Finds the longest of thousands of literal words (region names, indicator aliases) in a
    text, left to right and non-overlapping, in one pass of an Aho-Corasick automaton in native
    code (ahocorasick-rs): several times faster than a regex, or a regex per first character."""

    def __init__(self, words: list[str]):
        self.words = sorted(set(words))
        self._automaton = ahocorasick_rs.AhoCorasick(
            self.words, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_LONGEST) if self.words else None

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, word) of each word found, in reading order."""
        if self._automaton is None:
            return []
        return [(start, end, self.words[index])
                for index, start, end in self._automaton.find_matches_as_indexes(text)]
