"""Normalise: find every figure in a cleaned document and turn it into a figures row.

A figure is a number with its unit (money, percent, percentage points, counts) or a rank, as
ANNOTATION-GUIDE.md defines them. The vocabulary — unit words, multipliers, qualifier, measure,
phase and rank cues — lives in flows/rules/*.csv; this module only applies it.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import cn2an

from flows.codelists import NATION_CODE, read_codelist
from flows.rules import longest_first, rule_table

SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
CLAUSE_BREAKS = "，,；;：:。！？!?\n"
CJK_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
BARE_MONEY_MULTIPLIERS = {"亿", "万亿"}  # 收入2293亿: money even without 元


@dataclass(frozen=True)
class Match:
    """A number found in the text, before its attributes are set."""

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    rule: str
    scope: str = ""  # for ranks: the words between the rank cue and the position


@cache
def _figure_pattern() -> re.Pattern[str]:
    multipliers = "|".join(longest_first([r["word"] for r in rule_table("multipliers")]))
    units = "|".join(re.escape(w) for w in longest_first([r["word"] for r in rule_table("units")]))
    inside = "|".join(r["cue"] for r in rule_table("qualifiers") if r["position"] == "inside")
    return re.compile(
        r"(?<![0-9A-Za-z.,第])"
        r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
        rf"(?P<inside>{inside})?(?P<multiplier>{multipliers})?(?P<inside2>{inside})?"
        rf"(?P<unit>{units})?")


@cache
def _unit_rules() -> dict[str, dict[str, str]]:
    return {r["word"]: r for r in rule_table("units")}


@cache
def _qualifier_cues(position: str) -> list[tuple[str, str]]:
    rows = [r for r in rule_table("qualifiers") if r["position"] == position]
    return sorted(((r["cue"], r["qualifier"]) for r in rows), key=lambda c: -len(c[0]))


def _qualifier(text: str, start: int, end: int, inside: str | None) -> str:
    """Qualifier from cues inside the number (180多条), after it (以上) or before it (超过)."""
    if inside:
        return dict(_qualifier_cues("inside"))[inside]
    for cue, qualifier in _qualifier_cues("after"):
        if text.startswith(cue, end):
            return qualifier
    for cue, qualifier in _qualifier_cues("before"):
        if text.endswith(cue, 0, start):
            return qualifier
    return "exact"


def find_numbers(text: str) -> list[Match]:
    """Money, percents, percentage points and counts written with Arabic digits."""
    found = []
    multipliers = {r["word"]: Decimal(r["factor"]) for r in rule_table("multipliers")}
    for m in _figure_pattern().finditer(text):
        multiplier, word = m.group("multiplier"), m.group("unit")
        end = m.end()
        if word:
            rule = _unit_rules()[word]
            if not rule["unit"] or (rule["needs_multiplier"] == "yes" and not multiplier):
                continue
            unit = rule["unit"]
            if rule["in_value_text"] != "yes":
                end = m.start("unit")
        elif multiplier in BARE_MONEY_MULTIPLIERS and not CJK_IDEOGRAPH.match(text, end) \
                or multiplier in BARE_MONEY_MULTIPLIERS and text.startswith("的", end):
            unit = "CNY"
        else:
            continue
        number = Decimal(m.group("number").replace(",", ""))
        value = number * multipliers.get(multiplier or "", Decimal(1))
        qualifier = _qualifier(text, m.start(), end, m.group("inside") or m.group("inside2"))
        found.append(Match(m.start(), end, float(value), unit, qualifier, f"{unit}_arabic"))
    return found


def _rank_value(position: str) -> float:
    if position == "首位":
        return 1.0
    digits = position.strip("第位名")
    return float(digits) if digits.isdigit() else float(cn2an.cn2an(digits, "smart"))


def find_ranks(text: str) -> list[Match]:
    """Ranks introduced by a ranking verb: 居全国第7位, 位居全国首位, 居全国36省市第一."""
    pattern = next(r["pattern"] for r in rule_table("ranks") if r["kind"] == "rank")
    return [Match(m.start("value"), m.end("value"), _rank_value(m.group("value")), "rank",
                  "exact", "rank", m.group("scope"))
            for m in re.finditer(pattern, text)]


def _clause_start(text: str, position: int) -> int:
    return max(text.rfind(ch, 0, position) for ch in CLAUSE_BREAKS) + 1


def _clause_end(text: str, position: int) -> int:
    ends = [i for i in (text.find(ch, position) for ch in CLAUSE_BREAKS) if i >= 0]
    return min(ends, default=len(text))


def _last_cue(rows, text: str, lead_start: int, start: int, after: int):
    """The rule row whose pattern matches closest before `start` (ending after `after`)."""
    best = None
    for row in rows:
        for m in re.finditer(row["pattern"], text[lead_start:start]):
            end = lead_start + m.end()
            if end > after and (best is None or end > best[1].end() + lead_start):
                best = (row, m)
    return best


def _measure(text: str, match: Match, previous_end: int, benchmarks: dict[str, str | None]):
    """Measure, sign and benchmark from the closest cue in the clause before the number."""
    if match.unit == "rank":
        return "rank", 1, _benchmark(match.scope, benchmarks)
    rows = [r for r in rule_table("measures") if match.unit in r["units"].split("|")]
    lead_start = _clause_start(text, match.start)
    cue = _last_cue(rows, text, lead_start, match.start, max(previous_end, lead_start) - 1)
    if cue is None:
        default = {"percent": "share", "percentage_point": "change"}.get(match.unit, "level")
        return default, 1, None
    row, m = cue
    if row["sign"] == "direction":
        sign = -1 if m.group("direction") in ("低", "慢") else 1
        return row["measure"], sign, _benchmark(m.group("benchmark"), benchmarks)
    return row["measure"], int(row["sign"]), None


def _benchmark(words: str, benchmarks: dict[str, str | None]) -> str | None:
    for word, code in benchmarks.items():
        if word in words:
            return code
    return None


def _benchmark_codes(region_code: str | None) -> dict[str, str | None]:
    """What 全国/全省/全市 mean for a document in region_code."""
    codes = {"nation": NATION_CODE,
             "province": region_code[:2] + "0000" if region_code else None,
             "prefecture": region_code[:4] + "00" if region_code else None}
    return {r["word"]: codes[r["benchmark"]] for r in rule_table("benchmarks")}


def _rank_of(scope: str) -> int | None:
    pattern = next(r["pattern"] for r in rule_table("ranks") if r["kind"] == "rank_of")
    m = re.search(pattern, scope)
    return int(m.group("count")) if m else None


def _phase(text: str, match: Match, measure: str) -> str | None:
    """Budget phase from the closest cue in the clause, for money levels and changes only."""
    if match.unit != "CNY" or measure not in ("level", "change"):
        return None
    lead_start = _clause_start(text, match.start)
    cue = _last_cue(rule_table("phases"), text, lead_start, match.start, lead_start - 1)
    return cue[0]["phase"] if cue else None


@cache
def _indicator_aliases() -> tuple[re.Pattern[str], dict[str, str]]:
    indicators = read_codelist("indicators").to_pylist()
    alias_code = {}
    for row in indicators:
        for alias in row["aliases"].split("|"):
            alias_code.setdefault(alias, row["code"])
    pattern = re.compile("|".join(re.escape(a) for a in longest_first(list(alias_code))))
    return pattern, alias_code


def _indicator(text: str, match: Match, sentence_start: int) -> tuple[str | None, str | None]:
    """The nearest indicator alias: after a count (32项…举措), else before the number."""
    pattern, alias_code = _indicator_aliases()
    if match.unit == "count":
        after = pattern.search(text, match.end, _clause_end(text, match.end))
        if after:
            return alias_code[after.group()], after.group()
    before = [m for m in pattern.finditer(text, sentence_start, match.start)]
    if before:
        return alias_code[before[-1].group()], before[-1].group()
    return None, None


def figure_id(document_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{document_id}:{start}:{end}".encode()).hexdigest()[:16]


def _passage_at(passages: list[dict], starts: list[int], offset: int) -> dict:
    return passages[bisect.bisect_right(starts, offset) - 1]


def extract_figures(document: dict, passages: list[dict]) -> list[dict]:
    """All figures of one document as figures rows, in reading order. Each takes its page and
    default region from the passage it stands in."""
    text, document_id = document["text"], document["document_id"]
    starts = [p["char_start"] for p in passages]
    rows = []
    for sentence in SENTENCE.finditer(text):
        passage = _passage_at(passages, starts, sentence.start())
        benchmarks = _benchmark_codes(passage["region_code"])
        matches = sorted(find_numbers(sentence.group()) + find_ranks(sentence.group()),
                         key=lambda m: m.start)
        previous_end = 0
        for local in matches:
            match = Match(local.start + sentence.start(), local.end + sentence.start(),
                          local.value, local.unit, local.qualifier, local.rule, local.scope)
            measure, sign, benchmark = _measure(text, match, previous_end + sentence.start(),
                                                benchmarks)
            indicator, subject = _indicator(text, match, sentence.start())
            rows.append({
                "figure_id": figure_id(document_id, match.start, match.end),
                "document_id": document_id,
                "page": passage["page"],
                "char_start": match.start,
                "char_end": match.end,
                "value_text": text[match.start:match.end],
                "value": sign * match.value,
                "unit": match.unit,
                "measure": measure,
                "qualifier": match.qualifier,
                "indicator": indicator,
                "subject": subject,
                "region_code": passage["region_code"],
                "period_start": None,
                "period_end": None,
                "benchmark_region_code": benchmark,
                "rank_of": _rank_of(match.scope) if match.unit == "rank" else None,
                "phase": _phase(text, match, measure),
                "quote": sentence.group().strip(),
                "rule": match.rule,
            })
            previous_end = local.end
    return rows


def normalise(documents: list[dict], passages: list[dict]) -> list[dict]:
    """Figures rows for a batch of documents."""
    by_document: dict[str, list[dict]] = {}
    for passage in passages:
        by_document.setdefault(passage["document_id"], []).append(passage)
    return [row for document in documents
            for row in extract_figures(document, by_document[document["document_id"]])]
