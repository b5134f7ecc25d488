"""Figure extraction on sentences written for these tests, one behaviour each."""
from __future__ import annotations

import pytest

from flows.normalise import extract_figures


def figures(text: str, region_code: str | None = None) -> list[dict]:
    document = {"document_id": "0123456789abcdef", "text": text, "region_code": region_code,
                "reference_year": 2023}
    passage = {"document_id": "0123456789abcdef", "passage_no": 1, "page": 3, "kind": "paragraph",
               "article_no": 1, "region_code": region_code, "char_start": 0,
               "char_end": len(text), "text": text}
    rows = extract_figures(document, [passage])
    for row in rows:
        assert text[row["char_start"]:row["char_end"]] == row["value_text"]
    return rows


def only(text: str, **kwargs) -> dict:
    rows = figures(text, **kwargs)
    assert len(rows) == 1, [r["value_text"] for r in rows]
    return rows[0]


@pytest.mark.parametrize("text, value_text, value", [
    ("全县税收收入完成3,456.78万元。", "3,456.78万元", 34567800.0),
    ("民生支出达到1.2万亿元。", "1.2万亿元", 1.2e12),
    ("争取上级资金52亿元。", "52亿元", 5.2e9),
    ("拨付补助资金860元。", "860元", 860.0),
    ("地方财政收入2293亿，好于预期。", "2293亿", 2.293e11),
])
def test_money_is_converted_to_yuan(text, value_text, value):
    row = only(text)
    assert (row["value_text"], row["value"], row["unit"]) == (value_text, value, "CNY")


@pytest.mark.parametrize("text, value_text, qualifier", [
    ("累计减税降费300亿元以上。", "300亿元", "at_least"),
    ("全年支出不足5亿元。", "5亿元", "less_than"),
    ("税收收入超过80亿元。", "80亿元", "more_than"),
    ("出台政策措施50多条。", "50多条", "more_than"),
    ("惠及企业约3万户。", "3万户", "approx"),
    ("完成重点任务12项。", "12项", "exact"),
])
def test_qualifiers_before_inside_and_after_the_number(text, value_text, qualifier):
    row = only(text)
    assert (row["value_text"], row["qualifier"]) == (value_text, qualifier)


def test_growth_and_decline_carry_their_sign():
    rising, falling = figures("增值税增长12.5%，契税下降4.2％。")
    assert (rising["measure"], rising["value"], rising["indicator"]) == ("growth", 12.5, "vat")
    assert (falling["measure"], falling["value"], falling["indicator"]) == ("growth", -4.2, "deed_tax")


def test_a_decrease_in_money_is_a_negative_change():
    row = only("非税收入减收1070万元。")
    assert (row["measure"], row["value"], row["indicator"]) == ("change", -10700000.0, "nontax_revenue")


def test_gap_to_the_province_is_signed_and_benchmarked():
    row = only("财政收入增幅比全省低1.5个百分点。", region_code="370200")
    assert (row["unit"], row["measure"], row["value"]) == ("percentage_point", "gap", -1.5)
    assert row["benchmark_region_code"] == "370000"


def test_share_and_budget_completion():
    completion = figures("一般公共预算收入完成年初预算数60999万元的40.4%。")
    assert [(r["value_text"], r["measure"], r["phase"]) for r in completion] == [
        ("60999万元", "level", "budget"), ("40.4%", "budget_completion", None)]
    assert only("民生支出占一般公共预算支出的比重为78%。")["measure"] == "share"


def test_ranks_with_their_denominator_and_benchmark():
    first, top = figures("绩效评价居全国31省份第一，资金使用进度位居全省首位。", region_code="370200")
    assert (first["value_text"], first["value"], first["rank_of"]) == ("第一", 1.0, 31)
    assert first["benchmark_region_code"] == "100000"
    assert (top["value_text"], top["value"], top["rank_of"]) == ("首位", 1.0, None)
    assert top["benchmark_region_code"] == "370000"


def test_counts_with_a_classifier_or_a_counted_noun():
    classifier, noun = figures("新建项目46个，惠及2.5万市场主体。")
    assert (classifier["value_text"], classifier["unit"], classifier["indicator"]) == ("46个", "count", "projects")
    assert (noun["value_text"], noun["value"], noun["indicator"]) == ("2.5万", 25000.0, "market_entities")


@pytest.mark.parametrize("text", [
    "2022年1—6月，全市召开第一批会议。",     # years, months, ordinals
    "出口额达到12亿美元。",                  # another currency
    "粮食产量增长到2倍，达到800万吨。",       # multiples and physical quantities
    "第十条规定了相关内容，咨询电话12345。",  # article and phone numbers
    "市场主体达到8000市场主体。",             # a counted noun needs 万 or 亿 before it
])
def test_not_figures(text):
    assert figures(text) == []


def test_execution_phase_and_the_indicator_before_the_amount():
    row = figures("2021年，全市一般公共预算支出实现4570.2亿元，增长9.4%。")[0]
    assert (row["indicator"], row["phase"], row["subject"]) == ("gpb_expenditure", "execution", "一般公共预算支出")


def test_figures_take_page_and_region_from_their_passage():
    text = "青岛：\n全市税收收入80亿元。\n深圳：\n全市税收收入90亿元。"
    passages = []
    for number, (line, region, page) in enumerate(zip(text.split("\n"), ["370200", "370200", "440300", "440300"], [5, 5, 6, 6]), start=1):
        start = sum(len(l) + 1 for l in text.split("\n")[:number - 1])
        passages.append({"document_id": "d", "passage_no": number, "page": page, "kind": "paragraph",
                         "article_no": 1 + (region == "440300"), "region_code": region,
                         "char_start": start, "char_end": start + len(line), "text": line})
    rows = extract_figures({"document_id": "d", "text": text, "region_code": None,
                            "reference_year": 2023}, passages)
    assert [(r["value_text"], r["region_code"], r["page"]) for r in rows] == [
        ("80亿元", "370200", 5), ("90亿元", "440300", 6)]


def test_figure_ids_depend_on_document_and_span_only():
    a = figures("税收收入80亿元。")[0]["figure_id"]
    b = figures("税收收入80亿元，增长3%。")[0]["figure_id"]
    assert a == b and len(a) == 16
