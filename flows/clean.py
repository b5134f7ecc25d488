"""Clean: turn decoded text into simplified, repaired paragraphs that figures can be cited from.

Three repairs, in order:
1. characters — traditional to simplified (OpenCC), full-width digits and letters to ASCII,
   number punctuation, range dashes, mirror sites' pinyin, doubled punctuation (rules/characters.csv);
2. page furniture — page numbers, vertical margin text and running heads are removed, and the page
   breaks they mark number the pages (rules/furniture.csv);
3. wrapped lines — PDF text broken at the margin (often with a blank line after every line, and
   spaces between characters) is rejoined into paragraphs.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from functools import cache

import opencc

from flows.codelists import resolve_region
from flows.records import Paragraph, RawDocument, Rejection
from flows.rules import rule_table
from flows.structure import build_passages

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2026\u2014"
CJK_CHAR = re.compile(f"[{CJK}]")
SPACES = "[ \u00a0\u3000\t]+"
# A space goes only where one side is a CJK character or CJK punctuation and the other is too,
# or a digit: 列 账 159 项 → 列账159项, while 财政投资 + 专项债券 keeps its spaces.
MEANINGLESS_SPACE = re.compile(
    rf"(?<=[{CJK}{CJK_PUNCT}]){SPACES}(?=[{CJK}{CJK_PUNCT}0-9])"
    rf"|(?<=[{CJK}{CJK_PUNCT}0-9%]){SPACES}(?=[{CJK}{CJK_PUNCT}])")
PARAGRAPH_END = tuple("。！？!?；;：:”」")
FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in
                    [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
PAGE_BREAK = "\f"


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _character_rules() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(r["pattern"]), r["replacement"]) for r in rule_table("characters")]


def normalise_characters(text: str) -> str:
    """Simplified characters, ASCII digits and letters, number punctuation and dashes unified."""
    text = _t2s().convert(text).translate(FULL_WIDTH_ASCII)
    for pattern, replacement in _character_rules():
        text = pattern.sub(replacement, text)
    return text


def drop_meaningless_spaces(line: str) -> str:
    """`新增债券 516 亿元` → `新增债券516亿元`; `财政投资 + 专项债券` keeps its spaces."""
    return MEANINGLESS_SPACE.sub("", line).strip()


def display_width(line: str) -> int:
    """Width in half-width cells; CJK characters, full-width forms and CJK quotes count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line)


# --- page furniture --------------------------------------------------------------------------

@cache
def _page_number_patterns() -> list[re.Pattern[str]]:
    return [re.compile(r["pattern"]) for r in rule_table("furniture") if r["kind"] == "page_number"]


def page_number(line: str) -> int | None:
    for pattern in _page_number_patterns():
        match = pattern.match(line.strip())
        if match:
            return int(match.group("number"))
    return None


def _is_vertical_char(line: str) -> bool:
    return len(line) == 1 and re.match(f"[{CJK}]", line) is not None


def _is_running_head(line: str) -> bool:
    """A short caption with no punctuation or digits, like a magazine's column name."""
    return 2 <= len(line) <= 8 and re.fullmatch(f"[{CJK}]+", line) is not None


def split_pages(lines: list[str]) -> list[tuple[int | None, list[str]]]:
    """Cut a page-less text at its furniture blocks; drop the furniture.

    A block is a run of page-number lines, vertical margin text (one character per line, three
    or more) and a running head next to a page number. A page number closes the page it stands
    on: the text before the block is page N and the text after it N + 1."""
    pages: list[tuple[int | None, list[str]]] = []
    current: list[str] = []
    i = 0
    while i < len(lines):
        j, number = i, None
        while j < len(lines):
            run = j
            while run < len(lines) and (_is_vertical_char(lines[run]) or not lines[run]):
                run += 1
            verticals = sum(1 for line in lines[j:run] if line)
            if verticals >= 3:
                j = run
            elif lines[j] and page_number(lines[j]) is not None and (number is None):
                number = page_number(lines[j])
                j += 1
                while j < len(lines) and not lines[j]:
                    j += 1
                if j < len(lines) and _is_running_head(lines[j]):
                    j += 1
            else:
                break
        if j > i and number is not None:
            pages.append((number, current))
            current = []
            i = j
        elif j > i:  # margin text without a page number: furniture, but no page break
            i = j
        else:
            current.append(lines[i])
            i += 1
    pages.append((pages[-1][0] + 1 if pages else None, current))
    return pages


# --- wrapped lines ---------------------------------------------------------------------------

INDENT = (3, 8)  # an indented first line is this many cells narrower than the page


def page_width(widths: list[int]) -> int:
    """The measure lines are set to: the median of the wider half (short last lines and
    indented first lines pull a plain median down)."""
    ordered = sorted(widths)
    return statistics.median_high(ordered[len(ordered) // 2:])


def is_hard_wrapped(widths: list[int], lines: list[str]) -> bool:
    """Layout text: most lines stop mid-sentence, and most reach (or nearly reach) the margin."""
    if len(lines) < 4:
        return False
    measure = page_width(widths)
    open_ended = sum(1 for line in lines if not line.endswith(PARAGRAPH_END))
    near_margin = sum(1 for w in widths if measure - INDENT[1] <= w <= measure + 4)
    return open_ended > 0.5 * len(lines) and near_margin > 0.6 * len(lines)


def paragraph_ends(lines: list[str]) -> list[bool]:
    """Which wrapped lines end a paragraph: a line short of the margin, or the line before an
    indented first line (a little narrower, after a sentence's end, followed by a full line)."""
    widths = [display_width(line) for line in lines]
    measure = page_width(widths)
    full = [w >= measure - 2 for w in widths]
    starts = [measure - INDENT[1] <= w <= measure - INDENT[0]
              and i + 1 < len(lines) and full[i + 1]
              and (i == 0 or not full[i - 1] or lines[i - 1].endswith(PARAGRAPH_END))
              for i, w in enumerate(widths)]
    return [(not full[i] and not starts[i]) or (i + 1 < len(lines) and starts[i + 1])
            for i in range(len(lines))]


NUMBER_EDGE = "0123456789.,%"


def _join(lines: list[str]) -> str:
    """Wrapped lines as one paragraph. Chinese wraps anywhere, a number included: lines meeting
    inside one (增收2 / 3亿元) join without a space; drop_meaningless_spaces takes the others
    between Chinese characters."""
    joined = lines[0] if lines else ""
    for line in lines[1:]:
        inside_number = (joined[-1:] in NUMBER_EDGE and line[:1] in NUMBER_EDGE
                         and (joined[-1:].isdigit() or line[:1].isdigit()))
        if joined.endswith(",") and CJK_CHAR.match(line):
            joined = joined[:-1] + "，"  # an ASCII comma between Chinese words reads as ，
        joined += ("" if inside_number else " ") + line
    return drop_meaningless_spaces(joined)


@cache
def _paragraph_opening() -> re.Pattern[str]:
    return re.compile(next(r["value"] for r in rule_table("headings") if r["kind"] == "paragraph_opening"))


def _wrapped_runs(lines: list[tuple[str, int | None]],
                  widths: list[int]) -> list[list[tuple[str, int | None]]]:
    """Lines grouped into paragraphs where text is not wrapped as a whole (a report whose tables
    and headings are short lines): a line filling the measure and stopping mid-sentence runs on
    into the next, unless that one opens an item of its own (一、, (二), 3.)."""
    measure = page_width(widths) if widths else 0
    runs: list[list[tuple[str, int | None]]] = []
    continues = False
    for (line, n), width in zip(lines, widths):
        if continues and not _paragraph_opening().match(line):
            runs[-1].append((line, n))
        else:
            runs.append([(line, n)])
        continues = measure - 2 <= width <= measure + 4 and not line.endswith(PARAGRAPH_END)
    return runs


def rebuild_paragraphs(raw: str, page_start: int | None = None) -> list[Paragraph]:
    """Paragraphs, each with the page it starts on."""
    text = normalise_characters(raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    if PAGE_BREAK in text:
        first = page_start or 1
        bodies = _without_edge_furniture([page.split("\n") for page in text.split(PAGE_BREAK)])
        pages = [(first + i, body) for i, body in enumerate(bodies)]
    else:
        lines = [line.strip() for line in text.split("\n")]
        pages = split_pages(lines)
        if len(pages) == 1 or pages[0][0] is None:
            pages = [(page_start + i if page_start else None, body) for i, (_, body) in enumerate(pages)]
    entries = [(line.strip(), n) for n, body in pages for line in body]
    double_spaced = _double_spaced([line for line, _ in entries])
    items = [(line, n) for line, n in entries if line or not double_spaced]
    non_blank = [(line, n) for line, n in items if line]
    widths = [display_width(line) for line, _ in non_blank]
    if not is_hard_wrapped(widths, [line for line, _ in non_blank]):
        runs = [(_join([line for line, _ in run]), run[0][1]) for run in _wrapped_runs(non_blank, widths)]
        return _rejoined([Paragraph(text, page) for text, page in runs if text])
    paragraphs: list[Paragraph] = []
    for block in _blocks(items):
        ends = paragraph_ends([line for line, _ in block])
        start = 0
        for i, end in enumerate(ends):
            if end or i == len(block) - 1:
                paragraphs.append(Paragraph(_join([line for line, _ in block[start:i + 1]]), block[start][1]))
                start = i + 1
    return _rejoined([p for p in paragraphs if p.text])


MID_SENTENCE_ENDS = ("，", ",")  # no paragraph ends on a comma
UNIT_OPENINGS = ("亿", "万", "元", "%", "％", "个百分点")  # nor starts with a number's unit


def _broken(paragraph: str, following: str) -> bool:
    """Whether the source broke a sentence between two paragraphs: one ends on a comma, or a
    number ends one and its unit opens the next (非税收入31.3 / 亿元，下降0.3%)."""
    return paragraph.endswith(MID_SENTENCE_ENDS) or (
        paragraph[-1:].isdigit() and following.startswith(UNIT_OPENINGS))


def _rejoined(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Each paragraph the source broke mid-sentence joined to the next (…收入完成1175.4亿元， /
    同口径增长7%)."""
    joined: list[Paragraph] = []
    for paragraph in paragraphs:
        if joined and _broken(joined[-1].text, paragraph.text):
            # the comma now stands between Chinese words, where it reads as ，
            joined[-1] = Paragraph(normalise_characters(joined[-1].text + paragraph.text),
                                   joined[-1].page)
        else:
            joined.append(paragraph)
    return joined


def _without_edge_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop each PDF page's page-number lines and running heads (a line that starts or ends
    most pages) from its top and bottom."""
    def trimmed(lines: list[str]) -> list[str]:
        body = [line.strip() for line in lines]
        while body and not body[0]:
            body.pop(0)
        while body and not body[-1]:
            body.pop()
        return body
    pages = [trimmed(lines) for lines in pages]
    edges = Counter(line for body in pages for line in {body[0], body[-1]} if body)
    repeated = {line for line, n in edges.items() if len(pages) >= 2 and n > len(pages) / 2}
    cleaned = []
    for body in pages:
        for edge in (0, -1):
            while body and (not body[edge] or page_number(body[edge]) is not None
                            or body[edge] in repeated):
                body.pop(edge)
        cleaned.append(body)
    return cleaned


def _double_spaced(lines: list[str]) -> bool:
    """PDF exports that put a blank line after every line: blank lines then mean nothing."""
    pairs = sum(1 for a, b in zip(lines, lines[1:]) if a and not b)
    return pairs > 0.6 * sum(1 for line in lines if line)


def _blocks(items: list[tuple[str, int | None]]) -> list[list[tuple[str, int | None]]]:
    """Runs of non-blank lines separated by blank lines."""
    blocks, current = [], []
    for line, n in items + [("", None)]:
        if line:
            current.append((line, n))
        elif current:
            blocks.append(current)
            current = []
    return blocks


YEAR_IN_TEXT = re.compile(r"(?<![0-9])((?:19[4-9]|20[0-9])[0-9])年")


def reference_year(published: str | None, text: str) -> tuple[int | None, bool]:
    """The year 今年/本年 refer to: the manifest's publication year, else the latest year the
    text names (inferred)."""
    if published:
        return int(published[:4]), False
    years = [int(y) for y in YEAR_IN_TEXT.findall(text)]
    return (max(years) if years else None), True


PUBLISHED = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


def _manifest_problem(manifest: dict[str, str]) -> tuple[str, str] | None:
    published = manifest.get("published")
    if published and not PUBLISHED.fullmatch(published):
        return "bad_published", f"manifest 'published' is {published!r}; expected YYYY, YYYY-MM or YYYY-MM-DD"
    page_start = manifest.get("page_start")
    if page_start and not page_start.isdigit():
        return "bad_page_start", f"manifest 'page_start' is {page_start!r}; expected a page number"
    if manifest.get("region"):
        codes = resolve_region(manifest["region"])
        if len(codes) != 1:
            problem = (f"could mean any of {', '.join(codes)}" if codes
                       else "is not a known GB/T 2260 name or code")
            return "bad_region", f"manifest region {manifest['region']!r} {problem}"
    return None


def clean_document(raw: RawDocument) -> tuple[dict, list[dict]] | Rejection:
    """A documents row and its passages rows, or a Rejection naming what is wrong."""
    source, manifest = raw.source, raw.source.manifest
    problem = _manifest_problem(manifest)
    if problem:
        return Rejection(source.source_name, source.source_uri, raw.sha256, "clean",
                         f"{source.source_uri}: {problem[1]}", problem[0])
    region_code = resolve_region(manifest["region"])[0] if manifest.get("region") else None
    page_start = int(manifest["page_start"]) if manifest.get("page_start") else None
    passages = build_passages(rebuild_paragraphs(raw.raw_text, page_start), region_code)
    if not passages:
        return Rejection(source.source_name, source.source_uri, raw.sha256, "clean",
                         f"{source.source_uri}: no text is left after cleaning", "empty")
    document_id = raw.sha256[:16]
    text = "\n".join(p.text for p in passages)
    rows, offset = [], 0
    for number, passage in enumerate(passages, start=1):
        rows.append({"document_id": document_id, "passage_no": number, "page": passage.page,
                     "kind": passage.kind, "article_no": passage.article_no,
                     "region_code": passage.region_code, "char_start": offset,
                     "char_end": offset + len(passage.text), "text": passage.text})
        offset += len(passage.text) + 1
    article_regions = {p.region_code for p in passages}
    pages = {p.page for p in passages if p.page is not None}
    year, inferred = reference_year(manifest.get("published"), text)
    document = {
        "document_id": document_id,
        "source_name": source.source_name,
        "source_uri": source.source_uri,
        "sha256": raw.sha256,
        "media_type": raw.media_type,
        "encoding": raw.encoding,
        "title": manifest.get("title") or raw.title,
        "publisher": manifest.get("publisher"),
        "published": manifest.get("published"),
        "reference_year": year,
        "reference_year_inferred": inferred,
        "region_code": region_code or (article_regions.pop() if len(article_regions) == 1 else None),
        "n_pages": raw.n_pages or (len(pages) or None),
        "text": text,
    }
    return document, rows
