"""The published data dictionary: generated from schemas/, every column in Chinese and English."""
from __future__ import annotations

import hashlib
import json

from flows.dictionary import DICTIONARY_NAME, data_dictionary, markdown
from flows.metadata import resource_names, table_schema, views


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def test_data_dictionary_has_every_resource_field_and_value_in_both_languages(published):
    text = (published / DICTIONARY_NAME).read_text(encoding="utf-8")
    for name in resource_names():
        schema = table_schema(name)
        for key in ("title", "title_zh", "description", "description_zh"):
            assert schema[key] in text, (name, key)
        for field in schema["fields"]:
            assert f"| `{field['name']}` |" in text, (name, field["name"])
            for key in ("title", "title_zh", "description", "description_zh"):
                assert markdown_cell(field[key]) in text, (name, field["name"], key)
            for category in field.get("categories", []):
                assert (f"| `{category['value']}` | {markdown_cell(category['label_zh'])} "
                        f"| {markdown_cell(category['label'])} |") in text
    for view in views():
        assert f"`{view['name']}`" in text and view["description"] in text
        assert all(markdown_cell(d) in text for d in view["columns"].values())
    for indicator in data_dictionary()["indicators"]:
        assert f"| `{indicator['code']}` | {indicator['label_zh']} | {indicator['label_en']} |" in text


def test_the_descriptor_lists_the_dictionary_with_its_hash(published):
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r["path"] == DICTIONARY_NAME)
    assert entry["hash"] == "sha256:" + hashlib.sha256((published / DICTIONARY_NAME).read_bytes()).hexdigest()


def test_a_views_chinese_text_is_used_where_given(monkeypatch):
    view = {"name": "totals", "description": "Totals.", "description_zh": "合计。",
            "columns": {"a": "First.", "b": "Second."}, "columns_zh": {"a": "第一列。"}, "sql": "SELECT 1"}
    monkeypatch.setattr("flows.dictionary.views", lambda: [view])
    text = markdown(data_dictionary())
    assert "合计。\n\nTotals." in text
    assert "| `a` | 第一列。 | First. |" in text and "| `b` |  | Second. |" in text
