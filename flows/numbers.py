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
from functools import cache
from typing import NamedTuple

import cn2an

from flows.rules import longest_first, rule_table

CJK_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
BARE_MONEY_MULTIPLIERS = {"亿", "万亿"}  # 收入2293亿: money even without 元
CN_DIGITS = "零〇一二两三四五六七八九十廿百千万亿点"
CN_LEADING = "零〇一二两三四五六七八九十廿百千"  # a Chinese number starts with one of these
ARABIC = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"


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


@cache
def _unit_rules() -> dict[str, dict[str, str]]:
    return {r["word"]: r for r in rule_table("units")}


@cache
def _qualifier_cues(position: str) -> tuple[tuple[str, str], ...]:
    rows = [r for r in rule_table("qualifiers") if r["position"] == position]
    return tuple(sorted(((r["cue"], r["qualifier"]) for r in rows), key=lambda c: -len(c[0])))


@cache
def _arabic_pattern() -> re.Pattern[str]:
    multipliers = "|".join(longest_first(list(_multipliers())))
    units = "|".join(re.escape(w) for w in longest_first(list(_unit_rules())))
    inside = "|".join(c for c, _ in _qualifier_cues("inside"))
    return re.compile(
        r"(?=[-−0-9])(?<![0-9A-Za-z.,第])(?P<sign>[-−](?=[0-9]))?"
        rf"(?P<number>{ARABIC})"
        rf"(?P<inside>{inside})?(?P<multiplier>{multipliers})?"
        rf"(?:(?<=亿)(?P<number2>{ARABIC})(?P<multiplier2>千万|万))?"  # 405亿9,629万
        rf"(?P<inside2>{inside})?(?P<unit>{units})?")


@cache
def _chinese_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    money_units = "万亿元|亿元|千万元|百万元|万元|元"
    before = rf"(?=[{CN_LEADING}])(?<![0-9.{CN_DIGITS}几数第上成每])"
    return (re.compile(rf"百分之(?P<cn>[{CN_DIGITS}]+)"),
            re.compile(rf"{before}(?P<cn>[{CN_LEADING}][{CN_DIGITS}．.]*)(?P<unit>{money_units}|万亿|亿)"))


@cache
def _qualifier_patterns() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str], int]:
    """Cue → qualifier, and one pattern each for the cues after and before a number (longest
    cue first, as one regex call is much cheaper than a call per cue)."""
    after = "|".join(re.escape(c) for c, _ in _qualifier_cues("after"))
    before = "|".join(re.escape(c) for c, _ in _qualifier_cues("before"))
    names = {c: n for position in ("before", "inside", "after") for c, n in _qualifier_cues(position)}
    longest = max(len(c) for c, _ in _qualifier_cues("before"))
    return names, re.compile(after), re.compile(f"(?:{before})\\Z"), longest


def qualifier(text: str, start: int, end: int, inside: str | None) -> str:
    """Qualifier from cues inside the number (180多条), after it (以上) or before it (超过)."""
    if inside:
        return dict(_qualifier_cues("inside"))[inside]
    names, after, before, longest = _qualifier_patterns()
    cue = after.match(text, end) or before.search(text, max(0, start - longest), start)
    return names[cue.group()] if cue else "exact"


def _bare_money_allowed(text: str, end: int) -> bool:
    """亿 without 元 is money when nothing else is counted after it (2293亿，/百亿以上)."""
    after = [c for c, _ in _qualifier_cues("after")] + ["的"]
    return not CJK_IDEOGRAPH.match(text, end) or any(text.startswith(c, end) for c in after)


def _scaled(number: str, factor: int) -> tuple[int, int]:
    """1,234.5 × 10000 as the exact fraction 123450000 / 10, in integers."""
    whole, _, decimals = number.replace(",", "").partition(".")
    return int(whole + decimals) * factor, 10 ** len(decimals)


def find_arabic(text: str) -> list[Match]:
    """Money, percents, percentage points and counts written with Arabic digits."""
    found = []
    for m in _arabic_pattern().finditer(text):
        multiplier, word, end = m.group("multiplier"), m.group("unit"), m.end()
        if word:
            rule = _unit_rules()[word]
            if not rule["unit"] or (rule["needs_multiplier"] == "yes" and not multiplier):
                continue
            unit = rule["unit"]
            if rule["in_value_text"] != "yes":
                end = m.start("unit")
        elif multiplier in BARE_MONEY_MULTIPLIERS and _bare_money_allowed(text, end):
            unit = "CNY"
        else:
            continue
        numerator, denominator = _scaled(m.group("number"), _multipliers().get(multiplier or "", 1))
        if m.group("number2"):  # 405亿9,629万: add the second part over a common denominator
            numerator2, denominator2 = _scaled(m.group("number2"), _multipliers()[m.group("multiplier2")])
            numerator, denominator = (numerator * denominator2 + numerator2 * denominator,
                                      denominator * denominator2)
        value = numerator / denominator  # int / int: correctly rounded, like float(Decimal)
        found.append(Match(m.start(), end, -value if m.group("sign") else value, unit,
                           qualifier(text, m.start(), end, m.group("inside") or m.group("inside2")),
                           f"{unit}_arabic"))
    return found


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
def _rank_pattern() -> re.Pattern[str]:
    return re.compile(next(r["pattern"] for r in rule_table("ranks") if r["kind"] == "rank"))


def find_ranks(text: str) -> list[Match]:
    """Ranks introduced by a ranking verb: 居全国第7位, 位居全国首位, 居全国36省市第一."""
    return [Match(m.start("value"), m.end("value"), _rank_value(m.group("value")), "rank",
                  "exact", "rank", m.group("scope"))
            for m in _rank_pattern().finditer(text)]


def find_figures(text: str) -> list[Match]:
    """Every figure in a sentence, in reading order, overlaps resolved in favour of the earlier
    and longer match."""
    chosen: list[Match] = []
    for match in sorted(find_arabic(text) + find_chinese(text) + find_ranks(text),
                        key=lambda m: (m.start, -(m.end - m.start))):
        if not chosen or match.start >= chosen[-1].end:
            chosen.append(match)
    return chosen
