"""Figure extraction on sentences written for these tests, one behaviour each."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    ("考核权重不低于5%。", "5%", "at_least"),
    ("政府债务余额不超过50亿元。", "50亿元", "at_most"),
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


def test_a_thousands_separator_does_not_end_the_clause():
    adjusted, completion = figures("一般公共预算收入为调整预算数1,150,000万元的103.2%。")
    assert (adjusted["phase"], adjusted["indicator"]) == ("adjusted_budget", "gpb_revenue")
    assert (completion["measure"], completion["indicator"]) == ("budget_completion", "gpb_revenue")


def test_a_budget_draft_section_makes_its_amounts_budget():
    document, passages = _document(["关于2023年预算执行情况和2024年预算草案的报告",
                                    "2023年全市一般公共预算收入完成50亿元。",
                                    "二、2024年预算草案", "教育支出30.7亿元。"])
    assert [r["phase"] for r in extract_figures(document, passages)] == ["execution", "budget"]


def test_a_budget_adjustment_from_the_start_of_the_year():
    rows = figures("新增债券由年初的21.3亿元调整为27.65亿元。")
    assert [r["phase"] for r in rows] == ["budget", "adjusted_budget"]


def test_budget_arrangements_and_adjusted_budgets():
    assert only("市本级一般公共预算收入安排55.9亿元。")["phase"] == "budget"
    assert only("全县地方一般公共预算收入预期安排22,950万元。")["phase"] == "budget"
    rows = figures("一般公共预算支出预算安排215.4亿元，调整预算为238.9亿元。")
    assert [r["phase"] for r in rows] == ["budget", "adjusted_budget"]


@pytest.mark.parametrize("text, measure, value", [
    ("土地出让收入35.12亿元，同比减少14.73亿元。", "change", -1473000000.0),  # 同比 names no benchmark
    ("较去年同期多争取3.02亿元。", "change", 302000000.0),
    ("契税同比少14.8亿元。", "change", -1480000000.0),
    ("五年累计完成187.4亿元，比前五年多出近60亿元。", "change", 6000000000.0),
    ("全市收入由2019年的31.6亿元增加到2023年的43.5亿元。", "level", 4350000000.0),
    ("已发行新增专项债券38780亿元，完成全年限额3.8万亿元的102%。", "budget_completion", 102.0),
    ("全市财政自给率约为81%。", "share", 81.0),
    ("债务率为71.2%，低于国际通行的100%警戒线。", "share", 100.0),  # the line, not a gap of −100
    ("20年期以上债券占比超过50%。", "share", 50.0),  # 超过 a bound, not a gap to a benchmark
])
def test_changes_against_last_year_and_bounds_are_no_gaps(text, measure, value):
    row = figures(text)[-1]
    assert (row["measure"], row["value"]) == (measure, value)


def test_not_below_is_a_bound_not_a_gap():
    row = only("考核权重不低于5%。")
    assert (row["measure"], row["value"]) == ("share", 5.0)


@pytest.mark.parametrize("text, kept", [
    ("全省80个县中，收入超过10亿元的县达到46个。", ["80个", "46个"]),
    ("增长10%以上的企业有300家。", ["300家"]),
    ("财政自给率低于30%的县仍有9个。", ["9个"]),
    ("完成年初预算数60999万元的40.4%。", ["60999万元", "40.4%"]),  # a base, not a threshold
    ("安排资金1000万元的项目有12个。", ["1000万元", "12个"]),  # nothing compared: an amount
    ("收入超过10亿元的县（市、区）达到11个。", ["11个"]),
    ("全市12个县（市、区）中，有7个一般公共预算收入超过10亿元。", ["12个", "7个"]),
    ("全市13个乡镇（街道）财政支出进度均超过40%。", ["13个"]),
    ("新建12个项目总投资超过10亿元。", ["12个", "10亿元"]),  # a total, not a threshold
])
def test_thresholds_are_not_figures_but_what_passes_them_is(text, kept):
    assert [r["value_text"] for r in figures(text)] == kept


def test_ranks_with_their_denominator_and_benchmark():
    first, top = figures("绩效评价居全国31省份第一，资金使用进度位居全省首位。", region_code="370200")
    assert (first["value_text"], first["value"], first["rank_of"]) == ("第一", 1.0, 31)
    assert first["benchmark_region_code"] == "100000"
    assert (top["value_text"], top["value"], top["rank_of"]) == ("首位", 1.0, None)
    assert top["benchmark_region_code"] == "370000"


@pytest.mark.parametrize("text, indicator", [
    ("专项债务限额216亿元。", "government_debt_limit"),  # not 专项债, which starts earlier
    ("一般债务余额120亿元。", "government_debt_balance"),
    ("惠及经营主体12万户。", "market_entities"),
    ("基金预算支出完成29.43亿元。", "gf_expenditure"),
    ("争取上级补助资金27.55亿元。", "transfer_payments_received"),
    ("政府债务余额控制在省核定的限额2290.4亿元以内。", "government_debt_limit"),
    ("全市为6862户纳税人办理留抵退税。", "market_entities"),
    ("省对市县转移支付2381.6亿元。", "transfer_payments_to_lower"),
])
def test_longer_aliases_for_debt_and_market_entities(text, indicator):
    assert only(text)["indicator"] == indicator


def test_counts_with_a_classifier_or_a_counted_noun():
    classifier, noun = figures("新建项目46个，惠及2.5万市场主体。")
    assert (classifier["value_text"], classifier["unit"], classifier["indicator"]) == ("46个", "count", "projects")
    assert (noun["value_text"], noun["value"], noun["indicator"]) == ("2.5万", 25000.0, "market_entities")


def test_chinese_numeral_amounts_after_完成():
    row = only("全市一般公共预算支出完成四百二十六亿元。")
    assert (row["value_text"], row["value"]) == ("四百二十六亿元", 4.26e10)


def test_a_county_s_one_character_name_inside_ordinary_words_is_no_region():
    row = only("各地提高县级保障水平，收入完成100亿元。", region_code="330100")
    assert row["region_code"] == "330100"


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


# --- numbers written in Chinese, mixed, signed ------------------------------------------------

@pytest.mark.parametrize("text, value_text, value, unit", [
    ("全年收入突破一万亿元。", "一万亿元", 1e12, "CNY"),
    ("支出两千三百亿元。", "两千三百亿元", 2.3e11, "CNY"),
    ("占比达到百分之二十七点四三。", "百分之二十七点四三", 27.43, "percent"),
    ("收入一七八〇．四〇亿元。", "一七八〇．四〇亿元", 1.7804e11, "CNY"),
    ("收入405亿9,629万元。", "405亿9,629万元", 40596290000.0, "CNY"),
    ("收入25亿8千万元。", "25亿8千万元", 2580000000.0, "CNY"),
    ("税收收入4百亿元。", "4百亿元", 4e10, "CNY"),
    ("两市收入均在百亿以上运行。", "百亿", 1e10, "CNY"),
])
def test_chinese_and_mixed_numerals(text, value_text, value, unit):
    row = only(text)
    assert (row["value_text"], row["unit"]) == (value_text, unit)
    assert row["value"] == pytest.approx(value)


def test_a_negative_rate_keeps_its_sign():
    row = only("鄂尔多斯收入同比增长-12.1%。")
    assert (row["value_text"], row["value"], row["measure"]) == ("-12.1%", -12.1, "growth")


# --- periods ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, start, end", [
    ("2022年1—5月，全市税收收入80亿元。", "2022-01-01", "2022-05-31"),
    ("今年二季度，财政收入增长7.1%。", "2023-04-01", "2023-06-30"),
    ("元至5月，全市税收收入80亿元。", "2023-01-01", "2023-05-31"),
    ("前7月，全市税收收入80亿元。", "2023-01-01", "2023-07-31"),
    ("前两个月，全市税收收入80亿元。", "2023-01-01", "2023-02-28"),
    ("前三季度，全市税收收入80亿元。", "2023-01-01", "2023-09-30"),
    ("上半年，全市税收收入80亿元。", "2023-01-01", "2023-06-30"),
    ("截至6月底，下达转移支付80亿元。", "2023-01-01", "2023-06-30"),
    ("4月，一般公共预算收入累计完成80亿元。", "2023-01-01", "2023-04-30"),
    ("4月份，全国一般公共预算收入80亿元。", "2023-04-01", "2023-04-30"),
    ("去年全市税收收入80亿元，比上年增长3%。", "2022-01-01", "2022-12-31"),
    ("“十一五”时期(2006—2010年)，支出年均增长21.4%。", "2006-01-01", "2010-12-31"),
    ("“十三五”时期，全市财政收入年均增长7.8%。", "2016-01-01", "2020-12-31"),
    ("4月1日至7月15日，全市办理留抵退税243.7亿元。", "2023-04-01", "2023-07-15"),
    ("2022年4月1日至7月15日，全市办理留抵退税243.7亿元。", "2022-04-01", "2022-07-15"),
    ("截至7月15日，全市办理留抵退税243.7亿元。", "2023-01-01", "2023-07-15"),
    ("2022年，收入占比19.0%，较2017年提高0.9个百分点。", "2022-01-01", "2022-12-31"),
    ("上半年，税收占比68.6%，较一季度提高3.2个百分点。", "2023-01-01", "2023-06-30"),
    ("2019—2023年，全市收入年均增长8.3%。", "2019-01-01", "2023-12-31"),
    ("1—11月，全国土地出让收入下降17.4%，降幅比1—10月收窄0.6个百分点。", "2023-01-01", "2023-11-30"),
    ("上半年，支出进度达到全年预算的48.6%。", "2023-01-01", "2023-06-30"),
    ("截至9月末，全省今年已发行新增债券538.2亿元。", "2023-01-01", "2023-09-30"),
])
def test_periods_resolve_against_the_reference_year(text, start, end):
    row = figures(text)[0]
    assert (str(row["period_start"]), str(row["period_end"])) == (start, end)


def test_an_explicit_year_holds_for_the_rest_of_the_paragraph():
    rows = figures("2021年，来源于辖区的财政收入超过1万亿元。全年新增减税降费734亿元。")
    assert {(str(r["period_start"]), str(r["period_end"])) for r in rows} == {("2021-01-01", "2021-12-31")}


def test_a_comparison_with_last_year_is_not_a_period():
    row = only("税收收入比上年增长3%。")
    assert row["period_start"] is None


def test_a_heading_period_carries_into_its_section():
    text = "一、2022年预算执行情况\n全县一般公共预算收入完成2.8亿元。"
    document, passages = _document(text.split("\n"))
    rows = extract_figures(document, passages)
    assert (str(rows[0]["period_start"]), str(rows[0]["period_end"])) == ("2022-01-01", "2022-12-31")


def test_budget_amounts_cover_the_whole_budget_year():
    rows = figures("4月，一般公共预算收入累计完成24627万元，完成年初预算数60999万元的40.4%。")
    budget = next(r for r in rows if r["value_text"] == "60999万元")
    assert budget["phase"] == "budget"
    assert (str(budget["period_start"]), str(budget["period_end"])) == ("2023-01-01", "2023-12-31")


# --- indicators, lists, regions, phases ------------------------------------------------------

def test_respectively_maps_each_rate_to_its_item():
    growth = figures("全省一般公共预算收入和支出分别增长4.53%、9.97%。")
    assert [(r["indicator"], r["measure"]) for r in growth] == [
        ("gpb_revenue", "growth"), ("gpb_expenditure", "growth")]


def test_respectively_maps_amounts_to_named_regions():
    rows = figures("锡林郭勒与赤峰财政收入均在百亿以上运行，分别为117.40亿元和110.29亿元。",
                   region_code="150000")
    assert [r["region_code"] for r in rows if r["value_text"].startswith("1")] == ["152500", "150400"]


def test_a_document_abbreviation_defines_an_indicator():
    rows = figures("一般公共预算收入(以下简称财政收入)稳步增长。全市财政收入80亿元。")
    assert rows[0]["indicator"] == "gpb_revenue"


def test_qualifying_phrases_are_not_subjects():
    row = figures("全市税收收入282.5亿元，扣除留抵退税因素后增长1.3%。")[1]
    assert row["indicator"] == "tax_revenue"


def test_the_subject_of_a_share_stands_before_zhan():
    row = only("税收收入占一般公共预算收入的比重为83%。")
    assert (row["measure"], row["indicator"]) == ("share", "tax_revenue")


def test_sub_items_after_qizhong_take_their_own_indicator():
    rows = figures("全市一般公共预算收入416亿元，其中，税收收入282.5亿元，非税收入133.5亿元。")
    assert [r["indicator"] for r in rows] == ["gpb_revenue", "tax_revenue", "nontax_revenue"]


def test_an_elided_subject_carries_from_the_lead():
    text = "回望一下各盟市财政收入完成数据：\n1.鄂尔多斯(650.80亿元 同比增长-12.1%下同)、2.呼和浩特(192.10亿元 8.6%)。"
    document, passages = _document(text.split("\n"), region="150000")
    rows = extract_figures(document, passages)
    assert [(r["value_text"], r["indicator"], r["region_code"], r["measure"]) for r in rows] == [
        ("650.80亿元", "fiscal_revenue", "150600", "level"), ("-12.1%", "fiscal_revenue", "150600", "growth"),
        ("192.10亿元", "fiscal_revenue", "150100", "level"), ("8.6%", "fiscal_revenue", "150100", "growth")]


def test_national_figures_and_benchmarks_are_not_the_articles_region():
    nation = only("全国一般公共预算收入80亿元。", region_code="370200")
    assert nation["region_code"] == "100000"
    gap = only("收入增幅高于全省平均水平1.2个百分点。", region_code="370200")
    assert (gap["region_code"], gap["benchmark_region_code"], gap["measure"]) == ("370200", "370000", "gap")


def test_a_street_named_after_a_city_is_no_mention_of_it():
    row = only("对安顺路打通等20多个大项目落实资金。", region_code="370200")
    assert row["region_code"] == "370200"


def test_phase_comes_from_the_report_when_the_sentence_is_silent():
    document, passages = _document(["2023年市级财政决算情况", "全市一般公共预算收入138.9亿元。"])
    assert extract_figures(document, passages)[0]["phase"] == "final_accounts"
    document, passages = _document(["全市新闻", "新增债券36亿元，一般公共预算收入138.9亿元。"])
    assert [r["phase"] for r in extract_figures(document, passages)] == [None, "execution"]


def _document(lines: list[str], region: str | None = None) -> tuple[dict, list[dict]]:
    text = "\n".join(lines)
    passages, offset = [], 0
    for number, line in enumerate(lines, start=1):
        kind = "heading" if len(line) < 20 and not line.endswith("。") else "paragraph"
        passages.append({"document_id": "d", "passage_no": number, "page": None, "kind": kind,
                         "article_no": 1, "region_code": region, "char_start": offset,
                         "char_end": offset + len(line), "text": line})
        offset += len(line) + 1
    return {"document_id": "d", "text": text, "region_code": region, "reference_year": 2023}, passages


def test_a_cue_in_an_earlier_clause_does_not_set_the_measure():
    (row,) = figures("全市财政收入增长较快，其中税收收入120亿元。")
    assert (row["measure"], row["value"]) == ("level", 12_000_000_000)


def test_word_finder_takes_the_longest_word_leftmost():
    from flows.rules import WordFinder
    assert WordFinder(["财政", "财政收入", "收入", "入"]).find("财政收入和收入") == [
        (0, 4, "财政收入"), (5, 7, "收入")]
    assert WordFinder([]).find("财政收入") == []


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abc"),
                       st.lists(st.text(alphabet="财政收入支出", min_size=1, max_size=4), max_size=8),
                       min_size=1),
       st.text(alphabet="财政收入支出，", max_size=40))
def test_word_sets_find_each_vocabulary_as_its_own_automaton_would(vocabularies, text):
    from flows.rules import WordFinder, WordSets
    found = WordSets(vocabularies).find(text)
    assert found == {name: WordFinder(v).find(text) for name, v in vocabularies.items()}


def test_a_clause_opening_with_a_bare_revenue_or_expenditure_word_takes_the_passage_s_last_of_that_kind():
    rows = figures("全县一般公共预算收入完成12亿元，一般公共预算支出完成30亿元。"
                   "收入增幅居全市第2位；支出规模居全市第5位。")
    assert [(r["value_text"], r["indicator"]) for r in rows] == [
        ("12亿元", "gpb_revenue"), ("30亿元", "gpb_expenditure"),
        ("第2位", "gpb_revenue"), ("第5位", "gpb_expenditure")]


def test_a_bare_expenditure_word_may_follow_a_month_and_a_level_of_government():
    rows = figures("全县一般公共预算支出完成30亿元。8月份县级支出增幅达到5%。")
    assert [r["indicator"] for r in rows] == ["gpb_expenditure", "gpb_expenditure"]


def test_a_bare_revenue_word_borrows_no_expenditure_indicator():
    rows = figures("全县一般公共预算支出完成30亿元。收入增幅居全市第2位。")
    assert [(r["value_text"], r["indicator"]) for r in rows] == [
        ("30亿元", "gpb_expenditure"), ("第2位", None)]


def test_a_bare_revenue_word_after_a_part_refers_to_the_whole():
    rows = figures("地方一般公共预算收入增长8.5%，其中税收占比达到72.3%，收入总量在中部六个省会城市中居第二位。")
    assert [(r["value_text"], r["indicator"]) for r in rows] == [
        ("8.5%", "gpb_revenue"), ("72.3%", "tax_revenue"), ("第二位", "gpb_revenue")]


def test_a_bare_revenue_word_refers_to_the_revenue_indicator_of_the_heading_above():
    document, passages = _document(["一、一般公共预算收入", "收入增幅居全市第2位。"])
    (row,) = extract_figures(document, passages)
    assert (row["value_text"], row["indicator"]) == ("第2位", "gpb_revenue")


def test_items_listed_before_a_shared_head_take_it():
    rows = figures("全县教育、文化体育与传媒和农林水等支出分别增长10%、20%和30%。")
    assert [(r["value_text"], r["indicator"]) for r in rows] == [
        ("10%", "education_expenditure"), ("20%", "culture_sports_media_expenditure"),
        ("30%", "agriculture_expenditure")]
    rows = figures("全县教育、社会保障和就业等支出分别增长10%和20%。")
    assert [r["indicator"] for r in rows] == ["education_expenditure", "social_security_expenditure"]


def test_a_list_splits_at_its_last_conjunction_only_when_the_values_need_it():
    from flows.normalise import listed_items
    assert listed_items("教育、文化体育与传媒和农林水等支出", 3) == ["教育", "文化体育与传媒", "农林水等支出"]
    assert listed_items("教育、社会保障和就业等支出", 2) == ["教育", "社会保障和就业等支出"]
    assert listed_items("收入和支出", 2) == ["收入", "支出"]


def test_a_clause_naming_no_subject_continues_the_previous_figure_s_not_the_share_s_base():
    rows = figures("全县税收收入占一般公共预算收入的比重为75%，居全市第2位。")
    assert [(r["value_text"], r["indicator"]) for r in rows] == [
        ("75%", "tax_revenue"), ("第2位", "tax_revenue")]
    rows = figures("全县教育支出占一般公共预算支出的20%，比上年提高2个百分点。")
    assert [r["indicator"] for r in rows] == ["education_expenditure", "education_expenditure"]


def test_a_share_whose_clause_names_nothing_is_of_the_part_before_an_earlier_占():
    rows = figures("全县税收收入仍占一般公共预算收入的主体，2023年占比为80%。")
    assert [(r["value_text"], r["measure"], r["indicator"]) for r in rows] == [
        ("80%", "share", "tax_revenue")]


def test_a_month_s_figures_are_cumulative_from_its_累计_on():
    rows = figures("3月份，全县一般公共预算收入当月完成10亿元，下降5%，累计完成30亿元，下降3%。"
                   "其中税收收入20亿元。")
    assert [(r["value_text"], r["period_start"].isoformat(), r["period_end"].isoformat())
            for r in rows] == [
        ("10亿元", "2023-03-01", "2023-03-31"), ("5%", "2023-03-01", "2023-03-31"),
        ("30亿元", "2023-01-01", "2023-03-31"), ("3%", "2023-01-01", "2023-03-31"),
        ("20亿元", "2023-01-01", "2023-03-31")]


def test_a_revenue_broken_down_into_a_central_share_is_the_total():
    rows = figures("全县一般公共预算收入完成20亿元，增长5%。其中：地方财政收入12亿元，上划中央收入8亿元。")
    assert [r["indicator"] for r in rows][:2] == ["total_fiscal_revenue", "total_fiscal_revenue"]
    rows = figures("全县一般公共预算收入完成20亿元。其中：税收收入15亿元。")
    assert [r["indicator"] for r in rows] == ["gpb_revenue", "tax_revenue"]


def test_a_difference_after_two_named_regions_is_the_first_s_against_the_second():
    rows = figures("锡林郭勒与赤峰财政收入分别为117.40亿元和110.29亿元，两者相差7.11亿元。", "150000")
    gap = rows[-1]
    assert (gap["measure"], gap["region_code"], gap["benchmark_region_code"]) == ("gap", "152500", "150400")


def test_a_rank_naming_no_field_ranks_a_city_in_its_province_and_leaves_a_county_s_open():
    (rank,) = [r for r in figures("全市财政收入继续遥居榜首。", "150600") if r["unit"] == "rank"]
    assert (rank["value"], rank["benchmark_region_code"]) == (1, "150000")
    (rank,) = [r for r in figures("全区财政收入增幅在中心城区排位第五。", "500113") if r["unit"] == "rank"]
    assert rank["benchmark_region_code"] is None


def test_the_region_named_for_a_figure_holds_for_the_next_ones_in_its_part_of_the_sentence():
    rows = figures("从省内看，浙江11个设区市中，杭州市一般公共预算收入2615.9亿元，增长7.9%，总量居全省首位；"
                   "宁波市收入1847.3亿元，增长6.1%，增幅比全省低0.9个百分点。", "330000")
    assert [(r["value_text"], r["region_code"]) for r in rows] == [
        ("11个", "330000"), ("2615.9亿元", "330100"), ("7.9%", "330100"), ("首位", "330100"),
        ("1847.3亿元", "330200"), ("6.1%", "330200"), ("0.9个百分点", "330200")]
    top = rows[3]
    assert (top["benchmark_region_code"], top["rank_of"]) == ("330000", 11)


def test_a_second_rank_listed_after_the_first():
    first, second = figures("收入增速居中部六省首位、全国第8位。", region_code="430000")
    assert (first["value"], first["rank_of"], second["value"], second["benchmark_region_code"]) == (
        1.0, 6, 8.0, "100000")


def test_ranks_listed_after_named_regions_map_to_them():
    rows = figures("柳州、桂林两市财政收入分别为86.71亿元和60.42亿元，分列第二、第三位。", region_code="450000")
    assert [(r["value_text"], r["region_code"]) for r in rows] == [
        ("86.71亿元", "450200"), ("60.42亿元", "450300"), ("第二", "450200"), ("第三位", "450300")]


def test_a_rate_followed_by_its_cue_and_the_whole_autonomous_region():
    rows = figures("北海以21.4%的增速领跑全区，全区共有10个市实现正增长。", region_code="450000")
    assert [(r["measure"], r["region_code"]) for r in rows] == [("growth", "450500"), ("level", "450000")]


@pytest.mark.parametrize("text, region, value, benchmark, rank_of", [
    ("南海区收入增速在佛山五区中排名第二。", "440605", 2.0, "440600", 5),
    ("收入增速在全省11个设区市（区）中排名第十一。", "610800", 11.0, "610000", 11),
    ("义乌在全国百强县中排名第5位。", "330782", 5.0, "100000", None),
    ("收入规模居全省122个县（市、区）首位。", "330782", 1.0, "330000", 122),
    ("增速居全国31个省会城市（含直辖市）第一。", "330100", 1.0, "100000", 31),
])
def test_a_rank_s_field_and_population(text, region, value, benchmark, rank_of):
    (row,) = [r for r in figures(text, region_code=region) if r["unit"] == "rank"]
    assert (row["region_code"], row["value"], row["benchmark_region_code"], row["rank_of"]) == (
        region, value, benchmark, rank_of)


def test_ranks_continued_after_a_first():
    rows = figures("增幅居金华市第一、全省90个县（市、区）第8位，总量居全国省会城市第9位、中部省会城市第3位。",
                   region_code="330782")
    assert [(r["value_text"], r["rank_of"]) for r in rows if r["unit"] == "rank"] == [
        ("第一", None), ("第8位", 90), ("第9位", None), ("第3位", None)]


def test_a_rank_is_not_its_own_field_s():
    rows = figures("增幅居金华市第一、全省90个县（市、区）第8位。", region_code="330782")
    assert [(r["value_text"], r["region_code"], r["benchmark_region_code"]) for r in rows] == [
        ("第一", "330782", "330700"), ("90个", "330000", None), ("第8位", "330782", "330000")]


def test_a_rank_in_a_name_is_no_figure():
    assert [r for r in figures("全市财政收入位居第一方阵。") if r["unit"] == "rank"] == []


def test_a_gap_to_the_national_average_over_the_same_period_and_a_ratio_to_it():
    gap = only("收入增幅比同期全国平均增幅高出1.5个百分点。", region_code="320000")
    assert (gap["measure"], gap["region_code"], gap["benchmark_region_code"]) == ("gap", "320000", "100000")
    ratio = figures("河南人均一般公共预算收入约4193元，仅为全国平均水平的58.2%。", region_code="410000")[-1]
    assert ratio["region_code"] == "410000"


def test_values_listed_in_turn_after_cities():
    rows = figures("成都、武汉、长沙位列前三，分别为1929.3亿元、1613.2亿元和1308.7亿元；郑州、西安依次为"
                   "1165.9亿元、902.6亿元。")
    assert [r["region_code"] for r in rows] == ["510100", "420100", "430100", "410100", "610100"]


def test_a_rank_among_a_population_named_in_chinese_numerals():
    row = only("收入总量在中部六个省会城市中居第二位。", region_code="430100")
    assert (row["value"], row["rank_of"]) == (2.0, 6)


def test_a_city_named_like_one_of_its_districts_is_the_city():
    rows = figures("襄阳、宜昌、荆州三市县域收入分别增长13.5%、12.8%、9.6%。", "420000")
    assert [r["region_code"] for r in rows] == ["420600", "420500", "421000"]


def test_each_respectively_takes_its_own_values():
    rows = figures("上海、江苏两地一般公共预算收入分别达到100亿元和200亿元，分别增长5%和6%。")
    assert [(r["value_text"], r["region_code"]) for r in rows] == [
        ("100亿元", "310000"), ("200亿元", "320000"), ("5%", "310000"), ("6%", "320000")]
    assert {r["indicator"] for r in rows} == {"gpb_revenue"}


def test_respectively_after_items_with_their_own_amounts_takes_the_indicators_named_last():
    rows = figures("其中：教育支出12.06亿元、社会保障和就业支出6.48亿元、卫生健康支出4.87亿元，"
                   "分别增长6.2%、11.5%和3.8%；农林水支出5.33亿元，同比下降4.6%。")
    assert [r["indicator"] for r in rows if r["unit"] == "percent"] == [
        "education_expenditure", "social_security_expenditure", "health_expenditure",
        "agriculture_expenditure"]


def test_a_subject_named_since_the_previous_figure_beats_the_previous_figure_s():
    rows = figures("在教育方面，累计投入资金7.62亿元，落实经费保障资金1.35亿元；"
                   "在社会保障方面，发放各类救助资金2.47亿元。")
    assert [r["indicator"] for r in rows] == [
        "education_expenditure", "education_expenditure", "social_security_expenditure"]


def test_respectively_takes_the_regions_named_last():
    rows = figures("晋江市收入完成135.2亿元，位居全省县域第一；石狮市、南安市分别增长5.2%、4.1%。", "350500")
    assert [r["region_code"] for r in rows] == ["350582", "350582", "350581", "350583"]


@pytest.mark.parametrize("text", [
    "2023年，加上上年结转收入15.62亿元，收入总计467.82亿元。",  # an item of the accounts
    "2023年，按同口径计算（剔除上年一次性收入因素），收入增长12.7%。",
])
def test_last_year_inside_a_name_or_a_qualification_is_no_period(text):
    assert {str(r["period_end"]) for r in figures(text)} == {"2023-12-31"}


def test_the_figure_of_a_compared_period_is_that_period_s():
    rows = figures("上半年收入完成300亿元，差距较一季度的84.2亿元有所扩大。")
    assert [str(r["period_end"]) for r in rows] == ["2023-06-30", "2023-03-31"]


def test_the_nation_s_revenue_stays_as_named_before_its_central_and_local_shares():
    rows = figures("全国一般公共预算收入12579亿元，同比增长4.5%。其中，中央一般公共预算收入5403亿元；"
                   "地方一般公共预算本级收入7176亿元。", region_code="100000")
    assert [r["indicator"] for r in rows] == [
        "gpb_revenue", "gpb_revenue", "central_share_revenue", "gpb_revenue"]


def test_last_year_counts_from_the_time_of_writing_and_the_whole_year_from_the_section():
    document, passages = _document(["义乌去年财政总收入突破二百亿元",
                                    "2023年全市财政总收入达到203亿元。",
                                    "去年，全市增值税完成42.7亿元。",
                                    "民生方面，全年民生支出108亿元。",
                                    "今年，收入目标设定在126亿元以上。"])
    document["reference_year"] = 2024
    rows = extract_figures(document, passages)
    assert [r["period_end"].year for r in rows] == [2023, 2023, 2023, 2023, 2024]


def test_since_the_start_of_the_year_takes_the_period_in_force():
    document, passages = _document(["2023年上半年财政收支情况", "今年以来，全市累计办理退税196.4亿元。"])
    (row,) = extract_figures(document, passages)
    assert str(row["period_end"]) == "2023-06-30"


def test_a_figure_said_over_years_covers_the_span_not_its_last_year():
    rows = figures("2019—2023年，全市收入由2019年的31.6亿元增加到2023年的43.5亿元，五年累计187.4亿元。")
    assert [(r["period_start"].year, r["period_end"].year) for r in rows] == [
        (2019, 2019), (2023, 2023), (2019, 2023)]


def test_a_year_joined_to_a_span_and_a_title_naming_two_years():
    document, passages = _document(["今年前三季度，全市完成收入213.6亿元。", "支出方面，全市支出完成426亿元。"])
    assert [str(r["period_end"]) for r in extract_figures(document, passages)] == ["2023-09-30"] * 2
    document, passages = _document(["桦南县2023年预算执行情况和2024年预算草案的报告",
                                    "一、一般公共预算执行情况", "全县一般公共预算收入完成41286万元。",
                                    "三、2024年预算安排", "一般公共预算收入预期43350万元。"])
    rows = extract_figures(document, passages)
    assert [(r["period_end"].year, r["phase"]) for r in rows] == [(2023, "execution"), (2024, "budget")]


def test_an_elided_subject_after_a_masked_qualification():
    rows = figures("一般公共预算收入完成166亿元。扣除留抵退税因素后同口径增长12.7%，按自然口径计算增长4.2%。")
    assert {r["indicator"] for r in rows} == {"gpb_revenue"}


def test_a_paragraph_going_on_from_the_one_before_keeps_its_period():
    document, passages = _document(["我市今年新增减税降费超百亿元",
                                    "2022年，我市新增减税降费及退税缓税缓费112.6亿元。",
                                    "其中，增值税留抵退税68.3亿元。"])
    rows = extract_figures(document, passages)
    assert [r["period_end"].year for r in rows[-2:]] == [2022, 2022]


def test_a_comparison_with_last_year_s_total_does_not_set_the_period():
    rows = figures("今年上半年，退税减税合计318亿元，超过去年全年水平，其中新增减税降费47.2亿元。")
    assert {str(r["period_end"]) for r in rows} == {"2023-06-30"}


def test_a_monthly_report_s_title_month_runs_from_january_when_the_report_is_cumulative():
    document, passages = _document(["关于2023年5月份财政收支情况的通报",
                                    "截至5月末，全市一般公共预算收入累计完成68亿元。",
                                    "政府性基金方面，基金预算收入完成21亿元。"])
    rows = extract_figures(document, passages)
    assert [(str(r["period_start"]), str(r["period_end"])) for r in rows] == [
        ("2023-01-01", "2023-05-31"), ("2023-01-01", "2023-05-31")]


def test_a_multiple_of_last_year_does_not_set_the_period():
    rows = figures("截至5月底，退税规模已是去年全年的4.3倍，其中制造业企业退税68.4亿元。")
    assert (rows[0]["period_start"].isoformat(), rows[0]["period_end"].isoformat()) == (
        "2023-01-01", "2023-05-31")
