"""Numbers with their units, as written: Arabic (4570.2亿元, 1,392,476万元, 405亿9,629万元, -12.1%),
Chinese (一万亿元, 两千三百亿, 百分之二十七点四三, 一七八〇．四〇亿元) and ranks (居全国第7位, 首位).

Unit words, multipliers and qualifier cues come from rules/units.csv, multipliers.csv,
qualifiers.csv and ranks.csv. Chinese numerals are converted with cn2an; counts written in
Chinese numerals (三个表率, 十大行动) are left out, as the annotation guide makes them optional
and most are names or slogans.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import cache, lru_cache
from typing import NamedTuple

import cn2an

from flows.rules import longest_first, rule_table

CJK_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
BARE_MONEY_MULTIPLIERS = {"亿", "万亿"}  # 收入2293亿: money even without 元
CN_DIGITS = "零〇一二两三四五六七八九十廿百千万亿点"
CN_LEADING = "零〇一二两三四五六七八九十廿百千"  # a Chinese number starts with one of these
ARABIC = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
ARABIC_AFTER_FIRST_DIGIT = r"[0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]*(?:\.[0-9]+)?"
NOT_BEFORE_NUMBER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,第"  # A3, 1.5, 第3
SIGNS = "-−"


class Match(NamedTuple):
    """A number found in the text, before its attributes are set (a tuple: thousands are made
    per document, and tuples are the cheapest to build)."""

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    rule: str
    scope: str = ""  # for ranks: the words between the rank cue and the position


@cache
def _multipliers() -> dict[str, int]:
    return {r["word"]: int(r["factor"]) for r in rule_table("multipliers")}


class UnitReading(NamedTuple):
    unit: str
    needs_multiplier: bool  # 市场主体 counts only in 万户市场主体
    in_value_text: bool  # 个百分点 is part of the figure's text; a counted noun is not
    rule: str


@cache
def _unit_readings() -> dict[str, UnitReading | None]:
    """Each unit word's reading, parsed once (None: a word that makes no figure)."""
    return {r["word"]: UnitReading(r["unit"], r["needs_multiplier"] == "yes",
                                   r["in_value_text"] == "yes", f"{r['unit']}_arabic")
            if r["unit"] else None for r in rule_table("units")}


@cache
def _qualifier_cues(position: str) -> tuple[tuple[str, str], ...]:
    rows = [r for r in rule_table("qualifiers") if r["position"] == position]
    return tuple(sorted(((r["cue"], r["qualifier"]) for r in rows), key=lambda c: -len(c[0])))


def _alternatives(words: list[str]) -> str:
    """Longest first, behind a lookahead on their first characters: where none can start (after
    most numbers), one set test fails them all instead of one test per word."""
    firsts = "".join(sorted({re.escape(w[0]) for w in words}))
    return f"(?=[{firsts}])(?:" + "|".join(re.escape(w) for w in longest_first(words)) + ")"


@cache
def _arabic_pattern() -> re.Pattern[str]:
    """An unsigned number with a unit word or a multiplier after it (a sign is read from the
    text before it). The pattern opens with a digit, not a lookaround, so that the regex engine
    skips ahead to the next digit in one fast scan; the check on the character before the
    number comes right after that digit."""
    multipliers = _alternatives(list(_multipliers()))
    units = _alternatives(list(_unit_readings()))
    inside = "|".join(c for c, _ in _qualifier_cues("inside"))
    return re.compile(
        rf"(?P<number>[0-9](?<![{re.escape(NOT_BEFORE_NUMBER)}].)(?>{ARABIC_AFTER_FIRST_DIGIT}))"
        rf"(?P<inside>{inside})?(?P<multiplier>{multipliers})?"
        rf"(?:(?<=亿)(?P<number2>{ARABIC})(?P<multiplier2>千万|万))?"  # 405亿9,629万
        rf"(?P<inside2>{inside})?(?P<unit>{units})?"
        r"(?(unit)|(?(multiplier)|(?!)))")  # neither: a year, a page, a bare number


@cache
def _chinese_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    money_units = "万亿元|亿元|千万元|百万元|万元|元"
    not_after = f"0-9.{CN_DIGITS}几数第上每"  # 3十亿, 几十亿, 第一百 (and 成百上千): no amount
    return (re.compile(rf"百分之(?P<cn>[{CN_DIGITS}]+)"),
            re.compile(rf"(?P<cn>[{CN_LEADING}](?<![{not_after}].)(?<!成[百千])[{CN_DIGITS}．.]*)(?P<unit>{money_units}|万亿|亿)"))


@cache
def _qualifier_edges() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Cue → qualifier; the cues after a number by their first character and the cues before
    it by their last, longest first: one dictionary lookup on the character next to the number
    rules out nearly every number (most have no cue)."""
    names, after, before = {}, {}, {}
    for position, by_edge, edge in (("after", after, 0), ("before", before, -1)):
        for cue, name in _qualifier_cues(position):  # longest first
            names[cue] = name
            by_edge[cue[edge]] = by_edge.get(cue[edge], ()) + (cue,)
    return names, after, before


def qualifier(text: str, start: int, end: int, inside: str | None) -> str:
    """Qualifier from cues inside the number (180多条), after it (以上) or before it (超过),
    the longest cue first."""
    if inside:
        return dict(_qualifier_cues("inside"))[inside]
    names, after, before = _qualifier_edges()
    for cue in after.get(text[end:end + 1], ()):
        if text.startswith(cue, end):
            return names[cue]
    for cue in before.get(text[start - 1:start] if start else "", ()):
        if text.endswith(cue, 0, start):
            return names[cue]
    return "exact"


def _bare_money_allowed(text: str, end: int) -> bool:
    """亿 without 元 is money when nothing else is counted after it (2293亿，/百亿以上)."""
    after = [c for c, _ in _qualifier_cues("after")] + ["的"]
    return not CJK_IDEOGRAPH.match(text, end) or any(text.startswith(c, end) for c in after)


def _scaled(number: str, factor: int) -> tuple[int, int]:
    """1,234.5 × 10000 as the exact fraction 123450000 / 10, in integers."""
    if number.isdigit():
        return int(number) * factor, 1
    whole, _, decimals = number.replace(",", "").partition(".")
    return int(whole + decimals) * factor, 10 ** len(decimals)


def _signed(text: str, start: int) -> bool:
    """A minus sign right before the number, itself not after a letter or digit (-12.1%)."""
    return start > 0 and text[start - 1] in SIGNS and (start < 2 or text[start - 2] not in NOT_BEFORE_NUMBER)


def find_arabic(text: str) -> list[Match]:
    """Money, percents, percentage points and counts written with Arabic digits."""
    found = []
    readings, multipliers = _unit_readings(), _multipliers()
    for m in _arabic_pattern().finditer(text):
        number, inside, multiplier, number2, multiplier2, inside2, word = m.groups()
        start, end = m.span()
        if word:
            reading = readings[word]
            if reading is None or (reading.needs_multiplier and not multiplier):
                continue
            unit, rule = reading.unit, reading.rule
            if not reading.in_value_text:
                end -= len(word)
        elif multiplier in BARE_MONEY_MULTIPLIERS and _bare_money_allowed(text, end):
            unit, rule = "CNY", "CNY_arabic"
        else:
            continue
        numerator, denominator = _scaled(number, multipliers[multiplier] if multiplier else 1)
        if number2:  # 405亿9,629万: add the second part over a common denominator
            numerator2, denominator2 = _scaled(number2, multipliers[multiplier2])
            numerator, denominator = (numerator * denominator2 + numerator2 * denominator,
                                      denominator * denominator2)
        value = numerator / denominator  # int / int: correctly rounded, like float(Decimal)
        if _signed(text, start):
            start, value = start - 1, -value
        found.append(Match(start, end, value, unit, qualifier(text, start, end, inside or inside2),
                           rule))
    return found


@lru_cache(maxsize=4096)  # numerals recur (一, 二十) and cn2an takes some 30 µs a call
def chinese_number(text: str) -> float:
    """一万亿 → 1e12, 百亿 → 1e10, 二十七点四三 → 27.43, 一七八〇．四〇 → 1780.4."""
    text = text.replace("．", "点").replace(".", "点")
    if text[0] in "百千":
        text = "一" + text
    return float(cn2an.cn2an(text, "smart"))


def _chinese_amount(numeral: str, unit_word: str) -> float | None:
    """Yuan in 三十二亿四千一百万 + 元, or in 一七八〇．四〇亿 + 元 (read as 一七八〇．四〇 × 亿)."""
    multiplier = _multipliers().get(unit_word.removesuffix("元"), Decimal(1))
    for word in ("", "万亿", "亿", "万"):
        if word and not numeral.endswith(word):
            continue
        try:
            number = chinese_number(numeral[:len(numeral) - len(word)])
        except (ValueError, KeyError, IndexError):
            continue
        return float(Decimal(str(number)) * _multipliers().get(word, Decimal(1)) * multiplier)
    return None


def find_chinese(text: str) -> list[Match]:
    """Money and percents written in Chinese numerals."""
    percent, money = _chinese_patterns()
    found = []
    for m in percent.finditer(text):
        try:
            found.append(Match(m.start(), m.end(), chinese_number(m.group("cn")), "percent",
                               qualifier(text, m.start(), m.end(), None), "percent_chinese"))
        except (ValueError, KeyError):
            continue
    for m in money.finditer(text):
        unit_word = m.group("unit")
        if unit_word in BARE_MONEY_MULTIPLIERS and not _bare_money_allowed(text, m.end()):
            continue
        value = _chinese_amount(m.group("cn"), unit_word)
        if value is not None:
            found.append(Match(m.start(), m.end(), value, "CNY",
                               qualifier(text, m.start(), m.end(), None), "CNY_chinese"))
    return found


def _rank_value(position: str) -> float:
    if position in ("首位", "榜首"):
        return 1.0
    digits = position.strip("第位名")
    return float(digits) if digits.isdigit() else chinese_number(digits)


@cache
def _rank_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r["pattern"]) for r in rule_table("ranks") if r["kind"] == "rank")


@cache
def rank_rule(kind: str) -> re.Pattern[str]:
    """The ranks.csv pattern of one of its single-row kinds (rank_of, rank_of_population,
    rank_field)."""
    return re.compile(next(r["pattern"] for r in rule_table("ranks") if r["kind"] == kind))


def find_ranks(text: str) -> list[Match]:
    """Ranks introduced by a ranking verb (居全国第7位, 位居全国首位, 居全国36省市第一) or listed
    after one (首位、全国第8位)."""
    return [Match(m.start("value"), m.end("value"), _rank_value(m.group("value")), "rank",
                  "exact", "rank", m.group("scope"))
            for pattern in _rank_patterns() for m in pattern.finditer(text)]


THRESHOLD_AFTER = "的及以"  # a threshold's number is followed by one of these (的县, 以上的, 及以上)
THRESHOLD_BEFORE = "过于破足在"  # or, counted before, preceded by its comparison's last character


@cache
def _threshold_patterns() -> dict[str, re.Pattern[str]]:
    return {r["side"]: re.compile(r["pattern"]) for r in rule_table("thresholds")}


def is_threshold(text: str, match: Match) -> bool:
    """A number that only sets a threshold for what is counted (收入超过10亿元的县达到46个, 增长10%
    以上的企业有300家, 有7个县收入超过10亿元): the annotation guide's example of a non-figure.
    After it: a comparison before the number or a bound after it, and 的 + what is counted;
    before it: 有 N个… or N个…均, then the comparison."""
    before = text[match.start - 1] if match.start else ""
    if before and before in THRESHOLD_BEFORE and _threshold_patterns()["counted_before"].search(
            text, max(0, match.start - 24), match.start):
        return True
    if not text[match.end:match.end + 1] or text[match.end] not in THRESHOLD_AFTER:
        return False
    patterns = _threshold_patterns()
    after = patterns["after"].match(text, match.end)
    return after is not None and (after.group("bound") is not None
                                  or patterns["before"].search(text, max(0, match.start - 3), match.start) is not None)


def find_figures(text: str) -> list[Match]:
    """Every figure in a sentence, in reading order, overlaps resolved in favour of the earlier
    and longer match; thresholds left out."""
    arabic, others = find_arabic(text), find_chinese(text) + find_ranks(text)
    if others:
        chosen: list[Match] = []
        for match in sorted(arabic + others, key=lambda m: (m.start, -(m.end - m.start))):
            if not chosen or match.start >= chosen[-1].end:
                chosen.append(match)
    else:
        chosen = arabic  # one regex's matches: already in order and apart
    return [match for match in chosen  # (a cheap look at the characters around it first)
            if not ((text[match.end:match.end + 1] in THRESHOLD_AFTER
                     or (match.start and text[match.start - 1] in THRESHOLD_BEFORE))
                    and is_threshold(text, match))]
