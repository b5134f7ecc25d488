"""Finding and decoding inputs: every input becomes a document or a rejection with a reason."""
from __future__ import annotations

import codecs
import hashlib

import pytest

from flows.clean import clean
from flows.extract import decode_text, discover_sources, extract, read_manifest
from flows.records import PipelineError, RawDocument, Rejection

TEXT = "全市税收收入完成80亿元。"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
])
def test_unicode_text_is_decoded_with_its_encoding(data, encoding):
    assert decode_text(data) == (TEXT, encoding)


def test_folder_sources_come_sorted_with_manifest_metadata(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "a.txt", "sub/c.htm", "notes.docx"):
        (tmp_path / name).write_text(TEXT, encoding="utf-8")
    (tmp_path / "sources.csv").write_text("path,title,published\na.txt,甲,2022\n", encoding="utf-8")
    sources = discover_sources([tmp_path])
    assert [s.source_uri for s in sources] == ["a.txt", "b.txt", "sub/c.htm"]
    assert sources[0].manifest == {"path": "a.txt", "title": "甲", "published": "2022"}


def test_manifest_with_unknown_columns_is_refused(tmp_path):
    (tmp_path / "sources.csv").write_text("file,colour\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="unknown columns"):
        read_manifest(tmp_path / "sources.csv")


def test_each_bad_input_is_rejected_with_its_reason(tmp_path):
    (tmp_path / "ok.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "same.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(TEXT.encode("gbk"))
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    (tmp_path / "sources.csv").write_text(
        f"path,sha256,url\nok.txt,{digest},\ngone.txt,,\n,,https://example.org/r.txt\n",
        encoding="utf-8")
    raws, rejections = extract(discover_sources([tmp_path]))
    assert [r.source.source_uri for r in raws] == ["ok.txt"]
    codes = {r.source_uri: r.error_code for r in rejections}
    assert codes == {"gbk.txt": "undecodable", "gone.txt": "unreadable", "same.txt": "duplicate_content",
                     "scan.pdf": "unsupported_format", "https://example.org/r.txt": "remote_not_supported"}
    assert all(r.reason and r.stage == "extract" for r in rejections)


@pytest.mark.parametrize("manifest, code", [
    ({"region": "火星"}, "bad_region"),
    ({"region": "朝阳"}, "bad_region"),  # a district and a prefecture share the name
    ({"published": "May 2022"}, "bad_published"),
])
def test_bad_manifest_metadata_is_rejected_when_cleaning(tmp_path, manifest, code):
    path = tmp_path / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    from flows.records import Source
    raw = RawDocument(Source("a.txt", "a.txt", path, manifest), "0" * 64, "text/plain", "utf-8", TEXT)
    rows, rejections = clean([raw])
    assert rows == [] and [r.error_code for r in rejections] == [code]
    assert isinstance(rejections[0], Rejection) and rejections[0].stage == "clean"
