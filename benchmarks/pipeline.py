"""The pipeline at scale, each figure against a baseline measured in the same run:

- fixed start-up: a run over one small document;
- cold throughput (documents/s, characters/s) and peak RSS at each corpus size;
- a warm rerun with nothing changed against the cold run, both minus the fixed start-up;
- orchestration overhead: the flow against the same step functions called in a plain loop;
- --workers 2 against serial, at each size.

    python -m benchmarks.pipeline [--sizes 2000,20000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import corpus

CNFISCAL = str(Path(sys.executable).parent / "cnfiscal")
MEASURE = ("import resource, subprocess, sys, time; started = time.perf_counter(); "
           "code = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
           "print(code, time.perf_counter() - started, "
           "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def timed_run(*arguments: str) -> dict:
    """Wall seconds and peak RSS (MB, the largest process of the run) of one `cnfiscal run`."""
    result = subprocess.run([sys.executable, "-c", MEASURE, CNFISCAL, "run", *arguments],
                            capture_output=True, text=True, check=True)
    code, seconds, rss_kb = result.stdout.split()
    if code != "0":
        raise RuntimeError(f"cnfiscal run {' '.join(arguments)} failed")
    return {"seconds": round(float(seconds), 2), "peak_rss_mb": round(int(rss_kb) / 1024, 1)}


def plain_loop(folder: Path, work: Path) -> float:
    """The flow's step functions called in a plain loop, without Prefect: the baseline."""
    code = f"""
import time
from pathlib import Path
from flows import extract, fetch, incremental, load, site, sources, stage, validate
started = time.perf_counter()
work = Path({str(work)!r})
found, refused = sources.discover_sources([Path({str(folder)!r})])
raws, rejections = extract.read_all(found, fetch.RawStore(work / "raw"), 50_000_000)
batch_size = 200  # flows.pipeline.DEFAULT_BATCH_SIZE (importing it would import Prefect)
staged = [stage.process_to_parts(raws[i:i + batch_size], work / "raw", None, incremental.code_version(),
                                 work / "parts", f"{{i:06d}}") for i in range(0, len(raws), batch_size)]
rejections = refused + rejections + [r for s in staged for r in s.rejections]
staging = work / "package"
stage.stage_package(work / "parts", [r.row() for r in rejections], staging)
validate.validate_package(staging, [s.source_uri for s in found])
load.load_duckdb(staging)
site.write_site(staging)
print(time.perf_counter() - started)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def run(sizes: list[int]) -> dict:
    results: dict = {"sizes": {}}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        one = corpus.build(root / "one", 1)
        startup = timed_run(str(one), "--out", str(root / "one-out"))
        results["fixed_startup"] = startup
        for size in sizes:
            folder = corpus.build(root / f"corpus-{size}", size)
            characters = sum(len(p.read_text(encoding="utf-8")) for p in folder.glob("*.txt"))
            out = root / f"out-{size}"
            cold = timed_run(str(folder), "--out", str(out / "cnfiscal"))
            warm = timed_run(str(folder), "--out", str(out / "cnfiscal"))
            cold_work = cold["seconds"] - startup["seconds"]
            warm_work = warm["seconds"]  # not reduced: a rerun with nothing changed starts no Prefect
            entry = {
                "documents": size, "characters": characters, "cold": cold, "warm": warm,
                "cold_documents_per_second": round(size / cold_work, 1),
                "cold_characters_per_second": round(characters / cold_work),
                "warm_vs_cold_minus_startup": round(cold_work / warm_work, 1),
                "warm_vs_cold_wall_clock": round(cold["seconds"] / warm["seconds"], 2),
            }
            if size == min(sizes):
                loop = plain_loop(folder, root / f"loop-{size}")
                entry["plain_loop_seconds"] = round(loop, 2)
                entry["orchestration_overhead"] = round(cold_work / loop - 1, 3)
            parallel = timed_run(str(folder), "--out", str(root / f"workers-{size}" / "cnfiscal"),
                                 "--workers", "2", "--cache", str(root / f"workers-cache-{size}"))
            entry["workers_2"] = parallel
            entry["workers_2_speedup_minus_startup"] = round(
                cold_work / max(parallel["seconds"] - startup["seconds"], 0.01), 2)
            results["sizes"][str(size)] = entry
        if len(sizes) > 1:
            small, large = (results["sizes"][str(s)] for s in (min(sizes), max(sizes)))
            results["rss_large_vs_small"] = round(large["cold"]["peak_rss_mb"] / small["cold"]["peak_rss_mb"], 2)
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="corpus sizes, comma-separated")
    args = parser.parse_args(argv)
    return run([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
