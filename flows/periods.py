"""Periods: the time span each figure covers, from the expressions in rules/periods.csv.

Expressions resolve against the year in force — an explicit year earlier in the paragraph, else the
section's, else the document's reference year — and carry forward: within a paragraph until the
next expression, and from a heading or a lead sentence (one ending with a colon) into the section
under it.
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import cn2an

from flows.rules import holds_any, required_words, rule_table



@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def year(self) -> int:
        return self.end.year


class PeriodMention(NamedTuple):  # a tuple: one per expression, cheap to build
    start: int
    end: int
    period: Period


@cache
def _months(year: int, first: int, last: int) -> Period | None:
    if not (1 <= first <= last <= 12):
        return None
    return Period(dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))


def _days(year: int, month1: int, day1: int, month2: int, day2: int) -> Period | None:
    try:
        period = Period(dt.date(year, month1, day1), dt.date(year, month2, day2))
    except ValueError:  # 2月30日
        return None
    return period if period.start <= period.end else None


@lru_cache(maxsize=256)  # 一 to 十二, mostly; cn2an takes some 30 µs a call
def _number(text: str) -> int:
    return int(text) if text.isdigit() else int(cn2an.cn2an(text, "smart"))


@cache
def _patterns() -> list[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    """Each rule's kind, pattern and the words one of which it needs."""
    return [(r["kind"], re.compile(r["pattern"]), required_words(r)) for r in rule_table("periods")]


@cache
def _cumulative() -> re.Pattern[str]:
    return next(pattern for kind, pattern, _ in _patterns() if kind == "cumulative")


@cache
def _span() -> re.Pattern[str]:
    return next(pattern for kind, pattern, _ in _patterns() if kind == "span")


def span_words() -> tuple[str, ...]:
    """The words one of which a text must hold for `spanning` to apply (rules.words_present)."""
    return next(requires for kind, _, requires in _patterns() if kind == "span")


def spanning(period: Period, mentions: list[PeriodMention], section: Period | None, text: str,
             start: int, end: int) -> Period:
    """A figure said over several years (年均增长8.3%, 五年累计…: a span cue between `start`, where
    its part of the sentence starts, and `end`, itself) covers the last span of years named before it, the
    section's included, rather than the single year in force."""
    if period.start.year < period.end.year or not _span().search(text, start, end):
        return period
    spans = [m.period for m in mentions if m.end <= end and m.period.start.year < m.period.end.year]
    if spans:
        return spans[-1]
    return section if section and section.start.year < section.end.year else period


FENCE = "\0"


def fenced(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with everything outside the spans (the passages) blanked, same length: patterns
    run over a whole document at once, yet none can match from one passage into the next."""
    parts, position = [], 0
    for start, end in spans:
        parts += [FENCE * (start - position), text[start:end]]
        position = end
    parts.append(FENCE * (len(text) - position))
    return "".join(parts)


def _masked(text: str, present: frozenset[str]) -> str:
    """The text with comparison phrases and dates blanked out (same length, so offsets hold)."""
    for kind, pattern, requires in _patterns():
        if kind == "mask" and holds_any(requires, present):
            text = pattern.sub(lambda m: FENCE * len(m.group()), text)
    return text


Candidate = tuple[int, int, str, re.Match[str]]


def period_candidates(text: str, spans: list[tuple[int, int]],
                      present: frozenset[str]) -> list[list[Candidate]]:
    """Each span's period expressions, non-overlapping, the earlier rules winning where two
    overlap; found in one scan of the document per rule (of those whose required words the
    text holds: `present`, from rules.words_present)."""
    masked = _masked(fenced(text, spans), present)
    starts: list[int] = []  # the taken expressions, kept sorted and disjoint
    taken: list[Candidate] = []
    for kind, pattern, requires in _patterns():
        if kind in ("mask", "cumulative", "span") or not holds_any(requires, present):
            continue  # masks were applied; 累计 names no period (see cumulative)
        for m in pattern.finditer(masked):
            index = bisect.bisect_left(starts, m.start())
            if (index and taken[index - 1][1] > m.start()) \
                    or (index < len(taken) and taken[index][0] < m.end()):
                continue  # overlaps an expression an earlier rule found
            starts.insert(index, m.start())
            taken.insert(index, (m.start(), m.end(), kind, m))
    return [taken[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]
            for start, end in spans]


def _resolve(kind: str, groups: dict[str, str], year: int) -> Period | None:
    """The period an expression names (its non-empty groups given), in the year in force."""
    year = int(groups.get("year") or groups.get("year2") or year)
    if kind == "year":
        return _months(year, 1, 12)
    if kind == "year_range":
        first, last = int(groups["year1"]), int(groups["year2"])
        return Period(dt.date(first, 1, 1), dt.date(last, 12, 31)) if first < last else None
    if kind == "as_of_year_end":
        return _months(year, 1, 12)
    if kind == "as_of_month":
        return _months(year, 1, int(groups["month"]))
    if kind == "as_of_day":
        return _days(year, 1, 1, int(groups["month"]), int(groups["day"]))
    if kind == "day_range":
        month1 = int(groups["month1"])
        return _days(year, month1, int(groups["day1"]), int(groups.get("month2", month1)),
                     int(groups["day2"]))
    if kind == "five_year_plan":  # the 3rd plan ran 1966–1970 and each later one five years on
        first = 1966 + 5 * (10 + _number(groups["plan"]) - 3)
        return Period(dt.date(first, 1, 1), dt.date(first + 4, 12, 31))
    if kind == "month_range":
        first = 1 if groups["month1"] == "元" else int(groups["month1"])
        return _months(year, first, int(groups["month2"]))
    if kind == "first_months":
        return _months(year, 1, _number(groups["months"]))
    if kind == "first_quarters":
        return _months(year, 1, 3 * _number(groups["quarter"]))
    if kind == "quarter":
        quarter = _number(groups["quarter"])
        return _months(year, 3 * quarter - 2, 3 * quarter)
    if kind == "first_half":
        return _months(year, 1, 6)
    if kind == "second_half":
        return _months(year, 7, 12)
    if kind == "month":
        return _months(year, int(groups["month"]), int(groups["month"]))
    if kind in ("this_year", "whole_year"):
        return _months(year, 1, 12)
    if kind == "last_year":
        return _months(year - 1, 1, 12)
    return None


def cumulative(period: Period, text: str, start: int, end: int) -> Period:
    """A month's figure with 累计 between the month (or its passage's start: `start`) and itself
    (`end`) covers Jan 1 to the month's end: 4月，收入累计完成120亿元，增长5%。其中… ; 3月份，
    当月完成10亿元，累计完成30亿元 (the 10亿元 is March's)."""
    first, last = period.start, period.end
    if first.month == last.month and first.month > 1 and first.year == last.year \
            and _cumulative().search(text, start, end):
        return Period(first.replace(month=1), last)
    return period


SAID_FROM_NOW = ("this_year", "last_year")  # 今年, 去年: from the time of writing
YEAR_KINDS = ("year", "this_year", "last_year", "whole_year")  # expressions naming a whole year


def period_mentions(candidates: list[Candidate], year: int | None,
                    reference_year: int | None = None) -> list[PeriodMention]:
    """A passage's period expressions (its candidates), resolved in reading order. `year` is
    the year in force (its section's, or the reference year); an explicit year becomes the year
    in force for the expressions after it. 今年 and 去年 count from the time of writing: the
    year the paragraph writes, else the reference year (义乌去年财政总收入… / 2023年… / 去年，全市…:
    both 去年 are 2023), while 全年, 1—5月, 上半年 take the year in force."""
    mentions, written = [], None
    for index, (start, end, kind, m) in enumerate(candidates):
        groups = {k: v for k, v in m.groupdict().items() if v}
        explicit = groups.get("year")
        base = (written or reference_year or year) if kind in SAID_FROM_NOW else year
        if base is None and not explicit and kind not in ("year", "year_range"):
            continue
        period = _resolve(kind, groups, base or 0)
        if period is None:
            continue
        if kind in YEAR_KINDS and index + 1 < len(candidates) and candidates[index + 1][0] == end:
            year = period.year  # 今年前三季度, 去年上半年: the year of the expression that follows
            continue
        if kind == "this_year" and mentions and start - mentions[-1].end <= 12 \
                and mentions[-1].period.year == period.year:
            continue  # 截至9月末，全省今年已发行…: 今年 only names the year of the span before it
        mentions.append(PeriodMention(start, end, period))
        if kind in ("year", "month_range", "quarter", "first_half", "second_half", "as_of_month") \
                or explicit:
            year = period.year
            if explicit or kind == "year":
                written = year
    return mentions


def mention_before(mentions: list[PeriodMention], offset: int) -> PeriodMention | None:
    """The expression in force at an offset of the document: the last one ending before it."""
    for mention in reversed(mentions):
        if mention.end <= offset:
            return mention
    return None
