"""Periods: the time span each figure covers, from the expressions in rules/periods.csv.

Expressions resolve against the year in force — an explicit year earlier in the paragraph, else the
section's, else the document's reference year — and carry forward: within a paragraph until the
next expression, and from a heading or a lead sentence (one ending with a colon) into the section
under it.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import cn2an

from flows.rules import rule_table

CUMULATIVE_WINDOW = 40  # characters after a bare month in which 累计 makes it cumulative


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def year(self) -> int:
        return self.end.year


@dataclass(frozen=True)
class PeriodMention:
    start: int
    end: int
    period: Period


def _months(year: int, first: int, last: int) -> Period | None:
    if not (1 <= first <= last <= 12):
        return None
    return Period(dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1]))


def _number(text: str) -> int:
    return int(text) if text.isdigit() else int(cn2an.cn2an(text, "smart"))


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [(r["kind"], re.compile(r["pattern"])) for r in rule_table("periods")]


def _masked(text: str) -> str:
    """The text with comparison phrases and dates blanked out (same length, so offsets hold)."""
    for kind, pattern in _patterns():
        if kind == "mask":
            text = pattern.sub(lambda m: "\0" * len(m.group()), text)
    return text


def _candidates(text: str) -> list[tuple[int, int, str, re.Match[str]]]:
    """Non-overlapping expressions, the earlier rules winning where two overlap."""
    taken: list[tuple[int, int, str, re.Match[str]]] = []
    masked = _masked(text)
    for kind, pattern in _patterns():
        if kind == "mask":
            continue
        for m in pattern.finditer(masked):
            if all(m.end() <= s or m.start() >= e for s, e, _, _ in taken):
                taken.append((m.start(), m.end(), kind, m))
    return sorted(taken, key=lambda t: t[0])


def _resolve(kind: str, m: re.Match[str], year: int, text: str) -> Period | None:
    groups = {k: v for k, v in m.groupdict().items() if v}
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
        month = int(groups["month"])
        cumulative = next(p for k, p in _patterns() if k == "cumulative")
        following = text[m.end():m.end() + CUMULATIVE_WINDOW].split("。")[0]
        return _months(year, 1 if cumulative.search(following) else month, month)
    if kind == "this_year":
        return _months(year, 1, 12)
    if kind == "last_year":
        return _months(year - 1, 1, 12)
    return None  # "cumulative" only modifies a month


def period_mentions(text: str, year: int | None) -> list[PeriodMention]:
    """Every period expression in a passage, resolved in reading order; an explicit year becomes
    the year in force for the expressions after it."""
    mentions = []
    for start, end, kind, m in _candidates(text):
        explicit = m.groupdict().get("year")
        if year is None and not explicit and kind not in ("year", "year_range"):
            continue
        period = _resolve(kind, m, year or 0, text)
        if period is None:
            continue
        mentions.append(PeriodMention(start, end, period))
        if kind in ("year", "month_range", "quarter", "first_half", "second_half", "as_of_month") \
                or explicit:
            year = period.year
    return mentions


def period_before(mentions: list[PeriodMention], offset: int) -> Period | None:
    """The period in force at an offset of the passage: the last expression ending before it."""
    before = [m.period for m in mentions if m.end <= offset]
    return before[-1] if before else None
