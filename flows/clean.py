"""Clean: repair decoded text so that figures can be found in it and cited from it.

PDF text arrives hard-wrapped (often with a blank line after every line) and with spaces between
characters (`2021 年 列 账 重 点 任 务 159 项`). Cleaning rejoins wrapped lines into paragraphs
(one per line of the cleaned text) and drops the spaces that carry no meaning. Figures' offsets
index into the text this step returns.
"""
from __future__ import annotations

import re
import statistics
import unicodedata

from flows.codelists import resolve_region
from flows.records import RawDocument, Rejection

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2026\u2014"
TIGHT_LEFT = rf"[{CJK}{CJK_PUNCT}0-9%]"
TIGHT_RIGHT = rf"[{CJK}{CJK_PUNCT}0-9]"
SPACES = "[ \u00a0\u3000\t]+"
# A space is dropped only where at least one side is a CJK character or CJK punctuation.
MEANINGLESS_SPACE = re.compile(
    rf"(?<=[{CJK}{CJK_PUNCT}]){SPACES}(?={TIGHT_RIGHT})|(?<={TIGHT_LEFT}){SPACES}(?=[{CJK}{CJK_PUNCT}])")
PARAGRAPH_END = tuple("。！？!?；;：:”」")
SHORT_LINE = 0.9  # a line this much narrower than the page's lines ends its paragraph


def display_width(line: str) -> int:
    """Width in half-width cells: CJK characters and full-width forms count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def drop_meaningless_spaces(line: str) -> str:
    """`新增债券 516 亿元` → `新增债券516亿元`; `财政投资 + 专项债券` keeps its spaces."""
    return MEANINGLESS_SPACE.sub("", line).strip()


def is_hard_wrapped(lines: list[str]) -> bool:
    """True for layout text: most lines stop mid-sentence instead of ending with punctuation."""
    if len(lines) < 4:
        return False
    open_ended = sum(1 for line in lines if not line.endswith(PARAGRAPH_END))
    return open_ended / len(lines) > 0.5


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Rebuild paragraphs from hard-wrapped lines: a short line, or one ending a sentence
    noticeably before the right margin, closes its paragraph."""
    page_width = statistics.median_high(display_width(line) for line in lines)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        current = drop_meaningless_spaces(current + " " + line) if current else line
        width = display_width(line)
        if width < page_width * 0.6 or (line.endswith(PARAGRAPH_END) and width < page_width * SHORT_LINE):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def clean_text(raw: str) -> str:
    """Cleaned text: one paragraph per line, meaningless spaces removed."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [drop_meaningless_spaces(line) for line in text.split("\n")]
    non_blank = [line for line in lines if line]
    if is_hard_wrapped(non_blank):
        blocks = _blocks(lines) if not _double_spaced(lines) else [non_blank]
        paragraphs = [p for block in blocks for p in join_wrapped_lines(block)]
    else:
        paragraphs = non_blank
    return "\n".join(paragraphs)


def _double_spaced(lines: list[str]) -> bool:
    """PDF exports that put a blank line after every line: blank lines then mean nothing."""
    pairs = sum(1 for a, b in zip(lines, lines[1:]) if a and not b)
    return pairs > 0.6 * sum(1 for line in lines if line)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines separated by blank lines."""
    blocks, current = [], []
    for line in lines + [""]:
        if line:
            current.append(line)
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


def clean_document(raw: RawDocument) -> dict | Rejection:
    """A documents row for one decoded source, or a Rejection naming what is wrong with it."""
    source, manifest = raw.source, raw.source.manifest

    def reject(code: str, reason: str) -> Rejection:
        return Rejection(source.source_name, source.source_uri, raw.sha256, "clean", reason, code)

    published = manifest.get("published")
    if published and not PUBLISHED.fullmatch(published):
        return reject("bad_published", f"{source.source_uri}: manifest 'published' is "
                      f"{published!r}; expected YYYY, YYYY-MM or YYYY-MM-DD")
    region_code = None
    if manifest.get("region"):
        codes = resolve_region(manifest["region"])
        if len(codes) != 1:
            problem = f"could mean any of {', '.join(codes)}" if codes else "is not a known GB/T 2260 name or code"
            return reject("bad_region", f"{source.source_uri}: manifest region "
                          f"{manifest['region']!r} {problem}")
        region_code = codes[0]
    text = clean_text(raw.raw_text)
    if not text:
        return reject("empty", f"{source.source_uri}: no text is left after cleaning")
    year, inferred = reference_year(published, text)
    return {
        "document_id": raw.sha256[:16],
        "source_name": source.source_name,
        "source_uri": source.source_uri,
        "sha256": raw.sha256,
        "media_type": raw.media_type,
        "encoding": raw.encoding,
        "title": manifest.get("title"),
        "publisher": manifest.get("publisher"),
        "published": published,
        "reference_year": year,
        "reference_year_inferred": inferred,
        "region_code": region_code,
        "n_pages": None,
        "text": text,
    }


def clean(raws: list[RawDocument]) -> tuple[list[dict], list[Rejection]]:
    """Clean a batch of decoded sources into documents rows."""
    rows, rejections = [], []
    for raw in raws:
        result = clean_document(raw)
        (rejections if isinstance(result, Rejection) else rows).append(result)
    return rows, rejections
