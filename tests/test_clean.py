"""Cleaning PDF-style text: rejoined lines, dropped spaces, kept meaning."""
from __future__ import annotations

from flows.clean import clean_text, drop_meaningless_spaces, reference_year

HARD_WRAPPED = """\
2023 年 全 县 一 般 公 共 预 算 收 入

完成 12.6 亿元，同比增长 5.1%，其中

税收收入 9.8 亿元。

统筹资金保障重点项目建设，新增债券 36

亿元，运用“财政投资 + 专项债券”机

制推进城市更新。

"""


def test_hard_wrapped_pdf_text_is_rejoined_into_paragraphs():
    text = clean_text(HARD_WRAPPED)
    assert text.split("\n") == [
        "2023年全县一般公共预算收入完成12.6亿元，同比增长5.1%，其中税收收入9.8亿元。",
        "统筹资金保障重点项目建设，新增债券36亿元，运用“财政投资 + 专项债券”机制推进城市更新。",
    ]


def test_spaces_between_cjk_and_digits_go_but_meaningful_spaces_stay():
    assert drop_meaningless_spaces("列 账 重 点 任 务 159 项") == "列账重点任务159项"
    assert drop_meaningless_spaces("财政投资 + 专项债券") == "财政投资 + 专项债券"
    assert drop_meaningless_spaces("Fiscal Monitor 2023 报告") == "Fiscal Monitor 2023报告"


def test_text_with_one_paragraph_per_line_keeps_its_lines():
    text = "一、收入情况。\n全市财政收入增长3%。\n\n二、支出情况。\n民生支出增长5%。\n"
    assert clean_text(text) == "一、收入情况。\n全市财政收入增长3%。\n二、支出情况。\n民生支出增长5%。"


def test_reference_year_prefers_the_manifest_then_the_latest_year_named():
    assert reference_year("2022-07", "2021年收入") == (2022, False)
    assert reference_year(None, "2021年收入增长，2022年上半年") == (2022, True)
    assert reference_year(None, "收入增长") == (None, True)
