"""The speed benchmark runs and prints its table: a smoke run, not a measurement (speed is never
asserted in tests: this machine is shared and noisy)."""

import os
import subprocess
import sys

import pytest

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_train_speed_prints_side_by_side_table(mnist_data_dir):
    command = [sys.executable, os.path.join(REPOSITORY_ROOT, "benchmarks", "train_speed.py"),
               "--data-dir", mnist_data_dir, "--models", "mlp", "--batch-sizes", "8",
               "--variants", "train,train-4-calls,seed", "--iterations", "3", "--repeats", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| mlp | 8 |")]
    assert len(rows) == 1, result.stdout
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    rates = [float(cell) for cell in cells[3:6]]  # train(), train() 4 calls, seed loop
    assert all(rate > 0 for rate in rates), cells
    assert cells[6].endswith("x") and float(cells[6][:-1]) > 0, cells  # train/seed
