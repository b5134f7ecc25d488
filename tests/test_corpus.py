"""The shared corpora through the real flow: every gold figure's number and unit survive cleaning."""
from __future__ import annotations

import csv

import pytest

from conftest import SHARED, shared_path
from flows.clean import drop_meaningless_spaces, normalise_characters

csv.field_size_limit(1 << 30)


@pytest.fixture(scope="module")
def corpus_package(run_flow, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "cnfiscal"
    run_flow([shared_path("corpus/seed"), shared_path("corpus/dev")], out)
    return out


def test_every_shared_source_becomes_a_document(corpus_package):
    with open(corpus_package / "data" / "documents.csv", encoding="utf-8-sig", newline="") as handle:
        names = {d["source_name"] for d in csv.DictReader(handle)}
    expected = {p.name for folder in ("seed", "dev") for p in (SHARED / "corpus" / folder).glob("*.txt")}
    assert names == expected


def test_every_gold_number_and_unit_occurs_in_the_cleaned_text(corpus_package):
    with open(corpus_package / "data" / "documents.csv", encoding="utf-8-sig", newline="") as handle:
        texts = {d["source_name"].rsplit(".", 1)[0]: d["text"] for d in csv.DictReader(handle)}
    missing = []
    for gold_file in sorted((SHARED / "gold").glob("*.csv")):
        with open(gold_file, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                written = drop_meaningless_spaces(normalise_characters(row["value_text"]))
                if written not in texts[row["doc"]]:
                    missing.append((row["doc"], row["value_text"]))
    assert missing == []


def test_no_text_is_left_traditional_or_with_pinyin(corpus_package):
    with open(corpus_package / "data" / "documents.csv", encoding="utf-8-sig", newline="") as handle:
        text = "".join(d["text"] for d in csv.DictReader(handle))
    for traditional in ("財政", "億元", "增長", "預算"):
        assert traditional not in text
    assert "(wàn)" not in text and "(zhǎng)" not in text
