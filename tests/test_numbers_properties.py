"""Property-based tests of number parsing: whatever the number, the value and unit come out right."""
from __future__ import annotations

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.numbers import chinese_number, find_figures

MONEY_UNITS = {"元": 1, "万元": 10**4, "亿元": 10**8, "万亿元": 10**12}


def one_figure(text: str):
    found = find_figures(text)
    assert len(found) == 1, (text, found)
    return found[0]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999), st.sampled_from(sorted(MONEY_UNITS)))
def test_arabic_and_chinese_numerals_give_the_same_money(number, unit):
    if unit != "元":
        number = number % 10_000 or 1  # before 万 or 亿 a number stays under 10,000 (三十二亿, not 三十二万万)
    arabic = one_figure(f"收入{number}{unit}，")
    chinese = one_figure(f"收入{cn2an.an2cn(number)}{unit}，")
    assert arabic.unit == chinese.unit == "CNY"
    assert arabic.value == chinese.value == pytest.approx(number * MONEY_UNITS[unit])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1000, max_value=10**9))
def test_thousands_separators_do_not_change_the_value(number):
    assert one_figure(f"支出{number:,}万元。").value == pytest.approx(number * 10**4)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value="0.01", max_value="999.99", places=2))
def test_percents_keep_the_value_as_written(rate):
    text = f"增长{rate}%，"
    figure = one_figure(text)
    assert (figure.unit, figure.value) == ("percent", pytest.approx(float(rate)))
    assert text[figure.start:figure.end] == f"{rate}%"
    assert one_figure(f"增长百分之{cn2an.an2cn(str(rate))}，").value == pytest.approx(float(rate))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**8))
def test_chinese_numerals_round_trip(number):
    assert chinese_number(cn2an.an2cn(number)) == number


@given(st.integers(min_value=1900, max_value=2099), st.integers(min_value=1, max_value=12))
def test_years_and_months_are_never_figures(year, month):
    assert find_figures(f"{year}年{month}月，全市召开会议。") == []
