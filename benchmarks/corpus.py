"""Synthetic corpora for benchmarks, built from real passages with varied numbers, regions and
years (seeded, so a size always gives the same corpus). Written to a folder of .txt files with a
sources.csv; nothing is kept in the repository.

    python -m benchmarks.corpus OUT_DIR --documents 2000
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import tempfile
from pathlib import Path

from flows import extract, fetch, incremental, sources
from flows.codelists import read_codelist
from flows.metadata import PROJECT_ROOT

REAL_CORPORA = [PROJECT_ROOT.parent / "shared" / "corpus" / "dev", PROJECT_ROOT / "samples"]
NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?(?![0-9.]*年)")
YEAR = re.compile(r"(?:19|20)[0-9]{2}(?=年)")


def real_passages() -> list[str]:
    """Paragraphs of the real corpora that hold numbers, as the clean step leaves them."""
    with tempfile.TemporaryDirectory() as store:
        found, _ = sources.discover_sources([c for c in REAL_CORPORA if c.exists()])
        raws, _ = extract.read_all(found, fetch.RawStore(Path(store)), 10**9)
        batch = incremental.process_batch(raws, fetch.RawStore(Path(store)), None,
                                          incremental.code_version())
    return [p["text"] for p in batch.passages if p["kind"] == "paragraph" and NUMBER.search(p["text"])]


def _vary(match: re.Match[str], rng: random.Random) -> str:
    text = match.group()
    decimals = len(text.split(".")[1]) if "." in text else 0
    value = float(text) * rng.uniform(0.5, 1.5)
    return f"{value:.{decimals}f}" if decimals else str(max(1, round(value)))


def build(folder: Path, documents: int, seed: int = 2026) -> Path:
    """Write `documents` synthetic reports and their manifest into folder."""
    rng = random.Random(seed)
    passages = real_passages()
    cities = [r for r in read_codelist("regions").to_pylist() if r["level"] == "prefecture"]
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for number in range(documents):
        city, year = rng.choice(cities), rng.randint(2012, 2025)
        paragraphs = [f"{city['name']}{year}年财政收支情况"]
        for passage in rng.sample(passages, k=min(len(passages), rng.randint(3, 8))):
            varied = NUMBER.sub(lambda m: _vary(m, rng), passage)
            paragraphs.append(YEAR.sub(str(year), varied))
        name = f"report-{number:06d}.txt"
        (folder / name).write_text("\n".join(paragraphs) + "\n", encoding="utf-8")
        rows.append({"path": name, "published": str(year + 1), "region": city["code"]})
    with open(folder / "sources.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["path", "published", "region"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return folder


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int, default=2000)
    args = parser.parse_args()
    print(build(args.out, args.documents))
