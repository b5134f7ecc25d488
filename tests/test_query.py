"""`cnfiscal query` and `cnfiscal show` as a user runs them, on the published sample package."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.query import display_width, format_table, highlighted_quote

CNFISCAL = shutil.which("cnfiscal", path=str(Path(sys.executable).parent))
GROWTH_SQL = ("SELECT region_name, indicator_label_zh, value, period_start FROM indicator_series "
              "WHERE indicator = 'gpb_expenditure' ORDER BY measure")


def cnfiscal(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([CNFISCAL, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          input=stdin, timeout=120)


@pytest.fixture(scope="module")
def expenditure_id(published) -> str:
    """The figure 2021年，全市一般公共预算支出实现4570.2亿元 of the sample."""
    with duckdb.connect(str(published / "cnfiscal.duckdb"), read_only=True) as con:
        return con.execute("SELECT figure_id FROM figures WHERE value_text = '4570.2亿元'").fetchall()[0][0]


def test_query_prints_an_aligned_table(published):
    result = cnfiscal("query", GROWTH_SQL, "--out", str(published))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["region_name", "indicator_label_zh", "value", "period_start"]
    assert lines[-1] == "(2 rows)"
    body = lines[2:-1]
    assert [line.split()[:2] for line in body] == [["深圳市", "一般公共预算支出"]] * 2
    # every row's columns start at the same display column as the header's
    starts = [display_width(line[:line.index(word)]) for line, word in
              [(lines[0], "indicator_label_zh"), *[(line, "一般公共预算支出") for line in body]]]
    assert len(set(starts)) == 1
    ends = {display_width(line[:line.index(value) + len(value)]) for line, value in
            zip(body, ["457020000000", "9.4"])}
    assert len(ends) == 1  # numbers right-aligned


def test_query_writes_csv_and_json(published):
    result = cnfiscal("query", GROWTH_SQL, "--format", "csv", "--out", str(published))
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["region_name", "indicator_label_zh", "value", "period_start"],
        ["深圳市", "一般公共预算支出", "457020000000", "2021-01-01"],
        ["深圳市", "一般公共预算支出", "9.4", "2021-01-01"]]
    result = cnfiscal("query", GROWTH_SQL, "--format", "json", "--db", str(published / "cnfiscal.duckdb"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"region_name": "深圳市", "indicator_label_zh": "一般公共预算支出", "value": 457020000000,
         "period_start": "2021-01-01"},
        {"region_name": "深圳市", "indicator_label_zh": "一般公共预算支出", "value": 9.4,
         "period_start": "2021-01-01"}]


def test_query_reads_sql_from_stdin_and_defaults_to_dist_cnfiscal(published, tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "cnfiscal").symlink_to(published)
    result = cnfiscal("query", "-", "--format", "csv", cwd=tmp_path,
                      stdin="SELECT count(*) AS n FROM figures_labelled;")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "n" and int(result.stdout.splitlines()[1]) > 0


def test_query_refuses_writes_and_leaves_the_file_as_it_was(published):
    database = published / "cnfiscal.duckdb"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    for sql in ("DELETE FROM figures", "CREATE TABLE notes (x INTEGER)", "DROP VIEW conflicts"):
        result = cnfiscal("query", sql, "--out", str(published))
        assert result.returncode == 1, sql
        assert "opened read-only" in result.stderr and "Traceback" not in result.stderr
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    scratch = cnfiscal("query", "CREATE TEMP TABLE notes AS SELECT 1 AS x; FROM notes", "--out", str(published))
    assert scratch.returncode == 0 and scratch.stdout.splitlines()[0] == "x"


def test_query_sql_errors_exit_1_with_duckdbs_message(published):
    result = cnfiscal("query", "SELECT no_such_column FROM figures", "--out", str(published))
    assert result.returncode == 1
    assert result.stderr.startswith("cnfiscal query: Binder Error") and "no_such_column" in result.stderr
    assert "Traceback" not in result.stderr


def test_query_and_show_usage_errors_exit_2(published, tmp_path):
    missing = cnfiscal("query", "SELECT 1", "--out", str(tmp_path))
    assert missing.returncode == 2 and "cnfiscal.duckdb does not exist" in missing.stderr
    both = cnfiscal("show", "x", "--out", str(published), "--db", str(published / "cnfiscal.duckdb"))
    assert both.returncode == 2
    assert cnfiscal("query", "SELECT 1", "--format", "xml", "--out", str(published)).returncode == 2


def test_show_prints_the_figure_its_labels_source_and_marked_sentence(published, expenditure_id):
    result = cnfiscal("show", expenditure_id, "--out", str(published))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"figure {expenditure_id}: 4570.2亿元\n")
    for expected in ("457020000000 CNY (level, exact)",
                     "gpb_expenditure 一般公共预算支出 / General public budget expenditure",
                     "440300 深圳市 (prefecture)", "2021-01-01 … 2021-12-31", "execution",
                     "000_e2f70265a3651288.txt", "page", "全市一般公共预算支出实现«4570.2亿元»，增长9.4%"):
        assert expected in out, expected
    assert "\x1b[" not in out


def test_show_on_a_terminal_highlights_with_ansi(published, expenditure_id):
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    process = subprocess.Popen([CNFISCAL, "show", expenditure_id, "--out", str(published)],
                               stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    assert "\x1b[1;7m4570.2亿元\x1b[0m" in output.decode("utf-8")


def test_show_an_unknown_figure_exits_1(published):
    result = cnfiscal("show", "0000000000000000", "--out", str(published))
    assert result.returncode == 1
    assert "no figure with id '0000000000000000'" in result.stderr


def test_display_width_counts_cjk_as_two_columns():
    assert display_width("深圳市") == 6 and display_width("9.4%") == 4 and display_width("７．１％") == 8
    table = format_table(["name", "n"], [("青岛市", 1), ("Qingdao", 10)])
    _, _, first, second, _ = table.splitlines()
    assert first == "青岛市    1" and second == "Qingdao  10"
    assert display_width(first) == display_width(second)


def test_highlight_finds_the_number_by_its_offsets_when_it_occurs_twice():
    text = "前言。收入增长9.4%，支出增长9.4%。"
    quote = "收入增长9.4%，支出增长9.4%。"
    second = text.rindex("9.4%")
    record = {"quote": quote, "document_text": text, "char_start": second,
              "char_end": second + 4, "value_text": "9.4%"}
    assert highlighted_quote(record, tty=False) == "收入增长9.4%，支出增长«9.4%»。"
