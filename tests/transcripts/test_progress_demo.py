"""The 督学 demo script runs and meets its expectations; file steps in scripts; the samples stay in step with
their generator."""

import subprocess
import sys

from bot.__main__ import main
from tests.conftest import ROOT


def test_the_progress_demo_runs():
    proc = subprocess.run([sys.executable, "-m", "bot", "simulate", "data/demo-progress.yaml"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "[文件] 形考-行政管理学-2026-11-01.xlsx" in proc.stdout and "【自动督学】行管1班" in proc.stdout


def test_a_file_step_names_a_missing_file_with_its_line(tmp_path, capsys):
    script = tmp_path / "s.yaml"
    script.write_text("start: 2026-11-02 08:00\nroster: false\nsteps:\n"
                      "  - {private: true, from: 王老师, file: 没有这个文件.xlsx}\n", encoding="utf-8")
    assert main(["--config", str(ROOT / "config.yaml"), "simulate", str(script)]) == 2
    err = capsys.readouterr().err
    assert "s.yaml, steps[0].file, line 4" in err and "file not found" in err


def test_the_samples_match_their_generator(tmp_path):
    """bench/make_progress_samples.py makes data/progress/ (the committed files are its output)."""
    proc = subprocess.run([sys.executable, "bench/make_progress_samples.py", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in (ROOT / "data/progress").iterdir())
    for name in made:
        if name.endswith(".csv"):
            assert (tmp_path / name).read_bytes() == (ROOT / "data/progress" / name).read_bytes(), name
