"""schemas/ is the single source: DDL, comments, Arrow types and the descriptor follow from it."""
from __future__ import annotations

import csv
import json
import re

import duckdb
import pyarrow as pa

from conftest import PROJECT_ROOT, shared_path
from flows.codelists import NATION_CODE, read_codelist
from flows.codelists.build_regions import short_name
from flows.metadata import arrow_schema, duckdb_ddl, resource_names, table_schema
from flows.rules import RULES_DIR

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_every_contract_resource_has_a_documented_schema():
    assert resource_names() == ["documents", "passages", "figures", "figure_flags", "indicators",
                              "regions", "rejections"]
    for name in resource_names():
        schema = table_schema(name)
        assert schema["description"] and schema["primaryKey"]
        assert all(f.get("description") and f.get("title") for f in schema["fields"])


def test_every_schema_and_field_has_a_chinese_title_and_description():
    for name in resource_names():
        schema = table_schema(name)
        for described in [schema, *schema["fields"]]:
            for key in ("title_zh", "description_zh"):
                assert CHINESE.search(described.get(key, "")), (name, described.get("name"), key)


def test_every_enumerated_value_has_a_meaning_in_both_languages():
    for name in resource_names():
        for field in table_schema(name)["fields"]:
            categories = field.get("categories", [])
            assert [c["value"] for c in categories] == field.get("constraints", {}).get("enum", [])
            assert all(c["label"] and CHINESE.search(c["label_zh"]) for c in categories), field["name"]
            assert ("unit" in field) == ("unit_zh" in field), field["name"]


def test_contract_columns_are_all_present():
    contract = shared_path("spec/DATA-CONTRACT.md").read_text(encoding="utf-8")
    for name in ("documents", "figures", "passages"):
        section = contract.split(f"### {name}")[1].split("###")[0]
        for line in section.splitlines():
            if line.startswith("| ") and not line.startswith("| column"):
                for column in line.split("|")[1].split(","):
                    assert column.strip() in {f["name"] for f in table_schema(name)["fields"]}


def test_generated_ddl_creates_commented_constrained_tables():
    with duckdb.connect() as con:
        for statement in duckdb_ddl("figures"):
            con.execute(statement)
        comments = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'figures'").fetchall()
        assert len(comments) == len(table_schema("figures")["fields"]) and all(c for (c,) in comments)
        con.execute("INSERT INTO figures (figure_id, document_id, char_start, char_end, value_text, "
                    "value, unit, measure, qualifier, quote, rule) VALUES "
                    "('a', 'd', 0, 1, '1', 1, 'CNY', 'level', 'exact', 'q', 'r')")
        try:
            con.execute("UPDATE figures SET unit = 'USD'")
            raise AssertionError("the enum CHECK did not refuse USD")
        except duckdb.ConstraintException:
            pass


def test_arrow_types_follow_table_schema_types():
    schema = arrow_schema("figures")
    assert schema.field("value").type == pa.float64()
    assert schema.field("period_start").type == pa.date32()
    assert schema.field("char_start").type == pa.int64() and not schema.field("char_start").nullable
    assert schema.field("rank_of").nullable


def test_indicators_start_from_the_shared_codelist_and_keep_its_codes():
    ours = {r["code"] for r in read_codelist("indicators").to_pylist()}
    with open(shared_path("codelists/indicators.csv"), encoding="utf-8") as handle:
        assert {r["code"] for r in csv.DictReader(handle)} <= ours


def test_regions_form_one_tree_under_the_nation():
    regions = {r["code"]: r for r in read_codelist("regions").to_pylist()}
    assert regions[NATION_CODE]["level"] == "nation" and regions[NATION_CODE]["parent_code"] is None
    for code, row in regions.items():
        if code != NATION_CODE:
            assert row["parent_code"] in regions, code
    assert regions["370200"]["parent_code"] == "370000" and regions["370200"]["short_name"] == "青岛"
    assert regions["440300"]["level"] == "prefecture"
    assert {r["level"] for r in regions.values()} == {"nation", "province", "prefecture", "county"}
    record = json.loads((PROJECT_ROOT / "flows/codelists/regions.source.json").read_text(encoding="utf-8"))
    assert record["rows"] == len(regions) and record["license"] == "MIT"


def test_short_names_drop_suffixes_and_ethnic_groups():
    assert short_name("广西壮族自治区") == "广西"
    assert short_name("延边朝鲜族自治州") == "延边"
    assert short_name("长阳土家族自治县") == "长阳"
    assert short_name("青岛市") == "青岛"
    assert short_name("矿区") == "矿区"


def test_every_rule_table_row_has_exactly_its_header_fields():
    """An unquoted comma in a pattern ({0,12}) silently splits it: the rule would never match."""
    for path in sorted(RULES_DIR.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                assert None not in row and None not in row.values(), f"{path.name}: {row}"
