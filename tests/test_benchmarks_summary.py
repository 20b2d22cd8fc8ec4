"""benchmarks/summary.py: the README's performance table is built from FIGURE lines."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_summary():
    spec = importlib.util.spec_from_file_location("bench_summary", BENCHMARKS / "summary.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_figure_lines_become_table_rows_with_their_verdict():
    summary = load_summary()
    output = ("noise\nFIGURE api.detail.ratio 1.07 x target >= 1.0\n"
              "FIGURE hook.down.p50 61.5 ms target <= 50\n"
              "FIGURE vnc.cpu_per_gb 0.3 s/GB target ~ -\n"
              "FIGURE api.pages.last_first 0.85 x target ~ 1.0\n"
              "FIGURE api.pages.last_first 0.75 x target ~ 1.0\n")
    rows = [figure.row() for figure in summary.parse_figures(output, "x.py")]
    assert rows[0].startswith("| `GET /servers/detail`") and "| 1.07x | >= 1.0x | yes |" in rows[0]
    assert "| 61.5 ms | <= 50 ms | **no** |" in rows[1]
    assert "| 0.3 s/GB | – | – |" in rows[2]
    assert "| 0.85x | ~ 1.0x | yes |" in rows[3]   # "about": within 20%
    assert "| 0.75x | ~ 1.0x | **no** |" in rows[4]


def test_every_script_the_summary_runs_prints_figure_lines():
    summary = load_summary()
    for argv in {**summary.SCRIPTS, **summary.LAB_SCRIPTS}.values():
        source = (BENCHMARKS / argv[0]).read_text()
        assert "FIGURE " in source, f"benchmarks/{argv[0]} prints no FIGURE line"
