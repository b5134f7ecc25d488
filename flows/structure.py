"""Structure: headings, articles and their default regions, as the passages resource.

A magazine page or a bulletin can hold several articles (the seed turns from a Shenzhen article to
`青岛：` + title + `青岛市财政局`). Each article gets a default region — its header, its author
bureau, the manifest, or the region it mentions most, in that order — which the extractor uses
for the figures inside it.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from flows.codelists import NATION_CODE, choose_region, region_mentions, resolve_region
from flows.records import Paragraph
from flows.rules import rule_table


@dataclass(frozen=True)
class Passage:
    text: str
    page: int | None
    kind: str
    article_no: int
    region_code: str | None


@cache
def _article_patterns() -> dict[str, re.Pattern[str]]:
    return {r["kind"]: re.compile(r["pattern"]) for r in rule_table("articles")}


@cache
def _heading_rules() -> tuple[int, tuple[str, ...]]:
    rows = rule_table("headings")
    max_length = int(next(r["value"] for r in rows if r["kind"] == "max_length"))
    return max_length, tuple(r["value"] for r in rows if r["kind"] == "sentence_end")


def is_heading(text: str) -> bool:
    """Short, and not ending like a sentence — or a region's name alone followed by a colon."""
    max_length, sentence_ends = _heading_rules()
    if _article_patterns()["region_header"].match(text):
        return True
    return len(text) <= max_length and not text.endswith(sentence_ends)


def _named_region(kind: str, text: str, within: str | None) -> str | None:
    match = _article_patterns()[kind].match(text)
    return choose_region(resolve_region(match.group("name")), within) if match else None


def _article_starts(paragraphs: list[Paragraph], within: str | None) -> dict[int, str | None]:
    """Paragraph index → the region its header or byline names, for each article start."""
    starts: dict[int, str | None] = {0: None}
    for i, p in enumerate(paragraphs):
        header = _named_region("region_header", p.text, within)
        if header:
            starts[i] = header
            continue
        byline = _named_region("byline", p.text, within)
        if byline:  # the article begins at its title: the headings right above the byline
            first = i
            while first > 0 and first not in starts and is_heading(paragraphs[first - 1].text):
                first -= 1
            starts[first] = starts.get(first) or byline
    return starts


def most_mentioned_region(text: str, within: str | None) -> str | None:
    """The region named most often (ties go to the first named), the nation aside."""
    counts = Counter(code for _, _, code in region_mentions(text, within) if code != NATION_CODE)
    if not counts:
        return None
    top = max(counts.values())
    return next(code for _, _, code in region_mentions(text, within) if counts[code] == top)


def build_passages(paragraphs: list[Paragraph], manifest_region: str | None) -> list[Passage]:
    """Passages with kind, article number and the article's default region."""
    starts = _article_starts(paragraphs, manifest_region)
    boundaries = sorted(starts) + [len(paragraphs)]
    passages = []
    for article_no, (first, end) in enumerate(zip(boundaries, boundaries[1:]), start=1):
        members = paragraphs[first:end]
        region = (starts[first] or manifest_region
                  or most_mentioned_region("\n".join(p.text for p in members), manifest_region))
        passages += [Passage(p.text, p.page, "heading" if is_heading(p.text) else "paragraph",
                             article_no, region) for p in members]
    return passages
