"""Run every benchmark and write benchmarks/results.json."""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

from benchmarks import extractor, pipeline

RESULTS = Path(__file__).with_name("results.json")


def main() -> int:
    results = {"machine": {"python": platform.python_version(), "processor": platform.machine()},
               "extractor": extractor.main([]),
               "pipeline": pipeline.main(sys.argv[1:])}
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
