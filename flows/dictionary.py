"""The data dictionary: every resource, column, enumeration, view and indicator, in Chinese and
English, as data and as data-dictionary.md.

Everything comes from schemas/ (titles, descriptions, units and categories in both languages),
schemas/views.json and the indicators codelist; the dataset page renders the same structure.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.codelists import read_codelist
from flows.metadata import dataset_descriptor, resource_names, table_schema, views

DICTIONARY_NAME = "data-dictionary.md"
TYPE_ZH = {"string": "文本", "integer": "整数", "number": "数值", "boolean": "布尔值", "date": "日期"}
# Table Schema constraints, in the order they are listed; enum is shown as the value table.
CONSTRAINT_NAMES = {"required": ("required", "必填"), "unique": ("unique", "唯一"),
                    "pattern": ("pattern", "格式"), "minimum": ("minimum", "最小值"),
                    "maximum": ("maximum", "最大值")}


def _constraints(field: dict[str, Any]) -> list[dict[str, str | None]]:
    """A field's constraints as {en, zh, value}: value is None for flags such as required."""
    given = field.get("constraints", {})
    return [{"en": en, "zh": zh, "value": None if given[key] is True else str(given[key])}
            for key, (en, zh) in CONSTRAINT_NAMES.items() if key in given and given[key] is not False]


def _field_entry(field: dict[str, Any]) -> dict[str, Any]:
    return {"name": field["name"], "type": field["type"], "type_zh": TYPE_ZH[field["type"]],
            "title": field["title"], "title_zh": field["title_zh"],
            "description": field["description"], "description_zh": field["description_zh"],
            "unit": field.get("unit"), "unit_zh": field.get("unit_zh"),
            "constraints": _constraints(field), "categories": field.get("categories", [])}


def _resource_entry(name: str) -> dict[str, Any]:
    schema = table_schema(name)
    return {"name": name, "title": schema["title"], "title_zh": schema["title_zh"],
            "description": schema["description"], "description_zh": schema["description_zh"],
            "primary_key": schema.get("primaryKey", []),
            # An empty reference resource means the resource itself (regions.parent_code).
            "foreign_keys": [{"fields": fk["fields"], "resource": fk["reference"]["resource"] or name,
                              "reference_fields": fk["reference"]["fields"]}
                             for fk in schema.get("foreignKeys", [])],
            "fields": [_field_entry(f) for f in schema["fields"]]}


def _view_entry(view: dict[str, Any]) -> dict[str, Any]:
    """A view; its Chinese text is optional in schemas/views.json (description_zh, columns_zh)."""
    columns_zh = view.get("columns_zh", {})
    return {"name": view["name"], "description": view["description"],
            "description_zh": view.get("description_zh"),
            "columns": [{"name": column, "description": text, "description_zh": columns_zh.get(column)}
                        for column, text in view["columns"].items()]}


def indicator_groups() -> dict[str, dict[str, str]]:
    """Indicator groups in their schema order, with their English and Chinese labels."""
    group = next(f for f in table_schema("indicators")["fields"] if f["name"] == "group")
    return {c["value"]: {"label": c["label"], "label_zh": c["label_zh"]} for c in group["categories"]}


def _indicator_entries() -> list[dict[str, str]]:
    """The indicators codelist, grouped in the groups' order, codelist order within a group."""
    order = list(indicator_groups())
    rows = read_codelist("indicators").to_pylist()
    return [{k: row[k] for k in ("code", "label_zh", "label_en", "group")}
            for row in sorted(rows, key=lambda r: order.index(r["group"]))]


def data_dictionary() -> dict[str, Any]:
    """The dictionary as data: the dataset, resources with fields, views, indicators, groups."""
    dataset = dataset_descriptor()
    return {"title": dataset["title"], "title_zh": dataset["title_zh"], "version": dataset["version"],
            "resources": [_resource_entry(n) for n in resource_names()],
            "views": [_view_entry(v) for v in views()],
            "indicators": _indicator_entries(), "groups": indicator_groups()}


def _cell(text: str | None) -> str:
    """Text for a Markdown table cell: pipes escaped, on one line."""
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def constraint_text(constraint: dict[str, str | None], code: Callable[[str], str]) -> str:
    """'必填 required' or '格式 pattern <code>…</code>', with `code` formatting the value."""
    label = f"{constraint['zh']} {constraint['en']}"
    return label if constraint["value"] is None else f"{label} {code(constraint['value'])}"


def key_text(entry: dict[str, Any], code: Callable[[str], str]) -> tuple[str, list[str]]:
    """A resource's primary key and its foreign keys (fields → resource.fields), as text."""
    primary = ", ".join(code(k) for k in entry["primary_key"])
    foreign = [", ".join(code(f) for f in fk["fields"]) + " → "
               + ", ".join(code(f"{fk['resource']}.{f}") for f in fk["reference_fields"])
               for fk in entry["foreign_keys"]]
    return primary, foreign


def _resource_markdown(entry: dict[str, Any]) -> list[str]:
    primary, foreign = key_text(entry, _code)
    lines = [f"## `{entry['name']}` — {entry['title_zh']} · {entry['title']}", "",
             entry["description_zh"], "", entry["description"], "",
             f"- 主键 Primary key: {primary}"]
    lines += [f"- 外键 Foreign key: {fk}" for fk in foreign]
    lines += ["", "| 字段 Field | 类型 Type | 单位 Unit | 约束 Constraints | 中文说明 | English |",
              "|---|---|---|---|---|---|"]
    for f in entry["fields"]:
        unit = f"{f['unit_zh']} · {f['unit']}" if f["unit"] else ""
        constraints = "; ".join(constraint_text(c, _code) for c in f["constraints"])
        if f["categories"]:
            constraints = "; ".join(filter(None, [constraints, "取值见下表 values below"]))
        lines.append(f"| {_code(f['name'])} | {f['type_zh']} {f['type']} | {_cell(unit)} "
                     f"| {constraints} | **{_cell(f['title_zh'])}**：{_cell(f['description_zh'])} "
                     f"| **{_cell(f['title'])}**: {_cell(f['description'])} |")
    for f in entry["fields"]:
        if f["categories"]:
            lines += ["", f"### `{entry['name']}.{f['name']}` 取值 Values", "",
                      "| 值 Value | 中文含义 | Meaning |", "|---|---|---|"]
            lines += [f"| {_code(c['value'])} | {_cell(c['label_zh'])} | {_cell(c['label'])} |"
                      for c in f["categories"]]
    return lines + [""]


def _view_markdown(view: dict[str, Any]) -> list[str]:
    lines = [f"### `{view['name']}`", ""]
    lines += [view["description_zh"], ""] if view["description_zh"] else []
    lines += [view["description"], "", "| 列 Column | 中文说明 | English |", "|---|---|---|"]
    lines += [f"| {_code(c['name'])} | {_cell(c['description_zh'])} | {_cell(c['description'])} |"
              for c in view["columns"]]
    return lines + [""]


def markdown(dictionary: dict[str, Any]) -> str:
    """data-dictionary.md: the dictionary for people, in Chinese and English."""
    groups = dictionary["groups"]
    lines = [f"# {dictionary['title_zh']} — 数据字典 · Data dictionary", "",
             f"{dictionary['title']}, version {dictionary['version']}.", "",
             "本字典由数据包的表结构（Table Schema）自动生成；datapackage.json 与 DuckDB 文件中的注释"
             "出自同一来源。", "",
             "Generated from the package's Table Schemas, the same source as datapackage.json and "
             "the comments in the DuckDB file.", "",
             "## 资源 Resources", "", "| 资源 Resource | 中文 | English |", "|---|---|---|"]
    lines += [f"| {_code(r['name'])} | {_cell(r['title_zh'])} | {_cell(r['title'])} |"
              for r in dictionary["resources"]]
    lines.append("")
    for entry in dictionary["resources"]:
        lines += _resource_markdown(entry)
    lines += ["## 视图 Views (DuckDB)", "",
              "cnfiscal.duckdb 中的视图。Views in cnfiscal.duckdb.", ""]
    for view in dictionary["views"]:
        lines += _view_markdown(view)
    lines += ["## 指标 Indicators", "",
              "| 代码 Code | 中文名称 | English label | 指标组 Group |", "|---|---|---|---|"]
    lines += [f"| {_code(i['code'])} | {_cell(i['label_zh'])} | {_cell(i['label_en'])} "
              f"| {groups[i['group']]['label_zh']} {_code(i['group'])} |"
              for i in dictionary["indicators"]]
    return "\n".join(lines) + "\n"


def write_dictionary(folder: Path) -> Path:
    """Write <folder>/data-dictionary.md."""
    path = folder / DICTIONARY_NAME
    path.write_text(markdown(data_dictionary()), encoding="utf-8")
    return path
