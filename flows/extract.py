"""Extract: turn each source's bytes into text — plain text in any common Chinese encoding, PDF
through its text layer (page by page), HTML through a main-text extractor — and snapshot the
bytes in the raw store. Every source ends as a RawDocument or a Rejection that says why.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from pathlib import Path

import charset_normalizer
import pypdfium2
import trafilatura

from flows.fetch import RawStore
from flows.records import RawDocument, RawFile, Rejection, Source
from flows.sources import MEDIA_TYPES

PAGE_BREAK = "\f"
BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16")]
# Encodings tried after UTF-8 (Chinese sources use little else); anything else is refused.
CANDIDATE_ENCODINGS = ["gb18030", "big5", "big5hkscs", "gbk", "gb2312", "hz"]
ENCODING_NAMES = {"gbk": "gb18030", "gb2312": "gb18030", "hz": "gb18030", "big5hkscs": "big5"}
MAX_CHAOS = 0.1  # charset-normalizer's mess ratio above which a decoding is not trusted
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)


class ExtractionError(Exception):
    """A source that cannot become text: args are (error_code, reason)."""


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    return controls > max(2, len(text) // 100)


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and encoding of a plain-text source. Raises ExtractionError unless confident."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data:
        raise ExtractionError("binary", "holds binary data (NUL bytes), not text")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
        if best is None or best.percent_chaos > MAX_CHAOS * 100:
            raise ExtractionError("undecodable", "is not text in UTF-8, UTF-16, GB18030/GBK or "
                                  "Big5 that can be decoded with confidence") from None
        encoding = ENCODING_NAMES.get(best.encoding, best.encoding)
        text = data.decode(encoding)
    if _looks_binary(text):
        raise ExtractionError("binary", "holds binary data (control characters), not text")
    return text, encoding


def _decode_html(data: bytes) -> tuple[str, str]:
    """An HTML page's text: its declared charset when that works, else detection."""
    declared = META_CHARSET.search(data[:4096])
    if declared and not any(data.startswith(bom) for bom, _ in BOMS):
        name = declared.group(1).decode("ascii").lower()
        encoding = ENCODING_NAMES.get(name, "utf-8" if name == "utf8" else name)
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def _html_text(data: bytes) -> tuple[str, str, str | None]:
    """Main text, encoding and title of an HTML page: navigation, scripts and boilerplate go."""
    html, encoding = _decode_html(data)
    document = trafilatura.bare_extraction(html, include_comments=False, include_tables=True,
                                           with_metadata=True, favor_recall=True)
    text = (document.text if document else "") or ""
    if not text.strip():
        raise ExtractionError("no_main_text", "is an HTML page with no main text to extract")
    return text, encoding, (document.title or None)


def _pdf_pages(path: Path) -> list[str]:
    """The text layer of each page; ExtractionError for encrypted, damaged or image-only PDFs."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError("pdf_encrypted", "is an encrypted PDF; no password is known") from exc
        raise ExtractionError("pdf_damaged", f"is not a readable PDF ({exc})") from exc
    try:
        pages = [pdf[i].get_textpage().get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                 for i in range(len(pdf))]
    finally:
        pdf.close()
    if not "".join(pages).strip():
        raise ExtractionError("pdf_no_text", "is a PDF with no text layer; OCR is not supported")
    return pages


def _media_type(source: Source) -> str | None:
    return source.media_type or MEDIA_TYPES.get(Path(source.source_uri.split("?")[0]).suffix.lower())


def read_source(source: Source, store: RawStore, max_bytes: int) -> RawFile | Rejection:
    """Read and check one source's bytes, or say why they cannot be used. The bytes go into the
    raw store later, with the source's per-document work (snapshot): writing 20,000 small files
    is most of a read, and there it runs in the worker processes."""
    def reject(code: str, reason: str, sha256: str | None = None) -> Rejection:
        return Rejection(source.source_name, source.source_uri, sha256, "extract",
                         f"{source.source_uri}: {reason}", code)

    media_type = _media_type(source)
    if media_type is None:
        return reject("unsupported_format", f"unsupported file type; expected one of "
                      f"{', '.join(sorted(MEDIA_TYPES))}")
    try:
        size = source.path.stat().st_size
        if size > max_bytes:
            return reject("too_large", f"is {size:,} bytes, over the {max_bytes:,}-byte cap")
        data = source.path.read_bytes()
    except OSError as exc:
        return reject("unreadable", f"cannot be read ({exc.strerror or exc})")
    sha256 = hashlib.sha256(data).hexdigest()
    expected = source.manifest.get("sha256", "").lower()
    if expected and expected != sha256:
        return reject("sha256_mismatch", f"its sha256 is {sha256}, but the manifest expects {expected}", sha256)
    if not data.strip():
        return reject("empty", "the file is empty or holds only white space", sha256)
    return RawFile(source, sha256, media_type, store.object_path(sha256))


def snapshot(raw: RawFile, store: RawStore) -> Rejection | None:
    """Keep a file's bytes in the raw store (at raw.path), with where they came from. A file
    that changed or vanished since the run read it is rejected, not the run: its rows would not
    be those of the hash the run recorded, and the next run reads it afresh."""
    source = raw.source
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return Rejection(source.source_name, source.source_uri, raw.sha256, "extract",
                         f"{source.source_uri}: cannot be read ({exc.strerror or exc})", "unreadable")
    if store.put(data, source.url or str(source.path.resolve()), raw.media_type) != raw.sha256:
        return Rejection(source.source_name, source.source_uri, raw.sha256, "extract",
                         f"{source.source_uri}: changed while the run was reading it; run again",
                         "changed_during_run")
    return None


def read_all(sources: list[Source], store: RawStore, max_bytes: int
             ) -> tuple[list[RawFile], list[Rejection]]:
    """Read a run's sources; a repeated content or file name is recorded as a duplicate."""
    files: list[RawFile] = []
    rejections: list[Rejection] = []
    first_with_hash: dict[str, str] = {}
    first_with_name: dict[str, str] = {}
    for source in sources:
        result = read_source(source, store, max_bytes)
        if isinstance(result, RawFile):
            earlier = first_with_hash.get(result.sha256) or first_with_name.get(source.source_name)
            if earlier:
                same = "content" if result.sha256 in first_with_hash else "file name"
                result = Rejection(source.source_name, source.source_uri, result.sha256, "extract",
                                   f"{source.source_uri}: the same {same} as {earlier}, which is "
                                   f"kept", f"duplicate_{same.replace('file ', '')}")
            else:
                first_with_hash[result.sha256] = first_with_name[source.source_name] = source.source_uri
                files.append(result)
        if isinstance(result, Rejection):
            rejections.append(result)
    return files, rejections


def decode(raw: RawFile) -> RawDocument | Rejection:
    """The text of a source's bytes: plain text in its encoding, a PDF's pages, an HTML page's
    main text."""
    title = n_pages = None
    try:
        if raw.media_type == "application/pdf":
            pages = _pdf_pages(raw.path)
            text, encoding, n_pages = PAGE_BREAK.join(pages), None, len(pages)
        elif raw.media_type == "text/html":
            text, encoding, title = _html_text(raw.path.read_bytes())
        else:
            text, encoding = decode_text(raw.path.read_bytes())
    except ExtractionError as exc:
        code, reason = exc.args
        return Rejection(raw.source.source_name, raw.source.source_uri, raw.sha256, "extract",
                         f"{raw.source.source_uri}: {reason}", code)
    if not text.strip():
        return Rejection(raw.source.source_name, raw.source.source_uri, raw.sha256, "extract",
                         f"{raw.source.source_uri}: holds no text", "empty")
    return RawDocument(raw.source, raw.sha256, raw.media_type, encoding, text, n_pages, title)
