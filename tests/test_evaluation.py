"""The project's own evaluation set (tests/evaluation) through the real flow, scored by the shared
scorer: recall, precision and attribute accuracy stay above a floor."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import shared_path

EVALUATION = Path(__file__).parent / "evaluation"


def test_the_evaluation_set_scores_above_its_floor(run_flow, tmp_path):
    scorer = shared_path("tools/score_figures.py")
    out = tmp_path / "cnfiscal"
    run_flow([EVALUATION / "corpus"], out)
    scored = subprocess.run(
        [sys.executable, str(scorer), str(out), str(EVALUATION / "gold.csv"),
         "--min-recall", "0.98", "--min-precision", "0.98", "--min-attr", "0.95"],
        capture_output=True, text=True)
    assert scored.returncode == 0, scored.stdout
