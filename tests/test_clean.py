"""Cleaning PDF-style text: rejoined lines, dropped spaces, kept meaning."""
from __future__ import annotations

import pytest

from conftest import SAMPLES
from flows.clean import (drop_meaningless_spaces, normalise_characters,
                         rebuild_paragraphs, reference_year)
from flows.records import Paragraph
from flows.structure import build_passages


def clean_text(raw: str) -> str:
    return "\n".join(p.text for p in rebuild_paragraphs(raw))

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


def test_a_number_wrapped_across_lines_is_whole_again():
    text = clean_text("\n".join(["全县一般公共预算收入完成12.6亿元，同比增长5.1%，其中税收收入完成",
                                   "9.8亿元，增长6.2%；非税收入2.8亿元，同比下降1.3%，比上年减收0.0",
                                   "4亿元。全县一般公共预算支出完成21.5亿元，增长8.8%，支出进度为年",
                                   "初预算的24.6%，全县民生支出完成17.2亿元，占一般公共预算支出的8",
                                   "0%。"]))
    assert "减收0.04亿元" in text and "占一般公共预算支出的80%" in text


def test_prose_wrapped_among_short_lines_is_rejoined_but_items_keep_their_own_lines():
    raw = ("XX县财政局文件\nX财预〔2023〕5号\n关于一季度预算执行情况的通报\n各乡镇:\n"
           "一季度，全县一般公共预算收入完成12.6亿元，同比增长5.1%，其中税收收\n"
           "入9.8亿元，增长6.2%；非税收入2.8亿元，同比下降1.3%，比上年减收0.0\n"
           "4亿元。全县一般公共预算支出完成21.5亿元，增长8.8%，支出进度为年初预\n"
           "算的24.6%，民生支出完成17.2亿元，占一般公共预算支出的80%，下一步将\n"
           "二、加快支出进度\nXX县财政局\n2023年4月10日\n")
    assert clean_text(raw).split("\n") == [
        "XX县财政局文件", "X财预〔2023〕5号", "关于一季度预算执行情况的通报", "各乡镇:",
        "一季度，全县一般公共预算收入完成12.6亿元，同比增长5.1%，其中税收收入9.8亿元，增长6.2%；"
        "非税收入2.8亿元，同比下降1.3%，比上年减收0.04亿元。全县一般公共预算支出完成21.5亿元，"
        "增长8.8%，支出进度为年初预算的24.6%，民生支出完成17.2亿元，占一般公共预算支出的80%，下一步将",
        "二、加快支出进度", "XX县财政局", "2023年4月10日"]


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


# --- characters ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("我國財政收入首次超過8萬(wàn)億元，增長(zhǎng)21.3%。", "我国财政收入首次超过8万亿元，增长21.3%。"),
    ("收入１２３．４５亿元，增长５％", "收入123.45亿元，增长5％"),
    ("支出1，392，476万元", "支出1,392,476万元"),
    ("1-5月、1~5月、1－5月、1月-5月、2006-2010年", "1—5月、1—5月、1—5月、1月—5月、2006—2010年"),
    ("收入增长,,支出增长，，全年完成，。", "收入增长,支出增长，全年完成。"),
    ("同比增长-12.1%，电话0532-1234567", "同比增长-12.1%，电话0532-1234567"),
    ("完成2 31.8亿元，增长7 .6%，下降5 6.2%", "完成231.8亿元，增长7.6%，下降56.2%"),
    ("2023年1 2月，共3 5个", "2023年1 2月，共3 5个"),  # no unit after: left alone
])
def test_characters_are_simplified_and_number_punctuation_unified(raw, clean):
    assert normalise_characters(raw) == clean


# --- the seed: PDF text with furniture and two articles ----------------------------------------

@pytest.fixture(scope="module")
def seed_passages():
    raw = (SAMPLES / "seed" / "000_e2f70265a3651288.txt").read_text(encoding="utf-8")
    return build_passages(rebuild_paragraphs(raw), None)


def test_seed_numbers_split_by_wrapping_and_spacing_are_whole_again(seed_passages):
    text = "\n".join(p.text for p in seed_passages)
    for intact in ("516亿元", "2021年列账重点任务159项", "1—6月", "0.8个百分点", "财政投资 + 专项债券"):
        assert intact in text


def test_seed_page_furniture_is_gone_and_pages_are_numbered(seed_passages):
    text = "\n".join(p.text for p in seed_passages)
    assert "中\n国\n财" not in text and "\n42\n" not in text and "\n财政党建\n" not in text
    assert {p.page for p in seed_passages} == {42, 43}
    pages = [p.page for p in seed_passages]
    assert pages == sorted(pages)  # the page break falls once, where the furniture stood
    after_break = next(p for p in seed_passages if p.page == 43)
    assert after_break.text.startswith("突出“守纪律”")


def test_seed_has_two_articles_with_their_regions(seed_passages):
    articles = {}
    for p in seed_passages:
        articles.setdefault(p.article_no, set()).add(p.region_code)
    assert articles == {1: {"440300"}, 2: {"370200"}}
    second = [p for p in seed_passages if p.article_no == 2]
    assert [p.text for p in second[:3]] == ["青岛：", "锻造模范机关\u2003\u2003走好第一方阵", "青岛市财政局"]
    assert all(p.kind == "heading" for p in second[:3]) and second[3].kind == "paragraph"


def test_page_start_numbers_pages_when_the_text_prints_none():
    raw = "全市财政收入增长5%。\f全市财政支出增长3%。"
    assert [(p.page, p.text) for p in rebuild_paragraphs(raw, page_start=7)] == [
        (7, "全市财政收入增长5%。"), (8, "全市财政支出增长3%。")]


def test_a_bureau_byline_starts_an_article_at_its_title():
    paragraphs = [Paragraph(t, None) for t in [
        "一、全省财政收入稳步增长。", "收入完成100亿元。", "深化预算绩效管理", "成都市财政局",
        "今年以来，全市财政收入增长5%。"]]
    passages = build_passages(paragraphs, "510000")
    assert [(p.article_no, p.region_code, p.kind) for p in passages] == [
        (1, "510000", "paragraph"), (1, "510000", "paragraph"),
        (2, "510100", "heading"), (2, "510100", "heading"), (2, "510100", "paragraph")]


def test_a_number_cut_from_its_unit_by_a_line_break_is_whole_again():
    text = "税收收入完成8亿元。\n非税收入31.3\n亿元，下降0.3%。\n计划在2025\n年前完成。\n支出增长5%。\n"
    assert clean_text(text).split("\n") == [
        "税收收入完成8亿元。", "非税收入31.3亿元，下降0.3%。", "计划在2025", "年前完成。", "支出增长5%。"]


def test_a_paragraph_ending_on_a_comma_continues_in_the_next():
    raw = ("全县一般公共预算收入完成10亿元,\n\n同口径增长5%；支出完成20亿元，\n\n增长3%。\n\n"
           "新增债券4亿元。\n")
    assert clean_text(raw) == "全县一般公共预算收入完成10亿元，同口径增长5%；支出完成20亿元，增长3%。\n新增债券4亿元。"
