"""`contactcenter bench bot`, tiny: the report has every figure, and the sample's queries are still
answered among a few synthetic articles. Figures are never compared with wall-clock expectations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_bot_prints_build_time_memory_and_per_question_percentiles_with_its_baseline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contactcenter.cli", "bench", "bot", "--articles", "60", "--questions", "20", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["articles"] == 60 and figures["questions"] == 20
    assert figures["index_build_s"] > 0 and figures["model_load_s"] > 0
    assert set(figures["memory_mb"]) == {"process_start", "model", "index"}
    for key in ("ask_ms", "ask_cpu_ms", "baseline_embed_only_ms", "baseline_embed_only_cpu_ms"):
        assert 0 < figures[key]["p50"] <= figures[key]["p99"]
    assert figures["ask_over_embed_p50"] > 0
    right, total = figures["sample_queries_right_among_synthetic_distractors"].split("/")
    assert int(total) == 30 and int(right) >= 24
    assert set(figures["target"]) == {"ask_p99_ms_below", "met_wall", "met_cpu"}


def test_bench_bot_refuses_a_nonsense_size() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "contactcenter.cli", "bench", "bot", "--articles", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "must be positive" in done.stderr
