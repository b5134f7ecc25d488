"""The dataset page: index.html, written into a build once the DuckDB file is loaded, so that it
can list every other file's size and sha256 (its own it cannot list).

One self-contained file: inline CSS and SVG, no scripts, and a Content-Security-Policy that turns
any request for anything outside the page into an error. Its bytes depend only on the package's
files (no clock: `created` is the descriptor's, from SOURCE_DATE_EPOCH).
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from flows.dictionary import (DICTIONARY_NAME, constraint_text, data_dictionary, indicator_groups,
                              key_text)
from flows.metadata import duckdb_connect
from flows.publish import DUCKDB_NAME
from flows.validate import MARKDOWN_REPORT_NAME, REPORT_NAME

SITE_NAME = "index.html"
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
              '"Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback", sans-serif')
# (Chinese, English) for the files that are not a data resource of the descriptor.
FILE_TITLES = {
    "datapackage.json": ("数据包描述文件：元数据、表结构及各文件的字节数与 SHA-256",
                         "the descriptor: metadata, Table Schemas, every file's bytes and sha256"),
    DUCKDB_NAME: ("DuckDB 数据库：相同的表（附注释）及视图",
                  "DuckDB database: the same tables, commented, and views"),
    DICTIONARY_NAME: ("数据字典", "data dictionary"),
    REPORT_NAME: ("校验报告（JSON）", "validation report (JSON)"),
    MARKDOWN_REPORT_NAME: ("校验报告（Markdown）", "validation report (Markdown)"),
}
NO_REGION = ("未识别地区", "no region")
NO_YEAR = ("未注明", "none")
NO_GROUP = ("未识别指标", "no indicator")
BAR_COLOUR = "#2f6690"
CHART_REGIONS = 30  # bars in the indicator-by-region chart, largest first

STYLE = f"""
body {{ font-family: {FONT_STACK}; margin: 0; color: #1d2733; background: #fff; line-height: 1.6; }}
header, nav, main {{ max-width: 1120px; margin: 0 auto; padding: 0 24px; }}
header {{ padding-top: 24px; }}
h1 {{ font-size: 1.9em; margin: 0.2em 0 0; }}
h2 {{ border-bottom: 2px solid #2f6690; padding-bottom: 4px; margin-top: 2em; }}
.en {{ color: #52606d; }}
nav a {{ margin-right: 1.2em; }}
table {{ border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }}
th, td {{ border: 1px solid #d3dae1; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #eef2f6; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.scroll {{ overflow-x: auto; }}
dl.counts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
dl.counts div {{ border: 1px solid #d3dae1; border-radius: 6px; padding: 8px 16px; min-width: 150px; }}
dl.counts dt {{ color: #52606d; }}
dl.counts dd {{ margin: 0; font-size: 1.8em; font-weight: bold; }}
figure {{ margin: 1em 0 2em; }}
figcaption {{ font-weight: bold; margin-bottom: 6px; }}
svg text {{ font-family: {FONT_STACK}; font-size: 13px; fill: #1d2733; }}
code {{ font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace; font-size: 0.95em; }}
code.sha256 {{ font-size: 0.8em; word-break: break-all; }}
pre {{ background: #f5f7f9; padding: 8px 12px; white-space: pre-wrap; }}
"""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def downloads(package: Path, descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file of the package but the page itself, the descriptor's resources first: path,
    bytes, sha256 and (Chinese, English) title."""
    titles = dict(FILE_TITLES)
    tables = {Path(r["path"]).stem: r["schema"] for r in descriptor["resources"] if r["type"] == "table"}
    for resource in descriptor["resources"]:
        schema = tables.get(Path(resource["path"]).stem)
        if schema:  # a resource's CSV and its Parquet twin
            titles[resource["path"]] = (schema["title_zh"], schema["title"])
    described = [r["path"] for r in descriptor["resources"]]
    others = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    paths = described + [p for p in others if p not in described and p != SITE_NAME]
    return [{"path": p, "bytes": (package / p).stat().st_size, "sha256": _sha256(package / p),
             "title": titles.get(p, ("", ""))} for p in paths]


def page_facts(package: Path) -> dict[str, Any]:
    """What the page shows about the data, queried from the package's DuckDB file (read-only,
    held to DuckDB's memory limit like the other steps, spilling outside the package)."""
    with tempfile.TemporaryDirectory() as spill, \
            duckdb_connect(str(package / DUCKDB_NAME), Path(spill), read_only=True) as con:
        counts = dict(zip(
            ["documents", "figures", "rejections", "regions", "indicators", "regions_listed",
             "indicators_listed"],
            con.execute("""SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM figures),
                (SELECT count(*) FROM rejections), (SELECT count(DISTINCT region_code) FROM figures),
                (SELECT count(DISTINCT indicator) FROM figures), (SELECT count(*) FROM regions),
                (SELECT count(*) FROM indicators)""").fetchone()))
        coverage = con.execute("""
            SELECT f.region_code, r.name, year(f.period_end), count(*) FROM figures f
            LEFT JOIN regions r ON r.code = f.region_code GROUP BY ALL ORDER BY ALL""").fetchall()
        groups = dict(con.execute("""
            SELECT i."group", count(*) FROM figures f LEFT JOIN indicators i ON i.code = f.indicator
            GROUP BY ALL ORDER BY ALL""").fetchall())
        # The most-reported money indicator (ties: first code), its latest year of period_end,
        # and per region the figure covering the longest period that ends last (ties: largest);
        # the regions with the largest values.
        cursor = con.execute("""
            WITH money AS (SELECT * FROM figures WHERE unit = 'CNY' AND measure = 'level'
                AND indicator IS NOT NULL AND region_code IS NOT NULL AND period_end IS NOT NULL),
            chosen AS (SELECT indicator, count(*) AS figures FROM money GROUP BY indicator
                ORDER BY figures DESC, indicator LIMIT 1),
            latest AS (SELECT max(year(period_end)) AS year FROM money JOIN chosen USING (indicator))
            SELECT m.indicator, chosen.figures, i.label_zh, i.label_en, latest.year, m.region_code,
                   r.name, m.value, m.value_text
            FROM money m JOIN chosen USING (indicator) JOIN latest ON year(m.period_end) = latest.year
            JOIN indicators i ON i.code = m.indicator LEFT JOIN regions r ON r.code = m.region_code
            QUALIFY row_number() OVER (PARTITION BY m.region_code
                ORDER BY m.period_end DESC, m.period_start, m.value DESC, m.figure_id) = 1
            ORDER BY m.value DESC, m.region_code LIMIT ?""", [CHART_REGIONS])
        levels = [dict(zip([c[0] for c in cursor.description], row)) for row in cursor.fetchall()]
    return {"counts": counts, "coverage": coverage, "groups": groups, "levels": levels}


def _number(value: int) -> str:
    return f"{value:,}"


def _money(yuan: float) -> str:
    """An amount in 亿元 or 万元 (or 元), the units Chinese budget documents use."""
    size, unit = next(((s, u) for s, u in ((1e8, "亿元"), (1e4, "万元")) if abs(yuan) >= s), (1, "元"))
    return f"{yuan / size:,.2f}".rstrip("0").rstrip(".") + " " + unit


def _short(label: str) -> str:
    """A label without its parenthesised examples, for a chart's axis: 税费政策（减税降费…） → 税费政策."""
    return label.split("（")[0]


def _both(zh: str, en: str) -> str:
    """Chinese text followed by its English, marked as English for the browser."""
    return f'{escape(zh)} <span class="en" lang="en">{escape(en)}</span>' if en else escape(zh)


def bar_chart(chart_id: str, bars: list[tuple[str, float, str]]) -> str:
    """Horizontal bars as inline SVG: (label, value, value as text), longest bar full width."""
    label_width, bar_width, row = 230, 520, 28
    width, height = label_width + bar_width + 150, row * len(bars) + 8
    top = max((value for _, value, _ in bars), default=0) or 1
    parts = [f'<svg id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, value, text) in enumerate(bars):
        y, length = i * row + 4, bar_width * max(value, 0) / top
        parts += [f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
                  f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{row - 8}" '
                  f'fill="{BAR_COLOUR}"/>',
                  f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">{escape(text)}</text>']
    return "\n".join(parts + ["</svg>"])


def column_chart(chart_id: str, columns: list[tuple[str, float, str]]) -> str:
    """Vertical columns as inline SVG (for a time axis): (label, value, value as text)."""
    column, plot_height, margin = 56, 220, 24
    width, height = column * len(columns) + 2 * margin, plot_height + 3 * margin
    top = max((value for _, value, _ in columns), default=0) or 1
    parts = [f'<svg id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<line x1="{margin}" y1="{margin + plot_height}" x2="{width - margin}" '
             f'y2="{margin + plot_height}" stroke="#52606d"/>']
    for i, (label, value, text) in enumerate(columns):
        x, length = margin + i * column + 8, plot_height * max(value, 0) / top
        middle, y = x + (column - 16) / 2, margin + plot_height - length
        parts += [f'<rect x="{x}" y="{y:.1f}" width="{column - 16}" height="{length:.1f}" '
                  f'fill="{BAR_COLOUR}"/>',
                  f'<text x="{middle:.1f}" y="{y - 5:.1f}" text-anchor="middle">{escape(text)}</text>',
                  f'<text x="{middle:.1f}" y="{margin + plot_height + 18}" '
                  f'text-anchor="middle">{escape(label)}</text>']
    return "\n".join(parts + ["</svg>"])


def _td(html: str, css: str) -> str:
    return f'<td class="{css}">{html}</td>' if css else f"<td>{html}</td>"


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """An HTML table from cells that are already HTML; `classes` per column (n for numbers)."""
    classes = classes or [""] * len(head)
    lines = ["<table>", "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    lines += ["<tr>" + "".join(_td(html, css) for html, css in zip(row, classes)) + "</tr>"
              for row in rows]
    return "\n".join(lines + ["</table>"])


def _about(descriptor: dict[str, Any]) -> str:
    licence = descriptor["licenses"][0]
    sources = "".join(f'<li lang="en">{escape(s["title"])}</li>' for s in descriptor.get("sources", []))
    return f"""<header>
<h1>{escape(descriptor["title_zh"])}</h1>
<p class="en" lang="en">{escape(descriptor["title"])}</p>
<p>{escape(descriptor["description_zh"])}</p>
<p lang="en">{escape(descriptor["description"])}</p>
<p>许可 <span lang="en">License</span>: <a href="{escape(licence["path"])}">{escape(licence["name"])}</a>
— {_both(licence.get("title_zh", ""), licence["title"])}</p>
<p>来源 <span lang="en">Sources</span>:</p>
<ul>{sources}</ul>
</header>"""


def _counts_section(counts: dict[str, int]) -> str:
    items = [("文档", "documents", _number(counts["documents"])),
             ("数值", "figures", _number(counts["figures"])),
             ("拒收", "rejections", _number(counts["rejections"])),
             ("地区", "regions with figures",
              f'{_number(counts["regions"])} / {_number(counts["regions_listed"])}'),
             ("指标", "indicators with figures",
              f'{_number(counts["indicators"])} / {_number(counts["indicators_listed"])}')]
    boxes = "\n".join(f'<div id="count-{en.split()[0]}"><dt>{_both(zh, en)}</dt><dd>{value}</dd></div>'
                      for zh, en, value in items)
    return f"""<section id="counts">
<h2>{_both("概况", "At a glance")}</h2>
<dl class="counts">
{boxes}
</dl>
<p>{_both("地区与指标：有数值的个数 / 代码表中的总数。",
          "Regions and indicators: those with figures / all in the codelist.")}</p>
</section>"""


def _coverage_section(coverage: list[tuple]) -> str:
    """Figures per region (rows, most figures first) and year of period_end (columns)."""
    years = sorted({year for _, _, year, _ in coverage}, key=lambda y: (y is None, y))
    cells: dict[tuple[str | None, str | None], dict[int | None, int]] = {}
    for code, name, year, figures in coverage:
        cells.setdefault((code, name), {})[year] = figures
    regions = sorted(cells, key=lambda r: (r[0] is None, -sum(cells[r].values()), r[0] or ""))
    head = [_both("地区", "region")] + [str(y) if y is not None else _both(*NO_YEAR) for y in years]
    head.append(_both("合计", "total"))
    rows = []
    for code, name in regions:
        label = (f'{escape(name or code)} <span class="en">{escape(code)}</span>' if code
                 else _both(*NO_REGION))
        counts = [cells[(code, name)].get(y) for y in years]
        rows.append([label] + [_number(n) if n else "" for n in counts]
                    + [_number(sum(cells[(code, name)].values()))])
    table = _table(head, rows, [""] + ["n"] * (len(years) + 1))
    return f"""<section id="coverage">
<h2>{_both("覆盖范围：各地区、各年度的数值个数", "Coverage: figures by region and year")}</h2>
<p>{_both("年度为期间截止日（period_end）所在年份。",
          "The year is the year of the period's last day (period_end).")}</p>
<div class="scroll">
{table}
</div>
</section>"""


def _charts_section(facts: dict[str, Any]) -> str:
    groups = indicator_groups()
    order = [*groups, None]  # figures without an indicator last
    by_group = [(f'{_short(groups[g]["label_zh"])} {g}' if g else " ".join(NO_GROUP), n, _number(n))
                for g, n in sorted(facts["groups"].items(), key=lambda item: order.index(item[0]))]
    years: dict[int | None, int] = {}
    for _, _, year, n in facts["coverage"]:
        years[year] = years.get(year, 0) + n
    by_year = [(str(y) if y is not None else NO_YEAR[0], n, _number(n))
               for y, n in sorted(years.items(), key=lambda item: (item[0] is None, item[0]))]
    charts = [f"""<figure id="chart-groups">
<figcaption>{_both("按指标组统计的数值个数", "Figures by indicator group")}</figcaption>
{bar_chart("svg-groups", by_group)}
</figure>""", f"""<figure id="chart-years">
<figcaption>{_both("按年度统计的数值个数（期间截止日所在年份）", "Figures by year of period_end")}</figcaption>
{column_chart("svg-years", by_year)}
</figure>"""]
    levels = facts["levels"]
    if levels:
        chosen = levels[0]
        bars = [(r["name"] or r["region_code"], r["value"], f'{_money(r["value"])}（{r["value_text"]}）')
                for r in levels]
        charts.append(f"""<figure id="chart-indicator">
<figcaption>{_both(f'{chosen["label_zh"]}：{chosen["year"]} 年各地区水平值',
                   f'{chosen["label_en"]}: level by region, {chosen["year"]}')}</figcaption>
{bar_chart("svg-indicator", bars)}
<p>{_both(f'所选指标为报告次数最多的金额类指标（{chosen["indicator"]}，{chosen["figures"]} 个数值），'
          "年份为其最近年度；某地区有多个数值时，取截止日最晚、期间最长者，仍并列时取最大值；"
          f"最多显示数值最大的 {CHART_REGIONS} 个地区。",
          f'The money indicator with the most level figures ({chosen["indicator"]}, '
          f'{chosen["figures"]}) in its latest year; where a region has several, the one covering '
          f"the longest period that ends last (then the largest); at most the {CHART_REGIONS} "
          "regions with the largest values.")}</p>
</figure>""")
    return f"""<section id="charts">
<h2>{_both("图表", "Charts")}</h2>
{chr(10).join(charts)}
</section>"""


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _values_anchor(entry: dict[str, Any], field: dict[str, Any]) -> str:
    return escape(f'values-{entry["name"]}-{field["name"]}')


def _dictionary_resource(entry: dict[str, Any]) -> str:
    primary, foreign = key_text(entry, _code)
    keys = f"<li>{_both('主键', 'primary key')}: {primary}</li>"
    keys += "".join(f"<li>{_both('外键', 'foreign key')}: {fk}</li>" for fk in foreign)
    rows = []
    for f in entry["fields"]:
        constraints = [constraint_text(c, _code) for c in f["constraints"]]
        if f["categories"]:
            constraints.append(f'<a href="#{_values_anchor(entry, f)}">'
                               f'{_both("取值见下表", "values below")}</a>')
        rows.append([_code(f["name"]), _both(f["type_zh"], f["type"]),
                     _both(f["unit_zh"], f["unit"]) if f["unit"] else "",
                     "<br>".join(constraints),
                     f"<b>{escape(f['title_zh'])}</b>：{escape(f['description_zh'])}",
                     f'<span lang="en"><b>{escape(f["title"])}</b>: {escape(f["description"])}</span>'])
    parts = [f'<section id="dict-{escape(entry["name"])}">',
             f'<h3>{_code(entry["name"])} {_both(entry["title_zh"], entry["title"])}</h3>',
             f'<p>{escape(entry["description_zh"])}</p>', f'<p lang="en">{escape(entry["description"])}</p>',
             f"<ul>{keys}</ul>",
             _table([_both("字段", "field"), _both("类型", "type"), _both("单位", "unit"),
                     _both("约束", "constraints"), "中文说明", '<span lang="en">English</span>'], rows)]
    for f in entry["fields"]:
        if f["categories"]:
            parts += [f'<h4 id="{_values_anchor(entry, f)}">{_code(entry["name"] + "." + f["name"])} '
                      f'{_both("取值", "values")}</h4>',
                      _table([_both("值", "value"), "中文含义", '<span lang="en">Meaning</span>'],
                             [[_code(c["value"]), escape(c["label_zh"]),
                               f'<span lang="en">{escape(c["label"])}</span>'] for c in f["categories"]])]
    return "\n".join(parts + ["</section>"])


def _dictionary_section(dictionary: dict[str, Any]) -> str:
    groups = dictionary["groups"]
    contents = "".join(f'<li><a href="#dict-{escape(r["name"])}">{_code(r["name"])}</a> '
                       f'{_both(r["title_zh"], r["title"])}</li>' for r in dictionary["resources"])
    views = []
    for view in dictionary["views"]:
        views += [f'<section id="view-{escape(view["name"])}">', f'<h4>{_code(view["name"])}</h4>']
        views += [f'<p>{escape(view["description_zh"])}</p>'] if view["description_zh"] else []
        views += [f'<p lang="en">{escape(view["description"])}</p>',
                  _table([_both("列", "column"), "中文说明", '<span lang="en">English</span>'],
                         [[_code(c["name"]), escape(c["description_zh"] or ""),
                           f'<span lang="en">{escape(c["description"])}</span>'] for c in view["columns"]]),
                  "</section>"]
    indicators = _table(
        [_both("代码", "code"), "中文名称", '<span lang="en">English label</span>', _both("指标组", "group")],
        [[_code(i["code"]), escape(i["label_zh"]), f'<span lang="en">{escape(i["label_en"])}</span>',
          f'{escape(groups[i["group"]]["label_zh"])} {_code(i["group"])}'] for i in dictionary["indicators"]])
    return f"""<section id="dictionary">
<h2>{_both("数据字典", "Data dictionary")}</h2>
<p>{_both("与 data-dictionary.md 内容相同，均由表结构生成。",
          "The same as data-dictionary.md; both are generated from the Table Schemas.")}</p>
<ul>{contents}</ul>
{chr(10).join(_dictionary_resource(r) for r in dictionary["resources"])}
<h3>{_both("视图（DuckDB）", "Views (DuckDB)")}</h3>
{chr(10).join(views)}
<h3 id="dict-indicators-list">{_both("指标一览", "Indicators")}</h3>
{indicators}
</section>"""


def _downloads_section(files: list[dict[str, Any]]) -> str:
    rows = [[f'<a href="{escape(f["path"])}">{escape(f["path"])}</a>', _both(*f["title"]),
             f'<span data-bytes="{f["bytes"]}">{_number(f["bytes"])}</span>',
             f'<code class="sha256">{f["sha256"]}</code>'] for f in files]
    return f"""<section id="downloads">
<h2>{_both("下载", "Downloads")}</h2>
<p>{_both("各文件的大小（字节）与 SHA-256 摘要。本页面自身不在其列。",
          "Each file's size in bytes and sha256; this page itself is not listed.")}</p>
{_table([_both("文件", "file"), _both("内容", "contents"), _both("字节", "bytes"), "SHA-256"], rows,
        ["", "", "n", ""])}
</section>"""


def _cite_section(descriptor: dict[str, Any]) -> str:
    authors = ", ".join(c["title"] for c in descriptor.get("contributors", []))
    created = descriptor.get("created")
    year = f" ({created[:4]})" if created else ""
    licence = descriptor["licenses"][0]["name"]
    citation = (f"{authors}{year}. {descriptor['title']}. Version {descriptor['version']}"
                + (f", created {created}" if created else "")
                + f". {licence}. {descriptor.get('homepage', '')}").rstrip()
    facts = [("标题", "title", descriptor["title"]), ("版本", "version", descriptor["version"]),
             ("创建时间", "created", created or ""), ("许可", "license", licence)]
    items = "\n".join(f"<dt>{_both(zh, en)}</dt><dd>{escape(value)}</dd>" for zh, en, value in facts if value)
    return f"""<section id="cite">
<h2>{_both("引用", "How to cite")}</h2>
<dl>
{items}
</dl>
<pre lang="en">{escape(citation)}</pre>
</section>"""


def render_page(descriptor: dict[str, Any], facts: dict[str, Any], dictionary: dict[str, Any],
                files: list[dict[str, Any]]) -> str:
    """index.html from the descriptor, the facts, the dictionary and the downloads."""
    sections = [("counts", "概况"), ("coverage", "覆盖范围"), ("charts", "图表"),
                ("dictionary", "数据字典"), ("downloads", "下载"), ("cite", "引用")]
    nav = " ".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in sections)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(descriptor["title_zh"])} · {escape(descriptor["title"])}</title>
<style>{STYLE}</style>
</head>
<body>
{_about(descriptor)}
<nav>{nav}</nav>
<main>
{_counts_section(facts["counts"])}
{_coverage_section(facts["coverage"])}
{_charts_section(facts)}
{_dictionary_section(dictionary)}
{_downloads_section(files)}
{_cite_section(descriptor)}
</main>
</body>
</html>
"""


def write_site(package: Path) -> Path:
    """Write <package>/index.html from the package's files, after the DuckDB file is loaded."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    page = render_page(descriptor, page_facts(package), data_dictionary(), downloads(package, descriptor))
    path = package / SITE_NAME
    path.write_text(page, encoding="utf-8")
    return path
