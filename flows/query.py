"""Query: read the published DuckDB file for `cnfiscal query` and `cnfiscal show`.

The file is always opened read-only, so an analyst's SQL can never change a published package.
Results are formatted for a person (an aligned table that counts CJK characters as two columns)
or for a program (CSV in the package's own lexical forms, JSON with ISO dates).
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import unicodedata
from pathlib import Path
from typing import Any, Callable

import duckdb

from flows.publish import csv_cell

READ_ONLY_MESSAGE = ("the published database is opened read-only, so nothing can change it here "
                     "(a package changes only through cnfiscal run); for scratch work use "
                     "CREATE TEMP TABLE or CREATE TEMP VIEW, or query a copy of the file")
HIGHLIGHT_TTY = ("\x1b[1;7m", "\x1b[0m")  # bold, reverse video
HIGHLIGHT_PLAIN = ("«", "»")  # unlike 【】, absent from Chinese budget texts (and the corpus)


class QueryError(Exception):
    """A query or lookup that failed, with a message for the person who typed it."""


def run_query(database: Path, sql: str, parameters: list | None = None
              ) -> tuple[list[str], list[tuple]]:
    """Column names and rows of the SQL's last statement; empty for statements without a result."""
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            result = con.execute(sql, parameters)
            if result.description is None:
                return [], []
            return [c[0] for c in result.description], result.fetchall()
    except duckdb.Error as exc:
        refused = isinstance(exc, duckdb.InvalidInputException) and "read-only mode" in str(exc)
        raise QueryError(READ_ONLY_MESSAGE if refused else str(exc)) from exc


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width (CJK) characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """An aligned table for a terminal: numbers right-aligned, line breaks shown as spaces."""
    cells = [[csv_cell(v).replace("\r\n", " ").replace("\n", " ").replace("\t", " ") for v in row]
             for row in rows]
    widths = [max([display_width(c)] + [display_width(r[i]) for r in cells])
              for i, c in enumerate(columns)]

    def line(texts: list[str], right: list[bool]) -> str:
        padded = [" " * (w - display_width(t)) + t if r else t + " " * (w - display_width(t))
                  for t, w, r in zip(texts, widths, right)]
        return "  ".join(padded).rstrip()

    lines = [line(columns, [False] * len(columns)), "  ".join("-" * w for w in widths)]
    lines += [line(texts, [_is_number(v) for v in row]) for texts, row in zip(cells, rows)]
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines) + "\n"


def format_csv(columns: list[str], rows: list[tuple]) -> str:
    """RFC 4180 CSV with a header row, in the lexical forms of the package's CSVs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def format_json(columns: list[str], rows: list[tuple]) -> str:
    """A JSON list with one object per row; dates and timestamps as ISO 8601 strings."""
    objects = [dict(zip(columns, row)) for row in rows]
    return json.dumps(objects, ensure_ascii=False, indent=2, default=_json_value) + "\n"


FORMATS: dict[str, Callable[[list[str], list[tuple]], str]] = {
    "table": format_table, "csv": format_csv, "json": format_json}


def figure_record(database: Path, figure_id: str) -> dict[str, Any]:
    """One figure as figures_labelled has it, with its document's text and its flags."""
    columns, rows = run_query(database, """
        SELECT l.*, d.text AS document_text,
               (SELECT list(ff."check" || ' (' || ff.severity || '): ' || ff.message ORDER BY ff."check")
                FROM figure_flags AS ff WHERE ff.figure_id = l.figure_id) AS flags
        FROM figures_labelled AS l JOIN documents AS d ON d.document_id = l.document_id
        WHERE l.figure_id = ?""", [figure_id.strip()])  # tolerate a pasted id's stray whitespace
    if not rows:
        raise QueryError(f"no figure with id {figure_id!r} in {database}")
    return dict(zip(columns, rows[0]))


def highlighted_quote(record: dict[str, Any], tty: bool) -> str:
    """The figure's sentence with the number marked where it stands (found by its offsets, since
    the same number can occur twice in a sentence): ANSI bold reverse on a terminal, else «»."""
    quote, text = record["quote"], record["document_text"]
    start, end = record["char_start"], record["char_end"]
    quote_start = text.rfind(quote, 0, start + len(quote))
    if quote_start >= 0 and quote_start + len(quote) >= end:
        at = start - quote_start
    else:
        at = quote.find(record["value_text"])
    begin, finish = HIGHLIGHT_TTY if tty else HIGHLIGHT_PLAIN
    cut = at + len(record["value_text"])
    return quote[:at] + begin + quote[at:cut] + finish + quote[cut:]


def format_figure(record: dict[str, Any], tty: bool) -> str:
    """A figure for a person: what it says, what it is about, where it stands, and the sentence.
    Missing core attributes show as —; optional ones (subject, page…) are left out when missing."""
    def text(value: Any) -> str:
        return "—" if value is None else csv_cell(value)

    def labelled(code: str | None, *labels: Any) -> str | None:
        """A code followed by its labels; None when there is no code."""
        return None if code is None else " ".join([code, *map(text, labels)])

    period = None if record["period_start"] is None else \
        f"{text(record['period_start'])} … {text(record['period_end'])}"
    attributes = [
        ("value", f"{csv_cell(record['value'])} {record['unit']} "
                  f"({record['measure']}, {record['qualifier']})"),
        ("indicator", labelled(record["indicator"], record["indicator_label_zh"], "/",
                               record["indicator_label_en"])),
        ("subject", record["subject"]),
        ("region", labelled(record["region_code"], record["region_name"],
                            f"({record['region_level']})")),
        ("period", period),
        ("phase", record["phase"]),
        ("benchmark", labelled(record["benchmark_region_code"], record["benchmark_region_name"])),
        ("rank of", record["rank_of"]),
        ("rule", record["rule"]),
        ("flags", "; ".join(record["flags"]) if record["flags"] else "none"),
    ]
    source = [("title", record["title"]),
              ("source", f"{record['source_name']} (document {record['document_id']})"),
              ("uri", record["source_uri"]), ("publisher", record["publisher"]),
              ("published", record["published"]), ("page", record["page"]),
              ("characters", f"{record['char_start']}…{record['char_end']} of the document's text")]
    optional = {"subject", "benchmark", "rank of", "title", "publisher", "published", "page"}

    def lines(pairs: list[tuple[str, Any]]) -> list[str]:
        return [f"  {label:<12}{text(value)}" for label, value in pairs
                if value is not None or label not in optional]

    return "\n".join([f"figure {record['figure_id']}: {record['value_text']}", *lines(attributes),
                      "source", *lines(source),
                      "quote", "  " + highlighted_quote(record, tty)]) + "\n"
