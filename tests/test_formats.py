"""PDF and HTML sources through extract and clean, made here with real tools."""
from __future__ import annotations

from pathlib import Path

from conftest import process_folder
from pdfmaker import make_blank_pdf, make_pdf

PARAGRAPHS = [
    "2023年，全县一般公共预算收入完成12.6亿元，同比增长5.1%，其中税收收入9.8亿元，非税收入2.8亿元。",
    "全县一般公共预算支出完成45.3亿元，增长3.2%，民生支出占比达到80.5%，教育支出8.1亿元。",
    "统筹资金保障重点项目建设，新增债券36亿元，运用“财政投资 + 专项债券”机制推进城市更新，全年实施项目46个。",
    "下一步，将持续优化支出结构，兜牢基层“三保”底线，确保财政运行平稳。",
]


def extract_folder(folder: Path):
    documents, passages, _, rejections = process_folder(folder)
    return documents, passages, rejections


def test_a_two_page_pdf_cleans_to_its_source_text_with_pages(tmp_path):
    folder = tmp_path / "pdf"
    folder.mkdir()
    assert make_pdf(folder / "report.pdf", PARAGRAPHS, first_page=1) == 2
    documents, passages, rejections = extract_folder(folder)
    assert rejections == []
    assert documents[0]["text"] == "\n".join(PARAGRAPHS)
    assert documents[0]["media_type"] == "application/pdf" and documents[0]["n_pages"] == 2
    assert [p["page"] for p in passages] == [1, 1, 1, 2]  # the third paragraph starts on page 1
    assert "财政动态" not in documents[0]["text"]  # the running head is furniture


def test_manifest_page_start_numbers_pdf_pages(tmp_path):
    folder = tmp_path / "pdf"
    folder.mkdir()
    make_pdf(folder / "report.pdf", PARAGRAPHS)
    (folder / "sources.csv").write_text("path,page_start\nreport.pdf,41\n", encoding="utf-8")
    _, passages, _ = extract_folder(folder)
    assert [p["page"] for p in passages] == [41, 41, 41, 42]


def test_encrypted_damaged_and_image_only_pdfs_are_rejected_with_reasons(tmp_path):
    folder = tmp_path / "pdf"
    folder.mkdir()
    make_pdf(folder / "locked.pdf", PARAGRAPHS, encrypt="secret")
    make_blank_pdf(folder / "scan.pdf")
    good = folder / "good.pdf"
    make_pdf(good, PARAGRAPHS)
    (folder / "cut.pdf").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    documents, _, rejections = extract_folder(folder)
    assert [d["source_name"] for d in documents] == ["good.pdf"]
    reasons = {r.source_uri: (r.error_code, r.reason) for r in rejections}
    assert reasons["locked.pdf"][0] == "pdf_encrypted"
    assert reasons["scan.pdf"] == ("pdf_no_text", "scan.pdf: is a PDF with no text layer; OCR is not supported")
    assert reasons["cut.pdf"][0] == "pdf_damaged"


PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>全县财政收支情况</title>
<script>window.tracker = {{"id": 12345}};</script><style>p {{ color: red }}</style></head>
<body><div class="nav"><a href="/">首页</a> | <a href="/news">新闻中心</a> | <a href="/contact">联系我们</a></div>
<div class="article"><h1>全县财政收支情况</h1>
{paragraphs}
</div>
<div class="footer">版权所有 某县财政局 电话：0000-1234567 备案号：12345号</div>
</body></html>"""


def test_html_main_text_is_extracted_without_navigation_scripts_or_footer(tmp_path):
    folder = tmp_path / "html"
    folder.mkdir()
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    (folder / "utf8.html").write_text(PAGE.format(charset="utf-8", paragraphs=body), encoding="utf-8")
    (folder / "gbk.htm").write_bytes(PAGE.format(charset="gb2312", paragraphs=body).encode("gbk"))
    documents, _, rejections = extract_folder(folder)
    assert rejections == []
    for document in documents:
        assert document["text"] == "\n".join(PARAGRAPHS)
        assert document["title"] == "全县财政收支情况" and document["media_type"] == "text/html"
    assert sorted(d["encoding"] for d in documents) == ["gb18030", "utf-8"]


def test_an_html_page_without_main_text_is_rejected(tmp_path):
    folder = tmp_path / "html"
    folder.mkdir()
    (folder / "empty.html").write_text("<html><body><script>var a = 1;</script></body></html>",
                                       encoding="utf-8")
    _, _, rejections = extract_folder(folder)
    assert [(r.error_code, r.stage) for r in rejections] == [("no_main_text", "extract")]
