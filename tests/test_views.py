"""The DuckDB file's views: commented, typed from the schemas, and queried as the README shows."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_ROOT
from flows.metadata import resource_names, table_schema

SERIES_KEY = ("indicator", "region_code", "period_start", "period_end", "measure", "unit", "phase")
REPORTS = {  # three reports on one city's 2023 budget that disagree, as sources do
    "a.txt": "2023年，全市一般公共预算收入完成1000亿元，增长5%。其中，税收收入完成800亿元。",
    "b.txt": "2023年，全市一般公共预算收入完成1000亿元，增长5.2%。其中，税收收入完成790亿元。",
    "c.txt": "2023年，全市一般公共预算收入完成1020亿元，增长5%。全市一般公共预算支出完成1500亿元。",
}
MANIFEST = """path,region,published,title,publisher
a.txt,青岛,2024-01-20,青岛市2023年预算执行情况,青岛市财政局
b.txt,青岛,2024-02-01,关于青岛市2023年预算执行情况的报告,青岛市人民代表大会
c.txt,青岛,2024-03-05,青岛财政简报,青岛市财政局
"""


@pytest.fixture(scope="module")
def disagreeing(run_flow, tmp_path_factory) -> Path:
    """A package from three reports that disagree on two of their figures."""
    corpus = tmp_path_factory.mktemp("disagreeing")
    for name, text in REPORTS.items():
        (corpus / name).write_text(text + "\n", encoding="utf-8")
    (corpus / "sources.csv").write_text(MANIFEST, encoding="utf-8")
    out = corpus.parent / "disagreeing-package" / "cnfiscal"
    run_flow([corpus], out)
    return out


def rows(package: Path, sql: str) -> tuple[list[str], list[dict]]:
    """Column names and rows (as dicts) of a query on the published file, opened read-only."""
    with duckdb.connect(str(package / "cnfiscal.duckdb"), read_only=True) as con:
        result = con.execute(sql)
        columns = [d[0] for d in result.description]
        return columns, [dict(zip(columns, r)) for r in result.fetchall()]


def test_every_view_and_every_view_column_has_a_comment(published):
    _, views = rows(published, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal")
    assert {v["view_name"] for v in views} == {"conflicts", "figures_labelled", "indicator_series"}
    assert all(v["comment"] for v in views)
    for view in views:
        _, columns = rows(published, "SELECT column_name, comment FROM duckdb_columns() "
                                     f"WHERE table_name = '{view['view_name']}'")
        assert columns
        assert [c["column_name"] for c in columns if not c["comment"]] == [], view["view_name"]


def test_view_enumerations_are_enum_types_made_from_the_schemas(published):
    schema_enums = {f"{r}_{f['name']}": f["constraints"]["enum"] for r in resource_names()
                    for f in table_schema(r)["fields"] if "enum" in f.get("constraints", {})}
    for name, values in schema_enums.items():
        _, found = rows(published, f"SELECT enum_range(NULL::{name}) AS v")
        assert found[0]["v"] == values, name
    _, types = rows(published, "SELECT column_name, data_type FROM duckdb_columns() "
                               "WHERE table_name = 'figures_labelled'")
    types = {t["column_name"]: t["data_type"] for t in types}
    assert types["phase"] == "ENUM('budget', 'adjusted_budget', 'execution', 'final_accounts')"
    assert types["region_level"].startswith("ENUM('nation', 'province'")
    _, growth = rows(published, "SELECT count(*) AS n FROM figures_labelled WHERE measure = 'growth'")
    assert growth[0]["n"] > 0  # strings compare with ENUMs as usual


def test_figures_labelled_has_one_row_per_figure_with_its_labels(published):
    _, labelled = rows(published, """
        SELECT l.*, f.value_text AS raw_value_text FROM figures_labelled l
        JOIN figures f USING (figure_id) WHERE l.indicator = 'gpb_expenditure' AND l.unit = 'CNY'""")
    assert labelled and all(r["value_text"] == r["raw_value_text"] for r in labelled)
    row = labelled[0]
    assert (row["indicator_label_zh"], row["indicator_label_en"]) == ("一般公共预算支出",
                                                                      "General public budget expenditure")
    assert (row["region_name"], row["region_level"]) == ("深圳市", "prefecture")
    assert row["source_name"] == "000_e2f70265a3651288.txt" and row["page"]
    assert row["value_text"] in row["quote"]
    _, counts = rows(published, "SELECT (SELECT count(*) FROM figures_labelled) AS labelled, "
                                "(SELECT count(*) FROM figures) AS figures")
    assert counts[0]["labelled"] == counts[0]["figures"]


def series_row(package: Path, indicator: str, measure: str) -> dict:
    _, found = rows(package, f"SELECT * FROM indicator_series WHERE indicator = '{indicator}' "
                             f"AND measure = '{measure}'")
    assert len(found) == 1
    return found[0]


def test_indicator_series_shows_the_value_most_documents_state(disagreeing):
    revenue = series_row(disagreeing, "gpb_revenue", "level")
    assert (revenue["value"], revenue["value_min"], revenue["value_max"]) == (1000e8, 1000e8, 1020e8)
    assert (revenue["n_documents"], revenue["n_figures"], revenue["n_documents_for_value"]) == (3, 3, 2)
    assert revenue["sources_disagree"] is True
    assert (revenue["region_name"], revenue["phase"], str(revenue["period_start"])) == \
        ("青岛市", "execution", "2023-01-01")
    _, stating = rows(disagreeing, f"SELECT value FROM figures WHERE figure_id = '{revenue['figure_id']}'")
    assert stating[0]["value"] == revenue["value"]
    assert series_row(disagreeing, "gpb_revenue", "growth")["value"] == 5


def test_indicator_series_breaks_a_tie_to_the_smaller_value(disagreeing):
    tax = series_row(disagreeing, "tax_revenue", "level")
    assert (tax["value"], tax["value_max"], tax["n_documents_for_value"]) == (790e8, 800e8, 1)
    assert tax["sources_disagree"] is True


def test_one_source_never_disagrees(disagreeing):
    expenditure = series_row(disagreeing, "gpb_expenditure", "level")
    assert expenditure["sources_disagree"] is False and expenditure["n_documents"] == 1


@pytest.mark.parametrize("package", ["published", "disagreeing"])
def test_sources_disagree_exactly_where_conflicts_lists_the_row(package, request):
    package = request.getfixturevalue(package)
    _, conflicts = rows(package, "FROM conflicts")
    conflicting = {tuple(c[k] for k in SERIES_KEY) for c in conflicts}
    _, series = rows(package, "FROM indicator_series")
    assert series
    for row in series:
        assert row["sources_disagree"] == (tuple(row[k] for k in SERIES_KEY) in conflicting), row


def readme_section_queries() -> list[str]:
    """The worked queries of the README's "Query the DuckDB file" section, as they stand."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Query the DuckDB file\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def readme_query(package: Path, number: int) -> tuple[list[str], list[dict]]:
    return rows(package, readme_section_queries()[number - 1])


def test_readme_has_five_worked_queries():
    assert len(readme_section_queries()) == 5


def test_readme_query_1_ranks_regions_by_expenditure_growth(published):
    columns, found = readme_query(published, 1)
    assert columns[:3] == ["region_name", "region_level", "growth_percent"]
    assert (found[0]["region_name"], found[0]["growth_percent"]) == ("深圳市", 9.4)
    growth = [r["growth_percent"] for r in found]
    assert growth == sorted(growth, reverse=True)


def test_readme_query_2_lists_special_bond_figures_with_sentence_and_page(published):
    columns, found = readme_query(published, 2)
    assert {"value_text", "quote", "page", "source_name"} <= set(columns)
    assert {r["value_text"] for r in found} >= {"60亿元", "30亿元"}
    assert all(r["value_text"] in r["quote"] and r["page"] for r in found)


def test_readme_query_3_gives_one_regions_series(published):
    columns, found = readme_query(published, 3)
    assert {"period_start", "period_end", "measure", "value", "n_documents", "sources_disagree"} <= set(columns)
    assert any(r["measure"] == "growth" and r["value"] == 7.1 for r in found)
    periods = [(r["period_start"], r["period_end"]) for r in found]
    assert periods == sorted(periods)


def test_readme_query_4_lists_conflicts_with_both_sources(published, disagreeing):
    columns, found = readme_query(published, 4)
    assert {"indicator_label_zh", "region_name", "value_text_a", "source_a",
            "value_text_b", "source_b"} <= set(columns)
    assert found == []  # the sample is one document
    _, found = readme_query(disagreeing, 4)
    assert {(r["indicator_label_zh"], frozenset((r["value_text_a"], r["value_text_b"]))) for r in found} \
        == {("一般公共预算收入", frozenset(("1000亿元", "1020亿元"))),
            ("一般公共预算收入", frozenset(("5%", "5.2%"))),
            ("税收收入", frozenset(("800亿元", "790亿元")))}
    assert all(r["region_name"] == "青岛市" and r["source_a"] != r["source_b"] for r in found)


def test_readme_query_5_counts_figures_by_source(published, disagreeing):
    _, found = readme_query(published, 5)
    _, total = rows(published, "SELECT count(*) AS n FROM figures")
    assert len(found) == 1 and found[0]["figures"] == total[0]["n"]
    assert found[0]["source_name"] == "000_e2f70265a3651288.txt"
    _, found = readme_query(disagreeing, 5)
    assert {r["source_name"]: r["figures"] for r in found} == {"a.txt": 3, "b.txt": 3, "c.txt": 3}
    assert {r["title"] for r in found} == {"青岛市2023年预算执行情况", "关于青岛市2023年预算执行情况的报告",
                                           "青岛财政简报"}


@pytest.mark.parametrize("sql", re.findall(r"```sql\n(.*?)```",
                                           (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"),
                                           flags=re.S))
def test_every_query_in_the_readme_runs_on_the_published_file(published, sql):
    columns, _ = rows(published, sql)
    assert columns
