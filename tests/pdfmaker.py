"""Make small CJK PDFs for tests with reportlab's built-in STSong-Light font."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from reportlab.lib.pagesizes import A5
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
SIZE = 12
LINE_WIDTH = 32  # in half-width cells: 16 Chinese characters
LINES_PER_PAGE = 8


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WFA" else 1


def wrap(paragraph: str) -> list[tuple[str, bool]]:
    """Lines of a paragraph filled to the measure, the first indented by two characters."""
    lines, line, width, first = [], "", 0, True
    for ch in paragraph:
        measure = LINE_WIDTH - 4 if first else LINE_WIDTH
        if width + _cells(ch) > measure and ch not in "，。、；：”）%":  # no line starts with these
            lines.append((line, first))
            line, width, first = "", 0, False
        line, width = line + ch, width + _cells(ch)
    return lines + [(line, first)]


def make_pdf(path: Path, paragraphs: list[str], running_head: str = "财政动态",
             first_page: int = 1, **canvas_options) -> int:
    """Typeset paragraphs over as many pages as they need; returns the number of pages."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    page = canvas.Canvas(str(path), pagesize=A5, invariant=1, **canvas_options)
    lines = [line for paragraph in paragraphs for line in wrap(paragraph)]
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    for number, page_lines in enumerate(pages, start=first_page):
        page.setFont(FONT, 9)
        page.drawString(40, 560, running_head)
        page.setFont(FONT, SIZE)
        for row, (line, indented) in enumerate(page_lines):
            page.drawString(40 + (2 * SIZE if indented else 0), 520 - row * 20, line)
        page.setFont(FONT, 9)
        page.drawString(200, 30, str(number))
        page.showPage()
    page.save()
    return len(pages)


def make_blank_pdf(path: Path) -> None:
    """A PDF whose page holds only a drawing: what a scan without OCR looks like."""
    page = canvas.Canvas(str(path), pagesize=A5, invariant=1)
    page.rect(50, 50, 200, 300, fill=1)
    page.showPage()
    page.save()
