"""The dataset page of a published package, and the page opened in headless Chromium."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from browser import CHROMIUM, open_page
from flows.dictionary import data_dictionary
from flows.metadata import resource_names
from flows.publish import DUCKDB_NAME
from flows.site import CONTENT_SECURITY_POLICY, FONT_STACK, SITE_NAME, render_page, write_site

SECTIONS = ("counts", "coverage", "charts", "dictionary", "downloads", "cite")
DOWNLOAD_ROW = re.compile(r'<tr><td><a href="([^"]+)">.*?data-bytes="(\d+)".*?'
                          r'<code class="sha256">([0-9a-f]{64})</code></td></tr>')


def test_downloads_list_every_other_file_with_its_size_and_sha256(published):
    page = (published / SITE_NAME).read_text(encoding="utf-8")
    rows = DOWNLOAD_ROW.findall(page)
    files = {p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file()}
    assert sorted(path for path, _, _ in rows) == sorted(files - {SITE_NAME})
    for path, size, sha256 in rows:
        data = (published / path).read_bytes()
        assert int(size) == len(data) and sha256 == hashlib.sha256(data).hexdigest(), path


def test_the_descriptor_does_not_list_the_page(published):
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    assert SITE_NAME not in [r["path"] for r in descriptor["resources"]]


def test_page_counts_match_the_data(published):
    page = (published / SITE_NAME).read_text(encoding="utf-8")
    report = json.loads((published / "validation-report.json").read_text(encoding="utf-8"))
    for name in ("documents", "figures", "rejections"):
        count = re.search(rf'<div id="count-{name}"><dt>.*?</dt><dd>([\d,]+)</dd>', page).group(1)
        assert int(count.replace(",", "")) == report["summary"]["rows"][name]


def test_page_bytes_follow_from_the_package_files(published, published_again, tmp_path):
    """DuckDB writes a random identifier into every new database file's header, so two runs'
    cnfiscal.duckdb differ in their sha256 and so do their pages, in that hash alone; from the
    same files the page is the same to the byte."""
    def page_without_duckdb_hash(package: Path) -> str:
        digest = hashlib.sha256((package / DUCKDB_NAME).read_bytes()).hexdigest()
        return (package / SITE_NAME).read_text(encoding="utf-8").replace(digest, "<duckdb sha256>")
    assert page_without_duckdb_hash(published) == page_without_duckdb_hash(published_again)

    copy = tmp_path / "copy"
    shutil.copytree(published.resolve(), copy)
    (copy / SITE_NAME).unlink()
    write_site(copy)
    assert (copy / SITE_NAME).read_bytes() == (published / SITE_NAME).read_bytes()


def test_text_from_the_data_is_escaped():
    descriptor = {"title": "T <i>", "title_zh": "标题 <i>", "description": "D", "description_zh": "说明",
                  "version": "1", "licenses": [{"name": "CC-BY-4.0", "path": "https://x/", "title": "L"}]}
    facts = {"counts": dict.fromkeys(["documents", "figures", "rejections", "regions", "indicators",
                                      "regions_listed", "indicators_listed"], 1),
             "coverage": [("370200", "<script>青岛</script>", 2022, 3)],
             "groups": {"revenue": 3},
             "levels": [{"indicator": "gpb_revenue", "figures": 1, "label_zh": "收入&", "label_en": "Revenue&",
                         "year": 2022, "region_code": "370200", "name": "<b>青岛</b>", "value": 1e9,
                         "value_text": "10亿元"}]}
    files = [{"path": 'a"b.csv', "bytes": 1, "sha256": "0" * 64, "title": ("<zh>", "<en>")}]
    page = render_page(descriptor, facts, data_dictionary(), files)
    assert "<script>" not in page and "<b>青岛" not in page and "<i>" not in page
    assert "&lt;script&gt;青岛&lt;/script&gt;" in page and 'href="a&quot;b.csv"' in page
    assert "收入&amp;" in page and "&lt;zh&gt;" in page


def test_the_browser_check_sees_requests_console_errors_and_blocked_loads(tmp_path):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (make test installs it with apt-get where it can)")
    open_page_ = tmp_path / "open.html"
    open_page_.write_text('<!DOCTYPE html><meta charset="utf-8"><img src="http://127.0.0.1:9/x.png">'
                          '<script>console.error("boom")</script>', encoding="utf-8")
    report = open_page(open_page_, tmp_path / "open.png")
    assert "http://127.0.0.1:9/x.png" in report.requests
    assert any("boom" in e for e in report.errors)

    guarded = tmp_path / "guarded.html"
    guarded.write_text('<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
                       f'content="{CONTENT_SECURITY_POLICY}"><img src="http://127.0.0.1:9/x.png">',
                       encoding="utf-8")
    report = open_page(guarded, tmp_path / "guarded.png")  # the request is made, and refused:
    assert any("Content Security Policy" in e for e in report.errors), report.errors


def test_the_page_opens_in_chromium_without_errors_or_requests(published, tmp_path, capsys):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (make test installs it with apt-get where it can)")
    page = (published / SITE_NAME).resolve()
    screenshot = tmp_path / "index.png"
    report = open_page(page, screenshot, font_selectors=("h1", "#coverage h2", "#svg-groups text"))
    with capsys.disabled():
        print(f"\nscreenshot of {page}: {screenshot}")
    assert report.errors == []
    assert report.requests == [page.as_uri()]
    for section in SECTIONS:
        assert f'id="{section}"' in report.dom, section
    for name in resource_names():
        assert f'id="dict-{name}"' in report.dom, name
    assert report.dom.count("<svg") == 3
    for selector, fonts in report.fonts.items():  # Chinese drawn with a CJK font, not as boxes
        assert any(f'"{family}"' in FONT_STACK for family in fonts), (selector, fonts)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
