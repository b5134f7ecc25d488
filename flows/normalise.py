"""Normalise: find every figure in a cleaned document and give it its attributes.

Per ANNOTATION-GUIDE.md: value and unit (flows.numbers), measure and sign, qualifier, phase,
indicator and subject, region, benchmark, rank_of and period (flows.periods). The vocabulary lives
in flows/rules/*.csv; this module applies it, passage by passage, carrying context forward:
a period or an indicator from a heading or a lead sentence holds for the section under it.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from flows.codelists import NATION_CODE, read_codelist, region_mentions
from flows.numbers import Match, find_figures
from flows.periods import FENCE, Period, fenced, period_before, period_candidates, period_mentions
from flows.rules import holds_any, longest_first, required_words, rule_table, trie_regex

SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
CLAUSE_BREAKS = "，,；;：:。！？!?\n"
LEAD_ENDINGS = ("：", ":")
MONEY_PHASE_GROUPS = {"revenue", "expenditure", "tax"}  # amounts collected or spent
OWNER_BLOCKERS = ("比", "较", "于", "占", "对", "居", "列")  # 比全省, 居全国: a benchmark
SENTENCE_OPENING = 6  # a region named this close to a sentence's start owns its figures


@dataclass
class Section:
    """What a heading or lead sentence says for the passages under it."""

    period: Period | None = None
    indicator: tuple[str, str] | None = None


@dataclass
class DocumentContext:
    reference_year: int | None
    aliases: "Aliases"
    report_phase: str | None
    masked: str  # the text with non-subject phrases blanked (see _masked_subjects)
    section: Section = field(default_factory=Section)


# --- vocabulary ------------------------------------------------------------------------------

@cache
def _indicator_groups() -> dict[str, str]:
    return {r["code"]: r["group"] for r in read_codelist("indicators").to_pylist()}


COUNT_GROUPS = {"program"}  # indicators that count things (项目, 措施, 市场主体)


@cache
def base_aliases() -> dict[str, str]:
    """Alias → indicator code, from the indicators codelist (first code wins)."""
    aliases: dict[str, str] = {}
    for row in read_codelist("indicators").to_pylist():
        for alias in row["aliases"].split("|"):
            aliases.setdefault(alias, row["code"])
    return aliases


def _alias_pattern(aliases: list[str]) -> re.Pattern[str]:
    return re.compile(trie_regex(aliases))


@dataclass(frozen=True)
class Aliases:
    """A document's indicator aliases, compiled once: counts take counting indicators only,
    amounts and rates the others."""

    codes: dict[str, str]
    every: re.Pattern[str]
    counting: re.Pattern[str]
    other: re.Pattern[str]

    def for_unit(self, unit: str) -> re.Pattern[str]:
        return self.counting if unit == "count" else self.other


@cache
def compile_aliases(definitions: tuple[tuple[str, str], ...] = ()) -> Aliases:
    codes = {**base_aliases(), **dict(definitions)}
    counting = [a for a, c in codes.items() if _indicator_groups().get(c) in COUNT_GROUPS]
    return Aliases(codes, _alias_pattern(list(codes)), _alias_pattern(counting),
                   _alias_pattern([a for a in codes if a not in set(counting)]))


@cache
def _compiled(table: str) -> tuple[tuple[dict[str, str], re.Pattern[str]], ...]:
    return tuple((row, re.compile(row["pattern"])) for row in rule_table(table))


def document_aliases(text: str) -> Aliases:
    """The codelist's aliases plus the document's own abbreviations: 一般公共预算收入(以下简称
    财政收入) makes 财政收入 mean gpb_revenue in that document."""
    definitions = {}
    for row, pattern in _compiled("definitions"):
        if not holds_any(required_words(row), text):
            continue
        for m in pattern.finditer(text):
            term = next((a for a in longest_first(list(base_aliases())) if m.group("term").endswith(a)), None)
            if term:
                definitions[m.group("alias")] = base_aliases()[term]
    return compile_aliases(tuple(sorted(definitions.items())))


def report_phase(passages: list[dict]) -> str | None:
    """The phase a whole report implies, from its title and opening passages."""
    opening = "\n".join(p["text"] for p in passages[:6])
    for row, pattern in _compiled("report_kinds"):
        if pattern.search(opening):
            return row["phase"]
    return None


# --- text helpers ----------------------------------------------------------------------------

CLAUSE_BREAK = re.compile("[" + re.escape(CLAUSE_BREAKS) + "]")


@lru_cache(maxsize=8)
def _clause_breaks(text: str) -> list[int]:
    """Offsets of the text's clause-ending punctuation, once per text."""
    return [m.start() for m in CLAUSE_BREAK.finditer(text)]


def _clause_start(text: str, position: int) -> int:
    breaks = _clause_breaks(text)
    index = bisect.bisect_left(breaks, position)
    return breaks[index - 1] + 1 if index else 0


def _clause_end(text: str, position: int) -> int:
    breaks = _clause_breaks(text)
    index = bisect.bisect_left(breaks, position)
    return breaks[index] if index < len(breaks) else len(text)


def _masked_subjects(text: str) -> str:
    """Blank out phrases that name no subject (扣除留抵退税因素后, 按自然口径计算)."""
    for _, pattern in _compiled("subject_masks"):
        text = pattern.sub(lambda m: "\0" * len(m.group()), text)
    return text


@lru_cache(maxsize=16)
def _cue_index(table: str, text: str) -> tuple[list[int], list[tuple]]:
    """Every match of a rule table's patterns in a text, found once and ordered by where it
    ends (the earlier rule first among matches ending together)."""
    items = sorted((m.end(), -index, m.start(), row, m)
                   for index, (row, pattern) in enumerate(_compiled(table))
                   for m in pattern.finditer(text))
    return [item[0] for item in items], items


def _last_cue(table: str, text: str, lead_start: int, start: int, after: int, unit: str | None = None):
    """The rule whose pattern matches closest before `start`: inside [lead_start, start) and
    ending after `after`."""
    ends, items = _cue_index(table, text)
    index = bisect.bisect_right(ends, start) - 1
    while index >= 0 and items[index][0] > after:
        _, _, cue_start, row, m = items[index]
        if cue_start >= lead_start and (not unit or unit in row["units"].split("|")):
            return row, m
        index -= 1
    return None


# --- attributes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    name: str
    sign: int
    benchmark_words: str | None
    cue_start: int | None


DEFAULT_MEASURES = {"percent": "share", "percentage_point": "change"}  # else level


def measure_of(text: str, match: Match, previous_end: int, lead_start: int) -> Measure:
    """Measure and sign from the closest cue in the clause (from lead_start) before the number."""
    if match.unit == "rank":
        return Measure("rank", 1, match.scope, match.start - len(match.scope) - 1)
    cue = _last_cue("measures", text, lead_start, match.start, max(previous_end, lead_start) - 1,
                    match.unit)
    if cue is None:
        return Measure(DEFAULT_MEASURES.get(match.unit, "level"), 1, None, None)
    row, m = cue
    if row["sign"] == "direction":
        sign = -1 if m.group("direction").startswith(("低", "慢", "落后", "少")) else 1
        return Measure(row["measure"], sign, m.group("benchmark"), m.start())
    if row["measure"] == "share" and "占" in text[lead_start:m.start()]:
        return Measure("share", 1, None, text.find("占", lead_start))  # 占 names the part before it
    return Measure(row["measure"], int(row["sign"]), None, m.start())


def _scope_codes(region_code: str | None) -> dict[str, str | None]:
    return {"nation": NATION_CODE,
            "province": region_code[:2] + "0000" if region_code else None,
            "prefecture": region_code[:4] + "00" if region_code else None}


def benchmark_of(words: str | None, region_code: str | None) -> str | None:
    """全国 → 100000, 全省 → the region's province, 全州/全市 → its prefecture, a named region
    → its code."""
    if not words:
        return None
    codes = _scope_codes(region_code)
    for row in rule_table("benchmarks"):
        if row["word"] in words:
            return codes[row["benchmark"]]
    named = region_mentions(words, region_code)
    return named[0][2] if named else None


def rank_of(scope: str) -> int | None:
    pattern = next(r["pattern"] for r in rule_table("ranks") if r["kind"] == "rank_of")
    m = re.search(pattern, scope)
    return int(m.group("count")) if m else None


@lru_cache(maxsize=32)
def _owner_candidates(text: str, within: str | None) -> tuple[list[int], list[tuple[int, int, str]]]:
    """Every owner a text names — scope words (全国, 全省) as their rule's scope, regions as
    codes — found once per text, with start offsets for bisecting. Names right after 比/较/于/居
    are benchmarks and left out."""
    found = [(m.start(), m.end(), "scope:" + row["owner"])
             for row in rule_table("owners") for m in re.finditer(row["word"], text)]
    found += region_mentions(text, within)
    found = sorted(f for f in found if not text[max(0, f[0] - 2):f[0]].endswith(OWNER_BLOCKERS))
    return [f[0] for f in found], found


def _owner_mentions(text: str, start: int, limit: int, default: str | None,
                    within: str | None) -> list[str]:
    """Owner codes named between start and limit, in reading order."""
    starts, found = _owner_candidates(text, within)
    codes = []
    for s, e, owner in found[bisect.bisect_left(starts, start):bisect.bisect_left(starts, limit)]:
        code = _scope_codes(default)[owner[6:]] if owner.startswith("scope:") else owner
        if e <= limit and code:
            codes.append((s, code))
    return codes


def owner_region(text: str, sentence_start: int, start: int, limit: int, default: str | None,
                 within: str | None) -> str | None:
    """`text` is the document with non-subject phrases (datelines among them) blanked."""
    # An explicit owner before the figure (全国, 全省, a named city) overrides the article's
    # region: in the figure's clause, or opening its sentence (鄂尔多斯的…，…达到725.50亿元).
    # Names after 比/较/高于/居 are benchmarks, not owners.
    found = _owner_mentions(text, _clause_start(text, start), limit, default, within)
    if not found:
        found = [f for f in _owner_mentions(text, sentence_start, limit, default, within)
                 if f[0] - sentence_start <= SENTENCE_OPENING]
    return found[-1][1] if found else default


def phase_of(text: str, match: Match, measure: str, indicator: str | None, report: str | None,
             lead_start: int) -> str | None:
    """A cue in the clause (from lead_start); else the report's phase; else execution for
    amounts collected or spent. Percentages keep phase blank."""
    if match.unit != "CNY" or measure not in ("level", "change"):
        return None
    cue = _last_cue("phases", text, lead_start, match.start, lead_start - 1)
    if cue:
        return cue[0]["phase"]
    if report:
        return report
    if measure == "level" and _indicator_groups().get(indicator or "") in MONEY_PHASE_GROUPS:
        return "execution"
    return None


@lru_cache(maxsize=16)
def _alias_index(pattern: re.Pattern[str], masked: str) -> tuple[list[int], list[int], list[re.Match]]:
    """Every alias in a text, found once: their starts, ends and matches."""
    found = list(pattern.finditer(masked))
    return [m.start() for m in found], [m.end() for m in found], found


def _nearest_alias(pattern: re.Pattern[str], masked: str, start: int, end: int) -> re.Match | None:
    """The last alias lying within [start, end)."""
    starts, ends, found = _alias_index(pattern, masked)
    index = bisect.bisect_right(ends, end) - 1
    return found[index] if index >= 0 and starts[index] >= start else None


def _next_alias(pattern: re.Pattern[str], masked: str, start: int, end: int) -> re.Match | None:
    """The first alias lying within [start, end)."""
    starts, ends, found = _alias_index(pattern, masked)
    index = bisect.bisect_left(starts, start)
    return found[index] if index < len(found) and ends[index] <= end else None


@dataclass(frozen=True)
class ListedItem:
    """One item listed before 分别: its indicator and its region, where it names them."""

    indicator: tuple[str, str] | None
    region: str | None


def respectively(text: str, aliases: Aliases, within: str | None) -> list[ListedItem]:
    """Items listed before 分别 (收入和支出分别增长A%、B%; 锡林郭勒与赤峰…分别为A和B). An item
    that shortens the one before it (支出 after 一般公共预算收入) is completed from it."""
    position = text.find("分别")
    if position < 0:
        return []
    lead = text[_clause_start(text, position):position]
    regions = region_mentions(text[:position], within)  # regions may be named a clause earlier
    if len(regions) >= 2:
        return [ListedItem(None, code) for _, _, code in regions]
    pattern, codes = aliases.every, aliases.codes
    items: list[ListedItem] = []
    for item in (i for i in re.split(r"和|与|及|、|以及", lead) if i):
        found = list(pattern.finditer(item))
        previous = items[-1].indicator[1] if items and items[-1].indicator else None
        completed = previous[:-len(item)] + item if previous and len(previous) > len(item) else None
        if found:
            items.append(ListedItem((codes[found[-1].group()], found[-1].group()), None))
        else:
            items.append(ListedItem((codes[completed], item) if completed in codes else None, None))
    return items


def indicator_of(masked: str, match: Match, measure: Measure, aliases: Aliases,
                 sentence_start: int) -> tuple[str, str] | None:
    """The nearest indicator alias: for a share, the one before 占; for a count, the noun after
    it; else the one before the number in the sentence. `masked` is the document's text with
    non-subject phrases blanked."""
    pattern = aliases.for_unit(match.unit)
    if match.unit == "count":
        after = _next_alias(pattern, masked, match.end, _clause_end(masked, match.end))
        if after:
            return aliases.codes[after.group()], after.group()
    end = measure.cue_start if measure.name == "share" and measure.cue_start is not None else match.start
    found = _nearest_alias(pattern, masked, sentence_start, end)
    return (aliases.codes[found.group()], found.group()) if found else None


def figure_id(document_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{document_id}:{start}:{end}".encode()).hexdigest()[:16]


# --- the document ----------------------------------------------------------------------------

LIST_SEPARATOR = re.compile(r"[\s、和及与,，]*")
NAMED_SUBJECT = re.compile(r"收入|支出|税|资金|债|补助|投入")  # a clause naming its own subject


@dataclass
class PassageState:
    """What earlier figures of the passage leave for later ones."""

    indicator: tuple[str, str] | None
    measures: dict[str, Measure] = field(default_factory=dict)  # last measure per unit
    last: tuple[int, Measure, str] | None = None  # the previous figure's end, measure and unit


def _figure_measure(text: str, match: Match, sentence_start: int, lead_start: int,
                    state: PassageState) -> Measure:
    """The cue's measure; a figure listed right after another (A%、B%) shares its measure; a
    rate with no cue continues the passage's last rate of its unit (…增长-12.1%下同)、(8.6%)."""
    previous_end = state.last[0] if state.last and state.last[0] >= sentence_start else sentence_start
    measure = measure_of(text, match, previous_end, lead_start)
    if state.last and state.last[0] >= sentence_start and state.last[2] == match.unit \
            and LIST_SEPARATOR.fullmatch(text[state.last[0]:match.start]) \
            and measure.cue_start is None:
        return state.last[1]
    if measure.cue_start is None and match.unit in ("percent", "percentage_point") \
            and match.unit in state.measures:
        return state.measures[match.unit]
    return measure


def _figure_row(document: dict, passage: dict, match: Match, sentence: str, sentence_start: int,
                item: ListedItem | None, context: DocumentContext, state: PassageState,
                periods) -> dict:
    text = document["text"]
    clause_start = _clause_start(text, match.start)
    measure = _figure_measure(text, match, sentence_start, clause_start, state)
    found = (item.indicator if item else None) \
        or indicator_of(context.masked, match, measure, context.aliases, sentence_start)
    if found is None and match.unit != "count" \
            and not NAMED_SUBJECT.search(text, clause_start, match.start):
        found = state.indicator  # the subject is elided: 鄂尔多斯(650.80亿元…)
    if found and match.unit != "count":
        state.indicator = found
    indicator, subject = found if found else (None, None)
    limit = measure.cue_start if measure.cue_start is not None and measure.name in ("gap", "rank") \
        else match.start
    region = passage["region_code"]
    owner = (item.region if item else None) or owner_region(
        context.masked, sentence_start, match.start, limit, region, document["region_code"] or region)
    period = period_before(periods, match.start) or context.section.period
    phase = phase_of(text, match, measure.name, indicator, context.report_phase, clause_start)
    if period and phase in ("budget", "adjusted_budget"):
        period = Period(period.start.replace(month=1, day=1), period.end.replace(month=12, day=31))
    state.last = (match.end, measure, match.unit)
    state.measures[match.unit] = measure
    return {
        "figure_id": figure_id(document["document_id"], match.start, match.end),
        "document_id": document["document_id"],
        "page": passage["page"],
        "char_start": match.start,
        "char_end": match.end,
        "value_text": text[match.start:match.end],
        "value": measure.sign * match.value if match.value else match.value,
        "unit": match.unit,
        "measure": measure.name,
        "qualifier": match.qualifier,
        "indicator": indicator,
        "subject": subject,
        "region_code": owner,
        "period_start": period.start if period else None,
        "period_end": period.end if period else None,
        "benchmark_region_code": benchmark_of(measure.benchmark_words, owner),
        "rank_of": rank_of(match.scope) if match.unit == "rank" else None,
        "phase": phase,
        "quote": sentence.strip(),
        "rule": match.rule,
    }


SENTENCE_ENDS = re.compile("[！？!?\n" + FENCE + "]")


def _document_numbers(text: str, spans: list[tuple[int, int]]) -> list[Match]:
    """Every number of the document, found in one scan of a copy in which each sentence end
    and passage boundary reads 。, so that no match runs from one sentence into the next."""
    return find_figures(SENTENCE_ENDS.sub("。", fenced(text, spans)))


def _passage_figures(document: dict, passage: dict, context: DocumentContext,
                     candidates: list, numbers: list[Match], next_number: int) -> tuple[list[dict], int]:
    """The passage's figures rows, and the index of the first number after the passage."""
    offset = passage["char_start"]
    year = context.section.period.year if context.section.period else context.reference_year
    periods = period_mentions(candidates, document["text"], passage["char_end"], year)
    if context.section.period is None and periods:
        context.section.period = periods[0].period  # the section's lead sentence sets its period
    state = PassageState(context.section.indicator)
    rows = []
    for sentence in SENTENCE.finditer(passage["text"]):
        sentence_start, sentence_end = offset + sentence.start(), offset + sentence.end()
        spread = respectively(sentence.group(), context.aliases,
                              document["region_code"] or passage["region_code"])
        listed_from = sentence_start + sentence.group().find("分别")
        listed = 0  # figures after 分别 so far: the n-th takes the n-th listed item
        while next_number < len(numbers) and numbers[next_number].start < sentence_end:
            match = numbers[next_number]
            next_number += 1
            item = None
            if spread and match.start > listed_from:
                item = spread[listed] if listed < len(spread) else None
                listed += 1
            rows.append(_figure_row(document, passage, match, sentence.group(), sentence_start,
                                    item, context, state, periods))
    if passage["kind"] == "heading" or passage["text"].endswith(LEAD_ENDINGS):
        lead_alias = _nearest_alias(context.aliases.every, context.masked, passage["char_start"],
                                    passage["char_end"])
        context.section = Section(
            periods[-1].period if periods else context.section.period,
            (context.aliases.codes[lead_alias.group()], lead_alias.group()) if lead_alias
            else context.section.indicator)
    return rows, next_number


def extract_figures(document: dict, passages: list[dict]) -> list[dict]:
    """All figures of one document as figures rows, in reading order."""
    text = document["text"]
    context = DocumentContext(document["reference_year"], document_aliases(text),
                              report_phase(passages), _masked_subjects(text))
    spans = [(p["char_start"], p["char_end"]) for p in passages]
    numbers, next_number = _document_numbers(text, spans), 0
    rows, article = [], None
    for passage, candidates in zip(passages, period_candidates(text, spans)):
        if passage["article_no"] != article:
            article, context.section = passage["article_no"], Section()
        found, next_number = _passage_figures(document, passage, context, candidates, numbers,
                                              next_number)
        rows += found
    return rows
