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
from typing import NamedTuple
from functools import cache, cached_property, lru_cache

from flows.codelists import NATION_CODE, read_codelist, region_mentions
from flows.numbers import Match, chinese_number, find_figures, rank_rule
from flows.periods import (FENCE, Period, cumulative, fenced, mention_before, period_candidates,
                           period_mentions, span_words, spanning)
from flows.rules import (WordSets, holds_any, longest_first, required_words, rule_table,
                         words_present)

SENTENCE_BREAK = re.compile(r"[。！？!?\n]")  # a sentence runs up to and with its end mark
LEAD_ENDINGS = ("：", ":")
MONEY_PHASE_GROUPS = {"revenue", "expenditure", "tax"}  # amounts collected or spent
OWNER_BLOCKERS = ("比", "较", "于", "占", "对", "居", "列", "在", "为")  # 比全省, 居全国, 在全国…中,
# 为全国平均水平的58.2%: a benchmark or a field
SENTENCE_OPENING = 6  # a region named this close to a segment's start owns its figures
SEGMENT_BREAK = re.compile("[；;]")  # a sentence's parts about different regions: 杭州市…；宁波市…


@dataclass
class Section:
    """What a heading or lead sentence says for the passages under it."""

    period: Period | None = None
    indicator: tuple[str, str] | None = None
    phase: str | None = None  # a heading's: 二、2024年预算草案 makes its amounts budget


# --- vocabulary ------------------------------------------------------------------------------

@cache
def _indicator_groups() -> dict[str, str]:
    return {r["code"]: r["group"] for r in read_codelist("indicators").to_pylist()}


@cache
def _wholes() -> dict[str, str]:
    """Indicator → the indicator it is a part of (rules/indicator_parts.csv)."""
    return {r["part"]: r["whole"] for r in rule_table("indicator_parts")}


@lru_cache(maxsize=1024)
def _part_of(part: str, whole: str) -> bool:
    """Whether one indicator is a part of another, directly or through others (契税 → 税收收入
    → 一般公共预算收入)."""
    while part in _wholes():
        part = _wholes()[part]
        if part == whole:
            return True
    return False


COUNT_GROUPS = {"program"}  # indicators that count things (项目, 措施, 市场主体)


@cache
def base_aliases() -> dict[str, str]:
    """Alias → indicator code, from the indicators codelist (first code wins)."""
    aliases: dict[str, str] = {}
    for row in read_codelist("indicators").to_pylist():
        for alias in row["aliases"].split("|"):
            aliases.setdefault(alias, row["code"])
    return aliases


@dataclass(frozen=True)
class Aliases:
    """A document's indicator aliases, compiled once: counts take counting indicators only,
    amounts and rates the others. `words` finds the three sets in one pass."""

    codes: dict[str, str]
    words: WordSets  # "every", "counting" and "other" aliases


@lru_cache(maxsize=64)  # bounded: a large corpus may define many abbreviations
def compile_aliases(definitions: tuple[tuple[str, str], ...] = ()) -> Aliases:
    codes = {**base_aliases(), **dict(definitions)}
    counting = [a for a, c in codes.items() if _indicator_groups().get(c) in COUNT_GROUPS]
    other = [a for a in codes if a not in set(counting)]
    return Aliases(codes, WordSets({"every": list(codes), "counting": counting, "other": other}))


@cache
def _compiled(table: str) -> tuple[tuple[dict[str, str], re.Pattern[str]], ...]:
    return tuple((row, re.compile(row["pattern"])) for row in rule_table(table))


@cache
def _cue_rules(table: str) -> tuple[tuple[dict[str, str], re.Pattern[str], frozenset[str],
                                         tuple[str, ...]], ...]:
    """A cue table's rows, patterns, the units each applies to (none listed: every unit) and
    the words one of which a text must hold for it to apply (none listed: always)."""
    return tuple((row, pattern, frozenset(row.get("units", "").split("|")) - {""},
                  required_words(row) if row.get("requires") else ())
                 for row, pattern in _compiled(table))


@cache
def _longest_aliases_first() -> list[str]:
    return longest_first(list(base_aliases()))


def document_aliases(text: str, present: frozenset[str]) -> Aliases:
    """The codelist's aliases plus the document's own abbreviations: 一般公共预算收入(以下简称
    财政收入) makes 财政收入 mean gpb_revenue in that document."""
    definitions = {}
    for row, pattern in _compiled("definitions"):
        if not holds_any(required_words(row), present):
            continue
        for m in pattern.finditer(text):
            term = next((a for a in _longest_aliases_first() if m.group("term").endswith(a)), None)
            if term:
                definitions[m.group("alias")] = base_aliases()[term]
    return compile_aliases(tuple(sorted(definitions.items())))


def report_phase(text: str) -> str | None:
    """The phase a report implies, from its title and opening passages."""
    for row, pattern in _compiled("report_kinds"):
        if pattern.search(text):
            return row["phase"]
    return None


def section_phase(heading: str) -> str | None:
    """The phase a heading gives its section (二、2024年预算草案), when it names one kind of
    report only (not a title naming 预算执行情况和…预算草案), of those marked for headings
    (一般公共预算收支情况 heads sections of final accounts as much as of execution reports)."""
    rows = [row for row, pattern in _compiled("report_kinds") if pattern.search(heading)]
    return rows[0]["phase"] if len(rows) == 1 and rows[0]["headings"] == "yes" else None


# --- what a document holds, found once ----------------------------------------------------

# a comma between digits (1,150,000万元) separates thousands, not clauses
CLAUSE_BREAK = re.compile(r"[，,；;：:。！？!?\n](?!(?<=[0-9],)[0-9]{3}(?![0-9]))")


def _masked_subjects(text: str, present: frozenset[str]) -> str:
    """Blank out phrases that name no subject (扣除留抵退税因素后, 按自然口径计算)."""
    for row, pattern in _compiled("subject_masks"):
        if holds_any(required_words(row), present):
            text = pattern.sub(lambda m: "\0" * len(m.group()), text)
    return text


class Words:
    """Words found in a text as (start, end, word), in reading order, bisectable by offset."""

    def __init__(self, found: list[tuple[int, int, str]]):
        self.found = found
        self.starts, self.ends, _ = map(list, zip(*found)) if found else ([], [], [])

    def last_within(self, start: int, end: int) -> str | None:
        """The last word lying within [start, end)."""
        last = self.last_before(end)
        return last[2] if last and last[0] >= start else None

    def last_before(self, end: int) -> tuple[int, int, str] | None:
        """The last word ending by `end`."""
        index = bisect.bisect_right(self.ends, end) - 1
        return self.found[index] if index >= 0 else None

    def first_within(self, start: int, end: int) -> str | None:
        """The first word lying within [start, end)."""
        index = bisect.bisect_left(self.starts, start)
        return self.found[index][2] if index < len(self.found) and self.ends[index] <= end else None


class Cue(NamedTuple):
    row: dict[str, str]
    start: int  # where the cue starts in the document
    match: re.Match[str]


class Cues:
    """Every match of a rule table's patterns in the given spans of a text, ordered by where it
    ends (the earlier rule first among matches ending together). The spans are cut out and
    joined by 。, which no cue spans, so that only they are scanned; offsets are the text's."""

    def __init__(self, table: str, text: str, spans: list[tuple[int, int]], present: frozenset[str]):
        pieces, piece_starts, position = [], [], 0
        for start, end in spans:
            pieces.append(text[start:end])
            piece_starts.append(position)
            position += end - start + 1
        joined, items = "。".join(pieces), []
        for index, (row, pattern, units, requires) in enumerate(_cue_rules(table)):
            if requires and not holds_any(requires, present):
                continue
            for m in pattern.finditer(joined):
                piece = bisect.bisect_right(piece_starts, m.start()) - 1
                shift = spans[piece][0] - piece_starts[piece]
                items.append((m.end() + shift, -index, m.start() + shift, row, m, units))
        self.items = sorted(items, key=lambda item: item[:3])
        self.ends = [item[0] for item in self.items]

    def last(self, lead_start: int, start: int, after: int, unit: str | None = None) -> Cue | None:
        """The rule whose pattern matches closest before `start`: inside [lead_start, start)
        and ending after `after`."""
        index = bisect.bisect_right(self.ends, start) - 1
        while index >= 0 and self.items[index][0] > after:
            _, _, cue_start, row, m, units = self.items[index]
            if cue_start >= lead_start and (not units or unit in units):
                return Cue(row, cue_start, m)
            index -= 1
        return None


class DocumentContext:
    """A document and what its figures look up, each found once per document (never shared
    between documents): clause breaks, cues, aliases and owners. What a heading or lead
    sentence says (`section`) changes as the passages are read."""

    def __init__(self, document: dict, passages: list[dict]):
        self.text: str = document["text"]
        self.reference_year: int | None = document["reference_year"]
        self.present = words_present(self.text)  # which rules can apply at all
        self.spans = holds_any(span_words(), self.present)  # 年均, 五年累计: periods.spanning
        self.aliases = document_aliases(self.text, self.present)
        self.report_phase = report_phase("\n".join(p["text"] for p in passages[:6]))
        self.masked = _masked_subjects(self.text, self.present)  # non-subject phrases blanked
        self.clause_breaks = [m.start() for m in CLAUSE_BREAK.finditer(self.text)]
        self.sentence_breaks = [m.start() for m in SENTENCE_BREAK.finditer(self.text)]
        self.segment_breaks = [m.start() for m in SEGMENT_BREAK.finditer(self.text)]
        self.numbers = _document_numbers(self.text, [(p["char_start"], p["char_end"]) for p in passages])
        self.section = Section()
        self.last_period: Period | None = None  # the last period the previous passage named
        self.id_hash = hashlib.sha256(f"{document['document_id']}:".encode())  # see figure_id
        self._owners: dict[str | None, Words] = {}

    def clause_start(self, position: int) -> int:
        index = bisect.bisect_left(self.clause_breaks, position)
        return self.clause_breaks[index - 1] + 1 if index else 0

    def sentence_at(self, position: int, first: int, last: int) -> tuple[int, int]:
        """Start and end of the sentence holding a position, within [first, last) (a passage):
        the end mark belongs to the sentence, a line break does not."""
        breaks, index = self.sentence_breaks, bisect.bisect_left(self.sentence_breaks, position)
        start = breaks[index - 1] + 1 if index else 0
        end = breaks[index] + (self.text[breaks[index]] != "\n") if index < len(breaks) else len(self.text)
        return max(first, start), min(last, end)

    def segment_start(self, position: int, sentence_start: int) -> int:
        """Where the part of a sentence holding a position starts: after a ； or at the sentence."""
        index = bisect.bisect_left(self.segment_breaks, position)
        return max(sentence_start, self.segment_breaks[index - 1] + 1) if index else sentence_start

    def clause_end(self, position: int) -> int:
        index = bisect.bisect_left(self.clause_breaks, position)
        return self.clause_breaks[index] if index < len(self.clause_breaks) else len(self.text)

    @cached_property
    def figure_clauses(self) -> list[tuple[int, int]]:
        """Each clause that holds figures, from its start to its last figure's end: a
        figure's measure and phase cues lie there, in its clause before it."""
        spans: list[tuple[int, int]] = []
        for number in self.numbers:
            start = self.clause_start(number.start)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], number.end))
            else:
                spans.append((start, number.end))
        return spans

    @cached_property
    def measure_cues(self) -> Cues:
        return Cues("measures", self.text, self.figure_clauses, self.present)

    @cached_property
    def phase_cues(self) -> Cues:
        return Cues("phases", self.text, self.figure_clauses, self.present)

    @cached_property
    def words(self) -> dict[str, list[tuple[int, int, str]]]:
        """Aliases of each set in the masked text (Aliases.words)."""
        return self.aliases.words.find(self.masked)

    @cached_property
    def every_alias(self) -> Words:
        return Words(self.words["every"])

    @cached_property
    def counting_alias(self) -> Words:
        """Aliases of counting indicators: what a count counts."""
        return Words(self.words["counting"])

    @cached_property
    def other_alias(self) -> Words:
        """Aliases of the other indicators: what an amount or a rate measures."""
        return Words(self.words["other"])

    def owners(self, within: str | None) -> Words:
        """Every owner the text names — scope words (全国, 全省) as "scope:" + their rule's
        scope, regions as codes. Names right after 比/较/于/居 are benchmarks and left out."""
        if within not in self._owners:
            text = self.masked
            found = [(m.start(), m.end(), "scope:" + row["owner"])
                     for row in rule_table("owners") for m in re.finditer(row["word"], text)]
            found += region_mentions(text, within)
            self._owners[within] = Words(sorted(
                f for f in found if not text[max(0, f[0] - 2):f[0]].endswith(OWNER_BLOCKERS)))
        return self._owners[within]


# --- attributes ------------------------------------------------------------------------------

class Measure(NamedTuple):
    name: str
    sign: int
    benchmark_words: str | None
    cue_start: int | None


UNCUED_MEASURES = {"percent": Measure("share", 1, None, None),  # a bare percentage is a share
                   "percentage_point": Measure("change", 1, None, None)}
LEVEL = Measure("level", 1, None, None)  # any other figure without a cue


@cache
def _trailing_cues() -> tuple[tuple[re.Pattern[str], Measure, frozenset[str]], ...]:
    return tuple((re.compile(r["pattern"]), Measure(r["measure"], int(r["sign"]), None, None),
                  frozenset(r["units"].split("|"))) for r in rule_table("trailing_measures"))


def _trailing_measure(text: str, match: Match) -> Measure | None:
    """A cue right after the number (以21.4%的增速领跑), for a number with none before it."""
    for pattern, measure, units in _trailing_cues():
        if match.unit in units and pattern.match(text, match.end):
            return measure
    return None


def measure_of(context: DocumentContext, match: Match, previous_end: int, lead_start: int) -> Measure:
    """Measure and sign from the closest cue in the clause (from lead_start) before the number."""
    if match.unit == "rank":
        return Measure("rank", 1, match.scope, match.start - len(match.scope) - 1)
    text = context.text
    cue = context.measure_cues.last(lead_start, match.start, max(previous_end, lead_start) - 1,
                                    match.unit)
    if cue is None:
        return _trailing_measure(text, match) or UNCUED_MEASURES.get(match.unit, LEVEL)
    row, cue_start, m = cue
    if row["sign"] == "direction":
        sign = -1 if m.group("direction").startswith(("低", "慢", "落后", "少")) else 1
        return Measure(row["measure"], sign, m.group("benchmark"), cue_start)
    if row["measure"] == "share" and "占" in text[lead_start:cue_start]:
        return Measure("share", 1, None, text.find("占", lead_start))  # 占 names the part before it
    return Measure(row["measure"], int(row["sign"]), None, cue_start)


@cache
def _scope_codes(region_code: str | None) -> dict[str, str | None]:
    province = region_code[:2] + "0000" if region_code else None
    return {"nation": NATION_CODE, "province": province,
            "prefecture": region_code[:4] + "00" if region_code else None,
            "autonomous_region": province if province in _autonomous_regions()
            and region_code.endswith("00") else region_code}


@cache
def _autonomous_regions() -> frozenset[str]:
    return frozenset(r["code"] for r in read_codelist("regions").to_pylist()
                     if r["level"] == "province" and r["name"].endswith("自治区"))


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


def stated_field(text: str, clause_start: int, start: int) -> str | None:
    """The field a rank's clause names before it (在全国百强县中排名第5位: 全国百强县)."""
    fields = list(rank_rule("rank_field").finditer(text, clause_start, start))
    return fields[-1]["field"] if fields else None


def rank_field(region_code: str | None) -> str | None:
    """Where a rank names no field (遥居榜首), a city is ranked among its province's and a
    province among the nation's; a county's field (its city, its province, 中心城区) is left
    open."""
    if not region_code or region_code == NATION_CODE or not region_code.endswith("00"):
        return None
    return _scope_codes(region_code)["nation" if region_code.endswith("0000") else "province"]


def compared_pair(text: str, within: str | None) -> tuple[str, str] | None:
    """The two regions a difference compares when the sentence before it names exactly two
    (锡林郭勒与赤峰…，两者相差7.11亿元: the first's figure, the second as benchmark)."""
    codes = list(dict.fromkeys(code for _, _, code in region_mentions(text, within)))
    return (codes[0], codes[1]) if len(codes) == 2 else None


def rank_of(scope: str, before: str) -> int | None:
    """How many were ranked: in the rank's scope (居全国36省市第一), else a population named
    earlier in its sentence (`before`: 浙江11个设区市中，…居全省首位)."""
    m = rank_rule("rank_of").search(scope)
    if m:
        return int(chinese_number(m.group("count")))
    populations = list(rank_rule("rank_of_population").finditer(before))
    return int(chinese_number(populations[-1]["count"])) if populations else None


def _last_owner(owners: Words, first: int, last: int, limit: int, default: str | None) -> str | None:
    """The code of the last owner named starting in [first, last) and ending by limit."""
    found, index = owners.found, bisect.bisect_left(owners.starts, last) - 1
    while index >= 0 and found[index][0] >= first:
        _, end, owner = found[index]
        if end <= limit:
            code = _scope_codes(default)[owner[6:]] if owner.startswith("scope:") else owner
            if code:
                return code
        index -= 1
    return None


def named_owner(context: DocumentContext, segment_start: int, clause_start: int, limit: int,
                default: str | None, within: str | None, previous: str | None) -> str | None:
    """The owner the text names for a figure (全国, 全省, a named city), which overrides the
    article's region: in the figure's clause; else the one named for the segment's previous
    figure (杭州市收入2615.9亿元，增长7.9%，居全省首位); else one opening the segment, the
    sentence or its part after ； (鄂尔多斯的…，…达到725.50亿元). Names after 比/较/高于/居 are
    benchmarks, not owners."""
    owners = context.owners(within)
    return (_last_owner(owners, clause_start, limit, limit, default)
            or previous
            or _last_owner(owners, segment_start, min(limit, segment_start + SENTENCE_OPENING + 1),
                           limit, default))


def phase_of(context: DocumentContext, match: Match, measure: str, indicator: str | None,
             lead_start: int) -> str | None:
    """A cue in the clause (from lead_start); else the section's phase, from its heading; else
    the report's; else execution for amounts collected or spent. Percentages keep phase blank."""
    if match.unit != "CNY" or measure not in ("level", "change"):
        return None
    cue = context.phase_cues.last(lead_start, match.start, lead_start - 1)
    if cue:
        return cue.row["phase"]
    if context.section.phase or context.report_phase:
        return context.section.phase or context.report_phase
    if measure == "level" and _indicator_groups().get(indicator or "") in MONEY_PHASE_GROUPS:
        return "execution"
    return None


@dataclass(frozen=True)
class ListedItem:
    """One item listed before 分别: its indicator and its region, where it names them."""

    indicator: tuple[str, str] | None
    region: str | None


CONJUNCTION = re.compile(r"以及|和|与|及")


def listed_items(lead: str, count: int) -> list[str]:
    """The items of a list of `count` values: A和B, or A、B、C和D, where the last conjunction
    joins the last two items only if the values need it (文化体育与传媒、社会保障和就业 are
    single items)."""
    if "、" not in lead:
        return [item for item in CONJUNCTION.split(lead) if item]
    items = [item for item in lead.split("、") if item]
    joins = list(CONJUNCTION.finditer(items[-1])) if items else []
    if len(items) < count and joins:
        last, join = items.pop(), joins[-1]
        items += [last[:join.start()], last[join.end():]]
    return items


def _shared_head(items: list[str]) -> list[str]:
    """Items before a shared head noun take it: 教育、农林水等支出 → 教育支出, 农林水支出."""
    head = next((word for word in _generic_subjects() if items and items[-1].endswith(word)), None)
    if head is None or len(items) < 2:
        return items
    return [item.removesuffix(head).removesuffix("等") + head for item in items]


def respectively(text: str, position: int, aliases: Aliases, within: str | None,
                 count: int) -> list[ListedItem]:
    """Items listed before the 分别 at `position`, one per value after it (收入和支出分别增长A%、B%;
    锡林郭勒与赤峰…分别为A和B; 教育、农林水等支出分别增长A%、B%): the last `count` regions named
    before it (they may be named a clause earlier), else the indicators of its clause, else
    the last `count` indicators named before it in the sentence. An item that shortens the one
    before it (支出 after 一般公共预算收入) is completed from it."""
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(text, 0, position)]
    lead = text[breaks[-1] if breaks else 0:position]
    regions = region_mentions(text[:position], within)
    if len(regions) >= 2:
        return [ListedItem(None, code) for _, _, code in regions[-count:] if count >= 2] \
            or [ListedItem(None, code) for _, _, code in regions]
    codes = aliases.codes
    items: list[ListedItem] = []
    for item in _shared_head(listed_items(lead, count)):
        found = aliases.words.find(item)["every"]
        previous = items[-1].indicator[1] if items and items[-1].indicator else None
        completed = previous[:-len(item)] + item if previous and len(previous) > len(item) else None
        if found:
            items.append(ListedItem((codes[found[-1][2]], found[-1][2]), None))
        else:
            items.append(ListedItem((codes[completed], item) if completed in codes else None, None))
    if count >= 2 and not any(item.indicator for item in items):  # 教育支出12.06亿元、…、卫生健
        named = aliases.words.find(text[:position])["other"]  # 康支出4.87亿元，分别增长A%、B%和C%
        if len(named) >= count:
            return [ListedItem((codes[word], word), None) for _, _, word in named[-count:]]
    return items


def indicator_of(context: DocumentContext, match: Match, measure: Measure, clause_start: int,
                 sentence_start: int, previous: tuple[str, str] | None, previous_end: int,
                 generic: str | None) -> tuple[str, str] | None:
    """The nearest indicator alias (in the text with non-subject phrases blanked): for a
    share, the one before 占; for a count, the noun after it; else the one before the number in
    its clause; in a clause naming none, one named since the sentence's previous figure (在教育
    方面，投入资金7.62亿元), else that figure's indicator (税收收入占公共财政收入比重为83%，
    居全省第3位: the rank is the share's), for a share the part
    named before an earlier 占 (税收收入仍占财政收入的主体，占比为88%), else the alias before the
    number in the sentence."""
    codes = context.aliases.codes
    if match.unit == "count":
        aliases = context.counting_alias
        after = aliases.first_within(match.end, context.clause_end(match.end))
        if after:
            return codes[after], after
    else:
        aliases = context.other_alias
    end = measure.cue_start if measure.name == "share" and measure.cue_start is not None else match.start
    nearest = aliases.last_before(end)
    if nearest and nearest[0] >= clause_start:
        return codes[nearest[2]], nearest[2]
    if generic:
        return None  # a clause opening with 收入 or 支出 refers back to its kind (_figure_row)
    if previous and match.unit != "count":
        return (codes[nearest[2]], nearest[2]) if nearest and nearest[0] >= previous_end else previous
    if measure.name == "share":  # A占B earlier in the sentence: A is the part
        part_end = context.text.rfind("占", sentence_start, end)
        part = aliases.last_within(sentence_start, part_end) if part_end >= 0 else None
        if part:
            return codes[part], part
    return (codes[nearest[2]], nearest[2]) if nearest and nearest[0] >= sentence_start else None


def figure_id(document_hash: "hashlib._Hash", start: int, end: int) -> str:
    """sha256 of "document_id:start:end", from a hash already fed "document_id:" (copying it is
    cheaper than hashing the id again for each figure)."""
    digest = document_hash.copy()
    digest.update(b"%d:%d" % (start, end))
    return digest.hexdigest()[:16]


# --- the document ----------------------------------------------------------------------------

CONTINUATIONS = ("其中", "此外", "同时")  # a paragraph opening so goes on from the one before
LIST_MARKERS = re.compile("分别|依次|分列|分居")  # 柳州、桂林…分列第二、第三位; 郑州、西安依次为…
LIST_SEPARATOR = re.compile(r"[\s、和及与,，]*")
NAMED_SUBJECT = re.compile(r"收入|支出|税|资金|债|补助|投入")  # a clause naming its own subject


@cache
def _generic_subjects() -> dict[str, str]:
    """Word → the indicator group it stands for."""
    return {r["word"]: r["group"] for r in rule_table("generic_subjects")}


@cache
def _generic_words() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, _generic_subjects())))


@cache
def _generic_openings() -> re.Pattern[str]:
    """A clause opening with a generic subject word, after what may precede it."""
    return re.compile("|".join(f"(?P<g{i}>{r['opening']}{re.escape(r['word'])})"
                               for i, r in enumerate(rule_table("generic_subjects"))))


def generic_subject(text: str, clause_start: int) -> str | None:
    """The indicator group a clause opening with a bare 收入 or 支出 refers back to."""
    if not _generic_words().search(text, clause_start, clause_start + 24):
        return None  # no such word near the clause's start: no need for the opening patterns
    m = _generic_openings().match(text, clause_start)
    return rule_table("generic_subjects")[int(m.lastgroup[1:])]["group"] if m else None


@dataclass
class PassageState:
    """What earlier figures of the passage leave for later ones."""

    indicator: tuple[str, str] | None
    by_group: dict[str, tuple[str, str]] = field(default_factory=dict)  # last indicator per group
    measures: dict[str, Measure] = field(default_factory=dict)  # last measure per unit
    last: tuple[int, Measure, str, tuple[str, str] | None] | None = None  # the previous figure's
    # end, measure, unit and indicator
    owner: tuple[int, str] | None = None  # the segment start and code of the last owner named
    period: Period | None = None  # the period the passage opens in: its section's, or the one
    # the paragraph before ended in when this one goes on from it (其中，…)


def _figure_measure(context: DocumentContext, match: Match, sentence_start: int, lead_start: int,
                    state: PassageState) -> Measure:
    """The cue's measure; a figure listed right after another (A%、B%) shares its measure; a
    rate with no cue continues the passage's last rate of its unit (…增长-12.1%下同)、(8.6%)."""
    previous_end = state.last[0] if state.last and state.last[0] >= sentence_start else sentence_start
    measure = measure_of(context, match, previous_end, lead_start)
    if state.last and state.last[0] >= sentence_start and state.last[2] == match.unit \
            and LIST_SEPARATOR.fullmatch(context.text, state.last[0], match.start) \
            and measure.cue_start is None:
        return state.last[1]
    if measure.cue_start is None and match.unit in ("percent", "percentage_point") \
            and match.unit in state.measures:
        return state.measures[match.unit]
    return measure


def _figure_row(document: dict, passage: dict, match: Match, quote: str, sentence_start: int,
                item: ListedItem | None, context: DocumentContext, state: PassageState,
                periods) -> dict:
    start, end, value, unit, qualifier, rule, scope = match
    text, clause_start = context.text, context.clause_start(start)
    measure = _figure_measure(context, match, sentence_start, clause_start, state)
    name, sign, benchmark_words, cue_start = measure
    last = state.last  # the sentence's previous figure, for a clause naming no subject
    previous = last[3] if last and last[0] >= sentence_start and last[2] != "count" \
        and not item else None
    generic = generic_subject(text, clause_start) if unit != "count" else None  # 收入增幅…
    found = (item.indicator if item else None) \
        or indicator_of(context, match, measure, clause_start, sentence_start, previous,
                        last[0] if previous else sentence_start, generic)
    if found is None and unit != "count":
        if generic:  # 收入增幅…: names its kind of subject, the passage's last of that kind
            found = state.by_group.get(generic)
        elif not NAMED_SUBJECT.search(context.masked, clause_start, start):  # (扣除留抵退税…后)
            found = state.indicator  # the subject is elided: 鄂尔多斯(650.80亿元…)
    if found and unit != "count" and not (item and item.indicator):  # a listed item is no subject to carry on
        state.indicator = found
        group = _indicator_groups().get(found[0])
        if group not in state.by_group or not _part_of(found[0], state.by_group[group][0]):
            state.by_group[group] = found  # (a part, 其中税收…, leaves its whole for 收入)
    indicator, subject = found if found else (None, None)
    limit = cue_start if cue_start is not None and name in ("gap", "rank") else start
    region = passage["region_code"]
    within = document["region_code"] or region
    segment_start = context.segment_start(clause_start, sentence_start)
    previous_owner = state.owner[1] if state.owner and state.owner[0] == segment_start else None
    named = named_owner(context, segment_start, clause_start, limit, region, within, previous_owner)
    named_here = named is not None and named != previous_owner
    if named and not (item and item.region):  # a listed region holds for its item only
        state.owner = (segment_start, named)
    owner = (item.region if item else None) or named or region
    benchmark = benchmark_of(benchmark_words, owner)
    if name == "gap" and not benchmark_words:  # 锡林郭勒与赤峰…，两者相差7.11亿元
        owner, benchmark = compared_pair(text[sentence_start:start], within) or (owner, benchmark)
    if unit == "rank" and benchmark is None:  # 在佛山五区中排名第二; else the usual field
        benchmark = benchmark_of(stated_field(text, clause_start, start), owner) or rank_field(owner)
    if unit == "rank" and owner == benchmark and not named_here:  # carried from 全省90个县: a region
        owner = region  # is not ranked within itself
    mention = mention_before(periods, start)
    period = mention.period if mention else state.period
    if period:
        period = cumulative(period, text, mention.end if mention else passage["char_start"], start)
        if context.spans:
            period = spanning(period, periods, context.section.period, text, segment_start, start)
    phase = phase_of(context, match, name, indicator, clause_start)
    if period and phase in ("budget", "adjusted_budget"):
        period = Period(period.start.replace(month=1, day=1), period.end.replace(month=12, day=31))
    state.last = (end, measure, unit, found)
    state.measures[unit] = measure
    return {
        "figure_id": figure_id(context.id_hash, start, end),
        "document_id": document["document_id"],
        "page": passage["page"],
        "char_start": start,
        "char_end": end,
        "value_text": text[start:end],
        "value": sign * value if value else value,
        "unit": unit,
        "measure": name,
        "qualifier": qualifier,
        "indicator": indicator,
        "subject": subject,
        "region_code": owner,
        "period_start": period.start if period else None,
        "period_end": period.end if period else None,
        "benchmark_region_code": benchmark,
        "rank_of": rank_of(scope, text[sentence_start:start]) if unit == "rank" else None,
        "phase": phase,
        "quote": quote,
        "rule": rule,
    }


SENTENCE_ENDS = re.compile("[！？!?\n" + FENCE + "]")


def _document_numbers(text: str, spans: list[tuple[int, int]]) -> list[Match]:
    """Every number of the document, found in one scan of a copy in which each sentence end
    and passage boundary reads 。, so that no match runs from one sentence into the next."""
    return find_figures(SENTENCE_ENDS.sub("。", fenced(text, spans)))


def _values_listed(text: str, numbers: list[Match], index: int, start: int, end: int) -> int:
    """How many numbers (from `index` on) are listed after `start` and before `end`: the first
    and those joined to it by 、 or 和 (分别增长6.2%、11.5%和3.8%；农林水支出… lists three)."""
    while index < len(numbers) and numbers[index].start <= start:
        index += 1
    count, previous_end = 0, None
    while index < len(numbers) and numbers[index].start < end:
        if previous_end is not None and not LIST_SEPARATOR.fullmatch(text, previous_end,
                                                                     numbers[index].start):
            break
        count, previous_end = count + 1, numbers[index].end
        index += 1
    return count


def _lists(text: str, offset: int, end: int, aliases: Aliases, within: str | None,
           numbers: list[Match], index: int) -> list[tuple[int, list[ListedItem]]]:
    """Each 分别 of the sentence text[offset:end] with the items listed before it, its values
    listed after it (…分别达到A、B亿元，分别增长C%、D%). A 分别 whose clause lists nothing takes
    the previous one's items."""
    sentence = text[offset:end]
    positions = [m.start() for m in LIST_MARKERS.finditer(sentence)]
    lists: list[tuple[int, list[ListedItem]]] = []
    for position, following in zip(positions, positions[1:] + [len(sentence)]):
        count = _values_listed(text, numbers, index, offset + position, offset + following)
        items = respectively(sentence, position, aliases, within, count)
        lists.append((offset + position, items or (lists[-1][1] if lists else [])))
    return lists


def _broken_down(rows: list[dict], first: int, text: str, sentence_end: int) -> None:
    """The sentence's figures (rows from `first` on) take the indicator its next sentence's
    breakdown implies (rules/breakdowns.csv): …收入完成224.2亿元。其中：中央… makes the 224.2亿元
    a total. The nation's revenue is central plus local by definition, and stays as named."""
    for row, pattern in _compiled("breakdowns"):
        if pattern.match(text, sentence_end):
            parts_of = row["parts_of"].split("|")
            for figure in rows[first:]:
                if figure["indicator"] in parts_of and figure["region_code"] != NATION_CODE:
                    figure["indicator"] = row["indicator"]


def _passage_figures(document: dict, passage: dict, context: DocumentContext,
                     candidates: list, numbers: list[Match], next_number: int) -> tuple[list[dict], int]:
    """The passage's figures rows, and the index of the first number after the passage."""
    offset, passage_end = passage["char_start"], passage["char_end"]
    holds_figures = next_number < len(numbers) and numbers[next_number].start < passage_end
    leads = passage["kind"] == "heading" or passage["text"].endswith(LEAD_ENDINGS)
    if not (holds_figures or leads) and context.section.period is not None:
        return [], next_number  # nothing here can change a figure's attributes
    year = context.section.period.year if context.section.period else context.reference_year
    periods = period_mentions(candidates, year, context.reference_year) if candidates else []
    if context.section.period is None and periods:
        # the section's lead sentence sets its period, cumulative if the report says 累计 after
        # it (关于2023年5月份财政收支情况的通报 … 累计完成: figures from January); a span that
        # starts later (今年二季度…) holds for its own paragraph, the section keeps its year
        first = cumulative(periods[0].period, context.text, periods[0].end, len(context.text))
        context.section.period = first if (first.start.month, first.start.day) == (1, 1) \
            else Period(first.start.replace(month=1, day=1), first.end.replace(month=12, day=31))
    carried = context.section.indicator
    state = PassageState(carried, {_indicator_groups().get(carried[0]): carried} if carried else {},
                         period=context.last_period if passage["text"].startswith(CONTINUATIONS)
                         and context.last_period else context.section.period)
    rows = []
    while next_number < len(numbers) and numbers[next_number].start < passage_end:
        sentence_start, sentence_end = context.sentence_at(numbers[next_number].start, offset,
                                                           passage_end)
        sentence = context.text[sentence_start:sentence_end]
        lists = _lists(context.text, sentence_start, sentence_end, context.aliases,
                       document["region_code"] or passage["region_code"], numbers, next_number) \
            if LIST_MARKERS.search(sentence) else []
        spread: list[ListedItem] = []
        listed = 0  # figures after the last 分别 so far: the n-th takes the n-th listed item
        quote = sentence.strip()
        first_row = len(rows)
        while next_number < len(numbers) and numbers[next_number].start < sentence_end:
            match = numbers[next_number]
            next_number += 1
            while lists and match.start > lists[0][0]:  # past a 分别: its list starts
                spread, listed = lists.pop(0)[1], 0
            item = None
            if spread:
                item = spread[listed] if listed < len(spread) else None
                listed += 1
            rows.append(_figure_row(document, passage, match, quote, sentence_start,
                                    item, context, state, periods))
        _broken_down(rows, first_row, context.text, sentence_end)
    context.last_period = periods[-1].period if periods else state.period
    if leads:
        lead_alias = context.every_alias.last_within(passage["char_start"], passage["char_end"])
        # a heading's first period (2023年…执行情况和2024年…草案 opens on 2023); a lead
        # sentence's last, the one just before its colon
        opening = (periods[0] if passage["kind"] == "heading" else periods[-1]) if periods else None
        context.section = Section(
            cumulative(opening.period, context.text, opening.end, len(context.text)) if opening
            else context.section.period,
            (context.aliases.codes[lead_alias], lead_alias) if lead_alias
            else context.section.indicator,
            (section_phase(passage["text"]) if passage["kind"] == "heading" else None)
            or context.section.phase)
    return rows, next_number


def extract_figures(document: dict, passages: list[dict]) -> list[dict]:
    """All figures of one document as figures rows, in reading order."""
    text = document["text"]
    context = DocumentContext(document, passages)
    spans = [(p["char_start"], p["char_end"]) for p in passages]
    numbers, next_number = context.numbers, 0
    rows, article = [], None
    for passage, candidates in zip(passages, period_candidates(text, spans, context.present)):
        if passage["article_no"] != article:
            article, context.section = passage["article_no"], Section()
        found, next_number = _passage_figures(document, passage, context, candidates, numbers,
                                              next_number)
        rows += found
    return rows
