"""Finding and decoding inputs: every input becomes a document or a rejection with a reason."""
from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from conftest import process_folder
from flows.clean import clean_document
from flows.extract import decode_text, read_all
from flows.fetch import RawStore
from flows.incremental import code_version, process_batch
from flows.records import PipelineError, RawDocument, Rejection, Source
from flows.sources import discover_sources, read_manifest

TEXT = "全市税收收入完成80亿元，同比增长5.2%。"
TRADITIONAL = "全市稅收收入完成80億元，同比增長5.2%。財政支出穩步增長，民生保障有力。"


def run_extract(folder: Path, max_bytes: int = 10**6):
    documents, _, _, rejections = process_folder(folder, max_bytes)
    return documents, rejections


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
    (TEXT.encode("gbk"), "gb18030"),
    (TRADITIONAL.encode("big5"), "big5"),
])
def test_text_in_every_common_encoding_is_decoded_and_named(data, encoding):
    text, detected = decode_text(data)
    assert detected == encoding
    assert text in (TEXT, TRADITIONAL)


def test_every_encoding_of_one_passage_cleans_to_the_same_document_text(tmp_path):
    """GBK, Big5 (traditional), UTF-16 and UTF-8-BOM copies give the same documents.text."""
    simplified = "全市稅收收入完成80億元，同比增長5.2%。財政支出穩步增長，民生保障有力。"
    copies = {"gbk.txt": simplified.encode("gb18030"), "big5.txt": simplified.encode("big5"),
              "utf16.txt": codecs.BOM_UTF16_LE + simplified.encode("utf-16-le"),
              "bom.txt": codecs.BOM_UTF8 + simplified.encode("utf-8")}
    texts = set()
    for name, data in copies.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_bytes(data)
        documents, rejections = run_extract(folder)
        assert rejections == []
        texts.add(documents[0]["text"])
    assert texts == {"全市税收收入完成80亿元，同比增长5.2%。财政支出稳步增长，民生保障有力。"}


def test_folder_sources_come_sorted_with_manifest_metadata(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "a.txt", "sub/c.htm", "notes.docx"):
        (tmp_path / name).write_text(TEXT, encoding="utf-8")
    (tmp_path / "sources.csv").write_text("path,title,published\n./a.txt,甲,2022\n", encoding="utf-8")
    found, refused = discover_sources([tmp_path])
    assert [s.source_uri for s in found] == ["a.txt", "b.txt", "sub/c.htm"] and refused == []
    assert found[0].manifest == {"path": "./a.txt", "title": "甲", "published": "2022"}


def test_manifest_with_unknown_columns_is_refused(tmp_path):
    (tmp_path / "sources.csv").write_text("file,colour\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="unknown columns"):
        read_manifest(tmp_path / "sources.csv")


def test_each_bad_input_is_rejected_with_its_reason(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "same.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "latin1.txt").write_bytes("Précis du budget, coût £".encode("latin-1"))
    (corpus / "big.txt").write_text(TEXT * 200, encoding="utf-8")
    (corpus / "truncated.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    (tmp_path / "outside.txt").write_text(TEXT + "外", encoding="utf-8")
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    (corpus / "sources.csv").write_text(
        "path,sha256,url\n"
        f"ok.txt,{digest},\n"
        f"tampered.txt,{digest},\n"
        "gone.txt,,\n"
        "../outside.txt,,\n"
        ",,ftp://example.org/r.txt\n", encoding="utf-8")
    (corpus / "tampered.txt").write_text(TEXT + "改", encoding="utf-8")
    documents, rejections = run_extract(corpus, max_bytes=5000)
    assert [d["source_uri"] for d in documents] == ["ok.txt"]
    assert {r.source_uri: r.error_code for r in rejections} == {
        "../outside.txt": "path_escapes_manifest", "ftp://example.org/r.txt": "unsupported_scheme",
        "big.txt": "too_large", "binary.txt": "binary", "empty.txt": "empty",
        "gone.txt": "unreadable", "latin1.txt": "undecodable", "same.txt": "duplicate_content",
        "tampered.txt": "sha256_mismatch", "truncated.pdf": "pdf_damaged"}
    for r in rejections:
        assert r.reason.startswith(r.source_uri) and len(r.reason) > len(r.source_uri) + 12, r


def test_every_accepted_input_is_snapshotted_in_the_raw_store(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT, encoding="utf-8")
    documents, _ = run_extract(corpus)
    store = RawStore(tmp_path / "raw-store")
    assert store.object_path(documents[0]["sha256"]).read_bytes() == TEXT.encode()
    origins = (tmp_path / "raw-store" / "origins" / f"{documents[0]['sha256']}.jsonl").read_text(encoding="utf-8")
    assert str((corpus / "a.txt").resolve()) in origins and '"bytes": ' in origins


def test_a_file_changed_after_the_run_read_it_is_rejected_alone(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "b.txt").write_text(TEXT + "非税收入增长3%。", encoding="utf-8")
    store = RawStore(tmp_path / "raw-store")
    raws, _ = read_all(discover_sources([corpus])[0], store, 10**6)
    (corpus / "a.txt").write_text(TEXT + "税收收入增长6%。", encoding="utf-8")
    batch = process_batch(raws, store, None, code_version())
    (rejection,) = batch.rejections
    assert rejection.error_code == "changed_during_run"
    assert "a.txt: changed while the run was reading it" in rejection.reason
    assert [d["source_uri"] for d in batch.documents] == [raws[1].source.source_uri]


@pytest.mark.parametrize("manifest, code", [
    ({"region": "火星"}, "bad_region"),
    ({"region": "朝阳"}, "bad_region"),  # districts and a prefecture share the name
    ({"published": "May 2022"}, "bad_published"),
    ({"page_start": "xii"}, "bad_page_start"),
])
def test_bad_manifest_metadata_is_rejected_when_cleaning(tmp_path, manifest, code):
    raw = RawDocument(Source("a.txt", "a.txt", tmp_path / "a.txt", manifest), "0" * 64,
                      "text/plain", "utf-8", TEXT)
    rejection = clean_document(raw)
    assert isinstance(rejection, Rejection)
    assert (rejection.error_code, rejection.stage) == (code, "clean")
